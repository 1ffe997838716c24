using System.Buffers;
using Chronik.Protocol.Compression;
using K4os.Hash.xxHash;

namespace Chronik.Protocol.Records;

/// <summary>
/// Codecs for legacy wrapper messages. They are the record-batch codecs, except LZ4 with magic 0: Kafka
/// before 0.10 computed the LZ4 frame's header checksum over the magic number as well (KAFKA-3160), and
/// kept writing and accepting that broken checksum for magic 0 (KafkaLZ4BlockOutputStream /
/// KafkaLZ4BlockInputStream with the "broken flag descriptor checksum" switch), so magic 0 LZ4 is
/// written with it and read whatever checksum it carries.
/// </summary>
internal static class LegacyCompression
{
    private const int Lz4MagicSize = 4;
    private const int Lz4ContentSizeFlag = 0x08;
    private const int Lz4DictionaryIdFlag = 0x01;

    public static void Compress(CompressionType compression, byte magic, ReadOnlySpan<byte> input, PooledBufferWriter output)
    {
        int start = output.WrittenCount;
        CompressionCodecs.Compress(compression, input, output);
        if (compression == CompressionType.Lz4 && magic == 0)
        {
            Span<byte> frame = output.WrittenSpanMutable[start..];
            if (TryLocateHeaderChecksum(frame, out int checksumAt))
            {
                frame[checksumAt] = HeaderChecksum(frame[..checksumAt]);
            }
        }
    }

    public static PooledBufferWriter Decompress(CompressionType compression, byte magic, ReadOnlySpan<byte> input, int maxOutputBytes)
    {
        if (compression != CompressionType.Lz4 || magic != 0 || !TryLocateHeaderChecksum(input, out int checksumAt))
        {
            return CompressionCodecs.Decompress(compression, input, maxOutputBytes);
        }

        byte[] repaired = ArrayPool<byte>.Shared.Rent(input.Length);
        try
        {
            Span<byte> frame = repaired.AsSpan(0, input.Length);
            input.CopyTo(frame);
            frame[checksumAt] = HeaderChecksum(frame[Lz4MagicSize..checksumAt]);
            return CompressionCodecs.Decompress(compression, frame, maxOutputBytes);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(repaired);
        }
    }

    /// <summary>Finds the header checksum byte: after magic, FLG, BD and the optional content size and dictionary id.</summary>
    private static bool TryLocateHeaderChecksum(ReadOnlySpan<byte> frame, out int checksumAt)
    {
        checksumAt = 0;
        if (frame.Length < Lz4MagicSize + 3)
        {
            return false;
        }

        byte flags = frame[Lz4MagicSize];
        checksumAt = Lz4MagicSize + 2
            + ((flags & Lz4ContentSizeFlag) != 0 ? sizeof(long) : 0)
            + ((flags & Lz4DictionaryIdFlag) != 0 ? sizeof(int) : 0);
        return checksumAt < frame.Length;
    }

    /// <summary>The LZ4 frame header checksum: second byte of XXH32 (seed 0) over the given bytes.</summary>
    private static byte HeaderChecksum(ReadOnlySpan<byte> covered) => (byte)(XXH32.DigestOf(covered) >> 8);
}
