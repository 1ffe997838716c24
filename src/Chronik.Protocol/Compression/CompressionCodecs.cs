using System.Buffers;
using Chronik.Protocol.Records;

namespace Chronik.Protocol.Compression;

/// <summary>
/// The record-batch compression codecs behind one API. Compression writes exactly what Kafka's clients
/// read; decompression accepts what every known client writes and never produces (or allocates for) more
/// than the caller's limit.
/// </summary>
public static class CompressionCodecs
{
    /// <summary>Appends <paramref name="input"/> compressed with <paramref name="type"/> to <paramref name="output"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An unknown codec id.</exception>
    public static void Compress(CompressionType type, ReadOnlySpan<byte> input, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        switch (type)
        {
            case CompressionType.None:
                output.Write(input);
                break;
            case CompressionType.Gzip:
                GzipCodec.Compress(input, output);
                break;
            case CompressionType.Snappy:
                SnappyCodec.Compress(input, output);
                break;
            case CompressionType.Lz4:
                Lz4Codec.Compress(input, output);
                break;
            case CompressionType.Zstd:
                ZstdCodec.Compress(input, output);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown compression type.");
        }
    }

    /// <summary>
    /// Appends the decompressed form of <paramref name="input"/> to <paramref name="output"/> and returns its
    /// length. At most <paramref name="maxOutputBytes"/> (plus one internal chunk of 64 KiB) is ever written.
    /// </summary>
    /// <exception cref="DecompressionLimitExceededException">The data expands past <paramref name="maxOutputBytes"/>.</exception>
    /// <exception cref="CompressionException">The data is corrupt, truncated or not in the codec's format.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An unknown codec id, or a negative limit.</exception>
    public static int Decompress(CompressionType type, ReadOnlySpan<byte> input, IBufferWriter<byte> output, int maxOutputBytes)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfNegative(maxOutputBytes);
        try
        {
            switch (type)
            {
                case CompressionType.None:
                    BoundedCopy.EnsureWithinLimit(0, input.Length, maxOutputBytes);
                    output.Write(input);
                    return input.Length;
                case CompressionType.Gzip:
                    return GzipCodec.Decompress(input, output, maxOutputBytes);
                case CompressionType.Snappy:
                    return SnappyCodec.Decompress(input, output, maxOutputBytes);
                case CompressionType.Lz4:
                    return Lz4Codec.Decompress(input, output, maxOutputBytes);
                case CompressionType.Zstd:
                    return ZstdCodec.Decompress(input, output, maxOutputBytes);
                default:
                    throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown compression type.");
            }
        }
        catch (Exception exception) when (exception is not CompressionException
                                              and not ArgumentOutOfRangeException
                                              and not OutOfMemoryException)
        {
            // The decoders signal garbage in their own ways (InvalidDataException, IOException, ArgumentException…).
            throw new CompressionException($"Corrupt {type} data: {exception.Message}", exception);
        }
    }

    /// <summary>Decompresses into a new pooled buffer; the caller disposes it.</summary>
    /// <inheritdoc cref="Decompress(CompressionType, ReadOnlySpan{byte}, IBufferWriter{byte}, int)"/>
    public static PooledBufferWriter Decompress(CompressionType type, ReadOnlySpan<byte> input, int maxOutputBytes)
    {
        var buffer = new PooledBufferWriter(Math.Min(Math.Max(input.Length * 4, 256), Math.Max(maxOutputBytes, 256)));
        try
        {
            Decompress(type, input, buffer, maxOutputBytes);
            return buffer;
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    /// <summary>True for the codec ids this build can read and write (0–4).</summary>
    public static bool IsKnown(CompressionType type) => type is >= CompressionType.None and <= CompressionType.Zstd;
}
