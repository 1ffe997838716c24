using System.Buffers;
using K4os.Compression.LZ4;
using K4os.Compression.LZ4.Streams;

namespace Chronik.Protocol.Compression;

/// <summary>
/// LZ4 frame format (magic 04 22 4D 18), which Kafka uses for record batches. Written with independent
/// 64 KiB blocks and no checksums, the header Kafka's own KafkaLZ4BlockOutputStream writes (FLG 0x60,
/// BD 0x40): Kafka's Java reader decompresses each block on its own, so linked blocks (K4os's default)
/// would be unreadable by Java consumers. Reading accepts any valid frame.
/// </summary>
internal static class Lz4Codec
{
    private static readonly LZ4EncoderSettings KafkaSettings = new()
    {
        ChainBlocks = false,
        BlockSize = 64 * 1024,
        ContentChecksum = false,
        BlockChecksum = false,
        CompressionLevel = LZ4Level.L00_FAST,
    };

    public static void Compress(ReadOnlySpan<byte> input, IBufferWriter<byte> output) =>
        LZ4Frame.Encode(input, output, KafkaSettings);

    public static unsafe int Decompress(ReadOnlySpan<byte> input, IBufferWriter<byte> output, int maxOutputBytes)
    {
        if (input.IsEmpty)
        {
            return 0;
        }

        fixed (byte* pointer = input)
        {
            using var source = new UnmanagedMemoryStream(pointer, input.Length);
            using var decoder = LZ4Stream.Decode(source, extraMemory: 0, leaveOpen: true);
            return BoundedCopy.ReadToEnd(decoder, output, maxOutputBytes);
        }
    }
}
