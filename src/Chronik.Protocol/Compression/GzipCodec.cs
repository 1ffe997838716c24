using System.Buffers;
using System.IO.Compression;

namespace Chronik.Protocol.Compression;

/// <summary>
/// gzip (RFC 1952) through System.IO.Compression. Kafka's Java client writes it with GZIPOutputStream;
/// a stream of several concatenated gzip members decodes as their concatenation.
/// </summary>
internal static class GzipCodec
{
    public static void Compress(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
    {
        // Optimal is zlib's default level 6, Kafka's default compression.gzip.level (KIP-390).
        using var gzip = new GZipStream(new BufferWriterStream(output), CompressionLevel.Optimal, leaveOpen: false);
        gzip.Write(input);
    }

    public static unsafe int Decompress(ReadOnlySpan<byte> input, IBufferWriter<byte> output, int maxOutputBytes)
    {
        fixed (byte* pointer = input)
        {
            using var source = new UnmanagedMemoryStream(pointer, input.Length);
            using var gzip = new GZipStream(source, CompressionMode.Decompress);
            return BoundedCopy.ReadToEnd(gzip, output, maxOutputBytes);
        }
    }
}
