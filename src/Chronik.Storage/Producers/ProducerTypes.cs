using Chronik.Protocol.Records;

namespace Chronik.Storage.Producers;

/// <summary>
/// A producer the partition has state for (DescribeProducers): its epoch, last sequence (-1 when it has no batch in
/// this epoch, e.g. a marker bumped it), last timestamp, the coordinator epoch of its last marker (-1 if none), and
/// the first offset of its open transaction (-1 when none).
/// </summary>
public readonly record struct ActiveProducer(long ProducerId, short ProducerEpoch, int LastSequence, long LastTimestamp, int CoordinatorEpoch, long CurrentTxnStartOffset);

/// <summary>
/// A transaction a marker ended (Kafka's CompletedTxn): the producer, the offset of its first record in this
/// partition, the offset of the marker, and whether it was aborted. Only transactions with records produce one.
/// </summary>
public readonly record struct CompletedTransaction(long ProducerId, long FirstOffset, long LastOffset, bool IsAborted);

/// <summary>The header fields of a batch that producer state looks at, with the offsets the batch has or gets.</summary>
internal readonly record struct ProducerBatch(
    long ProducerId,
    short Epoch,
    int BaseSequence,
    long BaseOffset,
    int LastOffsetDelta,
    long MaxTimestamp,
    bool IsTransactional,
    bool IsControl)
{
    public long LastOffset => BaseOffset + LastOffsetDelta;

    public int LastSequence => Sequences.Increment(BaseSequence, LastOffsetDelta);

    public static ProducerBatch FromHeader(ReadOnlySpan<byte> header, long baseOffset)
    {
        var attributes = RecordBatchHeader.Attributes(header);
        return new ProducerBatch(
            RecordBatchHeader.ProducerId(header),
            RecordBatchHeader.ProducerEpoch(header),
            RecordBatchHeader.BaseSequence(header),
            baseOffset,
            RecordBatchHeader.LastOffsetDelta(header),
            RecordBatchHeader.MaxTimestamp(header),
            (attributes & RecordBatchAttributes.Transactional) != 0,
            (attributes & RecordBatchAttributes.Control) != 0);
    }

    /// <summary>
    /// The transaction marker of a control batch (the key and value of its first record), or null when the batch
    /// has no record (the cleaner emptied it) or its record is not a COMMIT/ABORT marker. Reads one small record.
    /// </summary>
    public static EndTransactionMarker? ReadMarker(ReadOnlySpan<byte> batch)
    {
        if (!RecordBatchRecords.TryOpen(batch, RecordBatchRecords.DefaultMaxUncompressedBytes, out var records))
        {
            return null;
        }

        using (records)
        {
            var reader = records.GetEnumerator();
            return reader.TryReadNext(out var record) == RecordReadStatus.Record && ControlRecords.TryParseEndTransactionMarker(record, out var marker)
                ? marker
                : null;
        }
    }
}
