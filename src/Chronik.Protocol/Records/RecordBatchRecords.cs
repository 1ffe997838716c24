using Chronik.Protocol.Compression;
using Chronik.Protocol.Wire;

namespace Chronik.Protocol.Records;

/// <summary>
/// The records of one v2 batch, decompressed into a pooled buffer when the batch is compressed, and read
/// in place when it is not. Dispose returns the buffer; the <see cref="RecordView"/>s read from it are
/// invalid afterwards.
/// <code>
/// using var records = RecordBatchRecords.Open(batch, maxUncompressedBytes);
/// foreach (RecordView record in records) { … }
/// </code>
/// </summary>
public ref struct RecordBatchRecords
{
    /// <summary>Default bound on a batch's decompressed records: 64 MiB, far above Kafka's 1 MiB default max.message.bytes.</summary>
    public const int DefaultMaxUncompressedBytes = 64 * 1024 * 1024;

    private readonly ReadOnlySpan<byte> _batch;
    private PooledBufferWriter? _decompressed;

    private RecordBatchRecords(ReadOnlySpan<byte> batch, PooledBufferWriter? decompressed)
    {
        _batch = batch;
        _decompressed = decompressed;
    }

    /// <summary>The uncompressed records section.</summary>
    public readonly ReadOnlySpan<byte> Bytes => _decompressed is null ? _batch[RecordBatchHeader.Size..] : _decompressed.WrittenSpan;

    /// <summary>
    /// Opens the records of <paramref name="batch"/> (exactly one v2 batch, already validated by
    /// <see cref="RecordBatchValidator.Validate"/> or at least framed by <see cref="RecordBatchEnumerator"/>).
    /// </summary>
    /// <exception cref="RecordDecodeException">The batch is not magic 2, is too short, uses an unknown codec,
    /// or its compressed records are corrupt or expand past <paramref name="maxUncompressedBytes"/>
    /// (all <see cref="ErrorCode.CorruptMessage"/>).</exception>
    public static RecordBatchRecords Open(ReadOnlySpan<byte> batch, int maxUncompressedBytes = DefaultMaxUncompressedBytes)
    {
        string? error = TryOpenCore(batch, maxUncompressedBytes, out RecordBatchRecords records, out CompressionException? cause);
        return error is null ? records : throw new RecordDecodeException(ErrorCode.CorruptMessage, error, cause);
    }

    /// <summary>
    /// <see cref="Open"/> for callers that fall back to the batch header when the records cannot be read
    /// (a log cleaner keeps such a batch whole): false where <see cref="Open"/> throws.
    /// </summary>
    public static bool TryOpen(ReadOnlySpan<byte> batch, int maxUncompressedBytes, out RecordBatchRecords records) =>
        TryOpenCore(batch, maxUncompressedBytes, out records, out _) is null;

    /// <summary>Null on success, else why the records cannot be read.</summary>
    private static string? TryOpenCore(ReadOnlySpan<byte> batch, int maxUncompressedBytes, out RecordBatchRecords records, out CompressionException? cause)
    {
        records = default;
        cause = null;
        if (batch.Length < RecordBatchHeader.Size || RecordBatchHeader.Magic(batch) != RecordBatchHeader.CurrentMagic)
        {
            return "Not a complete magic 2 record batch.";
        }

        long declared = (long)RecordBatchHeader.BatchLength(batch) + RecordBatchHeader.LogOverhead;
        if (declared > batch.Length || declared < RecordBatchHeader.Size)
        {
            return $"Batch length field says {declared} bytes, the buffer has {batch.Length}.";
        }

        batch = batch[..(int)declared];
        CompressionType compression = RecordBatchHeader.Compression(batch);
        if (compression == CompressionType.None)
        {
            records = new RecordBatchRecords(batch, null);
            return null;
        }

        if (!CompressionCodecs.IsKnown(compression))
        {
            return $"Unknown compression type id {(int)compression}.";
        }

        try
        {
            records = new RecordBatchRecords(batch, CompressionCodecs.Decompress(compression, batch[RecordBatchHeader.Size..], maxUncompressedBytes));
            return null;
        }
        catch (CompressionException exception)
        {
            cause = exception;
            return $"Failed to decompress record stream: {exception.Message}";
        }
    }

    public readonly RecordReader GetEnumerator() => RecordReader.ForRecords(_batch, Bytes);

    public void Dispose()
    {
        _decompressed?.Dispose();
        _decompressed = null;
    }
}
