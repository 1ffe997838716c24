namespace Chronik.Protocol.Compression;

/// <summary>
/// Compressed data could not be decoded: corrupt, truncated, or not in the codec's format. The broker
/// answers such a batch with CORRUPT_MESSAGE.
/// </summary>
public class CompressionException : Exception
{
    public CompressionException(string message)
        : base(message)
    {
    }

    public CompressionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Decompression stopped because the output grew past the caller's limit (a decompression bomb, or a
/// batch larger than the broker accepts). Nothing beyond the limit was allocated.
/// </summary>
public sealed class DecompressionLimitExceededException : CompressionException
{
    public DecompressionLimitExceededException(long limit)
        : base($"Decompressed data exceeds the limit of {limit} bytes.")
    {
        Limit = limit;
    }

    public long Limit { get; }
}
