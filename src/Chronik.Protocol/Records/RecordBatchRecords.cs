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
        if (batch.Length < RecordBatchHeader.Size || RecordBatchHeader.Magic(batch) != RecordBatchHeader.CurrentMagic)
        {
            throw new RecordDecodeException(ErrorCode.CorruptMessage, "Not a complete magic 2 record batch.");
        }

        long declared = (long)RecordBatchHeader.BatchLength(batch) + RecordBatchHeader.LogOverhead;
        if (declared > batch.Length || declared < RecordBatchHeader.Size)
        {
            throw new RecordDecodeException(ErrorCode.CorruptMessage, $"Batch length field says {declared} bytes, the buffer has {batch.Length}.");
        }

        batch = batch[..(int)declared];
        CompressionType compression = RecordBatchHeader.Compression(batch);
        if (compression == CompressionType.None)
        {
            return new RecordBatchRecords(batch, null);
        }

        if (!CompressionCodecs.IsKnown(compression))
        {
            throw new RecordDecodeException(ErrorCode.CorruptMessage, $"Unknown compression type id {(int)compression}.");
        }

        try
        {
            return new RecordBatchRecords(batch, CompressionCodecs.Decompress(compression, batch[RecordBatchHeader.Size..], maxUncompressedBytes));
        }
        catch (CompressionException exception)
        {
            throw new RecordDecodeException(ErrorCode.CorruptMessage, $"Failed to decompress record stream: {exception.Message}", exception);
        }
    }

    public readonly RecordReader GetEnumerator() => RecordReader.ForRecords(_batch, Bytes);

    public void Dispose()
    {
        _decompressed?.Dispose();
        _decompressed = null;
    }
}
