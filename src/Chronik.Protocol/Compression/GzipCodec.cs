using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using Chronik.Protocol.Records;

namespace Chronik.Protocol.Compression;

/// <summary>
/// gzip (RFC 1952) through System.IO.Compression. Kafka's Java client writes it with GZIPOutputStream;
/// a stream of several concatenated gzip members decodes as their concatenation.
/// </summary>
internal static class GzipCodec
{
    /// <summary>10-byte header, an empty deflate block (2 bytes), CRC-32 and ISIZE.</summary>
    private const int MinimumMemberSize = 20;

    private const int TrailerSize = 8;

    public static void Compress(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
    {
        // Optimal is zlib's default level 6, Kafka's default compression.gzip.level (KIP-390).
        using var gzip = new GZipStream(new BufferWriterStream(output), CompressionLevel.Optimal, leaveOpen: false);
        gzip.Write(input);
    }

    public static int Decompress(ReadOnlySpan<byte> input, IBufferWriter<byte> output, int maxOutputBytes)
    {
        if (input.IsEmpty)
        {
            return 0;
        }

        if (input.Length < MinimumMemberSize)
        {
            throw new CompressionException("Truncated gzip stream.");
        }

        // The completeness check needs the output back: read it from the writer when it can give it.
        if (output is PooledBufferWriter pooled)
        {
            int start = pooled.WrittenCount;
            int written = Inflate(input, pooled, maxOutputBytes);
            EnsureComplete(input, pooled.WrittenSpan[start..]);
            return written;
        }

        using var decompressed = new PooledBufferWriter(Math.Min(input.Length * 4, maxOutputBytes));
        int total = Inflate(input, decompressed, maxOutputBytes);
        EnsureComplete(input, decompressed.WrittenSpan);
        output.Write(decompressed.WrittenSpan);
        return total;
    }

    private static unsafe int Inflate(ReadOnlySpan<byte> input, IBufferWriter<byte> output, int maxOutputBytes)
    {
        fixed (byte* pointer = input)
        {
            using var source = new UnmanagedMemoryStream(pointer, input.Length);
            using var gzip = new GZipStream(source, CompressionMode.Decompress);
            return BoundedCopy.ReadToEnd(gzip, output, maxOutputBytes);
        }
    }

    /// <summary>
    /// GZipStream stops quietly at the end of its input, even in the middle of a member, where Java's
    /// GZIPInputStream fails. zlib has already verified any trailer it reached; a truncated stream ends in
    /// deflate data instead, which this catches by checking the last member's trailer against the output:
    /// ISIZE equal to the whole output (one member, the normal case), or ISIZE and CRC-32 matching the
    /// output's tail (several members).
    /// </summary>
    private static void EnsureComplete(ReadOnlySpan<byte> input, ReadOnlySpan<byte> output)
    {
        ReadOnlySpan<byte> trailer = input[^TrailerSize..];
        uint crc = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
        uint size = BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]);
        if (size == (uint)output.Length)
        {
            return;
        }

        if (size > (uint)output.Length || Crc32Ieee.Compute(output[^(int)size..]) != crc)
        {
            throw new CompressionException("Truncated gzip stream.");
        }
    }
}
