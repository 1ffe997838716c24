namespace Chronik.Protocol.Records;

/// <summary>
/// A batch with its header fields and records copied out (see <see cref="RecordBatchDecoder"/>). For a
/// legacy message (magic 0/1) the v2-only fields hold their "none" values and <see cref="Records"/> are
/// the wrapper's inner messages, or the message itself when uncompressed.
/// </summary>
public sealed class DecodedRecordBatch
{
    public required long BaseOffset { get; init; }

    public required long LastOffset { get; init; }

    public int PartitionLeaderEpoch { get; init; } = RecordBatchHeader.NoPartitionLeaderEpoch;

    public required byte Magic { get; init; }

    public required RecordBatchAttributes Attributes { get; init; }

    public CompressionType Compression => (CompressionType)((short)Attributes & (short)RecordBatchAttributes.CompressionMask);

    public bool IsLogAppendTime => (Attributes & RecordBatchAttributes.LogAppendTime) != 0;

    public bool IsTransactional => (Attributes & RecordBatchAttributes.Transactional) != 0;

    public bool IsControl => (Attributes & RecordBatchAttributes.Control) != 0;

    public long BaseTimestamp { get; init; } = RecordBatchHeader.NoTimestamp;

    public long MaxTimestamp { get; init; } = RecordBatchHeader.NoTimestamp;

    public long ProducerId { get; init; } = RecordBatchHeader.NoProducerId;

    public short ProducerEpoch { get; init; } = RecordBatchHeader.NoProducerEpoch;

    public int BaseSequence { get; init; } = RecordBatchHeader.NoSequence;

    public required IReadOnlyList<DecodedRecord> Records { get; init; }
}
