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
    /// length. Nothing past <paramref name="maxOutputBytes"/> is ever written or buffered.
    /// </summary>
    /// <exception cref="DecompressionLimitExceededException">The data expands past <paramref name="maxOutputBytes"/>.</exception>
    /// <exception cref="CompressionException">The data is corrupt, truncated or not in the codec's format.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An unknown codec id, or a negative limit.</exception>
    /// <remarks>Empty input decodes to nothing for every codec.</remarks>
    public static int Decompress(CompressionType type, ReadOnlySpan<byte> input, IBufferWriter<byte> output, int maxOutputBytes)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfNegative(maxOutputBytes);
        if (!IsKnown(type))
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown compression type.");
        }

        try
        {
            return type switch
            {
                CompressionType.Gzip => GzipCodec.Decompress(input, output, maxOutputBytes),
                CompressionType.Snappy => SnappyCodec.Decompress(input, output, maxOutputBytes),
                CompressionType.Lz4 => Lz4Codec.Decompress(input, output, maxOutputBytes),
                CompressionType.Zstd => ZstdCodec.Decompress(input, output, maxOutputBytes),
                _ => CopyUncompressed(input, output, maxOutputBytes),
            };
        }
        catch (Exception exception) when (exception is not CompressionException and not OutOfMemoryException)
        {
            // The decoders signal garbage in their own ways (InvalidDataException, IOException, ArgumentException…).
            throw new CompressionException($"Corrupt {type} data: {exception.Message}", exception);
        }
    }

    /// <summary>Decompresses into a new pooled buffer; the caller disposes it.</summary>
    /// <inheritdoc cref="Decompress(CompressionType, ReadOnlySpan{byte}, IBufferWriter{byte}, int)"/>
    public static PooledBufferWriter Decompress(CompressionType type, ReadOnlySpan<byte> input, int maxOutputBytes)
    {
        var buffer = new PooledBufferWriter((int)Math.Min(Math.Max((long)input.Length * 4, 256), Math.Max(maxOutputBytes, 256)));
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

    private static int CopyUncompressed(ReadOnlySpan<byte> input, IBufferWriter<byte> output, int maxOutputBytes)
    {
        BoundedCopy.EnsureWithinLimit(0, input.Length, maxOutputBytes);
        output.Write(input);
        return input.Length;
    }
}
