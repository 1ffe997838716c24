using System.Buffers.Binary;

namespace Chronik.Protocol.Records;

/// <summary>
/// Layout of the 61-byte header of a record batch (magic 2), as in Kafka's DefaultRecordBatch.
/// Every multi-byte field is big-endian. The broker reads and rewrites these fields in place and
/// never decodes the records behind them on the produce/fetch path.
/// </summary>
public static class RecordBatchHeader
{
    public const int BaseOffsetOffset = 0;
    public const int BatchLengthOffset = 8;
    public const int PartitionLeaderEpochOffset = 12;
    public const int MagicOffset = 16;
    public const int CrcOffset = 17;
    public const int AttributesOffset = 21;
    public const int LastOffsetDeltaOffset = 23;
    public const int BaseTimestampOffset = 27;
    public const int MaxTimestampOffset = 35;
    public const int ProducerIdOffset = 43;
    public const int ProducerEpochOffset = 51;
    public const int BaseSequenceOffset = 53;
    public const int RecordCountOffset = 57;

    /// <summary>Size of the header; the records follow it.</summary>
    public const int Size = 61;

    /// <summary>Bytes before the batchLength-counted part: baseOffset + batchLength.</summary>
    public const int LogOverhead = 12;

    /// <summary>The CRC covers everything from the attributes to the end of the batch.</summary>
    public const int CrcCoveredFrom = AttributesOffset;

    public const byte CurrentMagic = 2;

    /// <summary>Producer id of a batch written without idempotence (Kafka's RecordBatch.NO_PRODUCER_ID).</summary>
    public const long NoProducerId = -1;

    public const short NoProducerEpoch = -1;

    public const int NoSequence = -1;

    public const int NoPartitionLeaderEpoch = -1;

    /// <summary>Kafka's RecordBatch.NO_TIMESTAMP.</summary>
    public const long NoTimestamp = -1;

    public static long BaseOffset(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt64BigEndian(batch[BaseOffsetOffset..]);

    public static void SetBaseOffset(Span<byte> batch, long value) => BinaryPrimitives.WriteInt64BigEndian(batch[BaseOffsetOffset..], value);

    /// <summary>Length of the batch after the batchLength field; the whole batch is this plus <see cref="LogOverhead"/>.</summary>
    public static int BatchLength(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt32BigEndian(batch[BatchLengthOffset..]);

    /// <summary>Total size of the batch in bytes, including baseOffset and batchLength.</summary>
    public static int TotalSize(ReadOnlySpan<byte> batch) => BatchLength(batch) + LogOverhead;

    public static int PartitionLeaderEpoch(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt32BigEndian(batch[PartitionLeaderEpochOffset..]);

    public static void SetPartitionLeaderEpoch(Span<byte> batch, int value) => BinaryPrimitives.WriteInt32BigEndian(batch[PartitionLeaderEpochOffset..], value);

    public static byte Magic(ReadOnlySpan<byte> batch) => batch[MagicOffset];

    public static uint Crc(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadUInt32BigEndian(batch[CrcOffset..]);

    public static void SetCrc(Span<byte> batch, uint value) => BinaryPrimitives.WriteUInt32BigEndian(batch[CrcOffset..], value);

    public static RecordBatchAttributes Attributes(ReadOnlySpan<byte> batch) => (RecordBatchAttributes)BinaryPrimitives.ReadInt16BigEndian(batch[AttributesOffset..]);

    public static void SetAttributes(Span<byte> batch, RecordBatchAttributes value) => BinaryPrimitives.WriteInt16BigEndian(batch[AttributesOffset..], (short)value);

    /// <summary>The codec id in the low attribute bits; may be an id this build does not know (5–7).</summary>
    public static CompressionType Compression(ReadOnlySpan<byte> batch) => (CompressionType)((short)Attributes(batch) & (short)RecordBatchAttributes.CompressionMask);

    public static int LastOffsetDelta(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt32BigEndian(batch[LastOffsetDeltaOffset..]);

    public static long LastOffset(ReadOnlySpan<byte> batch) => BaseOffset(batch) + LastOffsetDelta(batch);

    public static long BaseTimestamp(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt64BigEndian(batch[BaseTimestampOffset..]);

    public static void SetBaseTimestamp(Span<byte> batch, long value) => BinaryPrimitives.WriteInt64BigEndian(batch[BaseTimestampOffset..], value);

    public static long MaxTimestamp(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt64BigEndian(batch[MaxTimestampOffset..]);

    public static void SetMaxTimestamp(Span<byte> batch, long value) => BinaryPrimitives.WriteInt64BigEndian(batch[MaxTimestampOffset..], value);

    public static long ProducerId(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt64BigEndian(batch[ProducerIdOffset..]);

    public static short ProducerEpoch(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt16BigEndian(batch[ProducerEpochOffset..]);

    public static int BaseSequence(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt32BigEndian(batch[BaseSequenceOffset..]);

    public static int RecordCount(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt32BigEndian(batch[RecordCountOffset..]);

    /// <summary>Computes the CRC the batch should carry (over attributes .. end).</summary>
    public static uint ComputeCrc(ReadOnlySpan<byte> batch) => Crc32C.Compute(batch[CrcCoveredFrom..TotalSize(batch)]);

    /// <summary>True when the stored CRC matches the batch contents.</summary>
    public static bool IsCrcValid(ReadOnlySpan<byte> batch) => Crc(batch) == ComputeCrc(batch);

    /// <summary>Recomputes and stores the CRC after header fields inside the covered range changed.</summary>
    public static void UpdateCrc(Span<byte> batch) => SetCrc(batch, ComputeCrc(batch));
}

/// <summary>The attributes field of a record batch (int16).</summary>
[Flags]
public enum RecordBatchAttributes : short
{
    None = 0,
    CompressionMask = 0x07,
    /// <summary>Set: timestamps are LogAppendTime (the broker's); clear: CreateTime (the producer's).</summary>
    LogAppendTime = 0x08,
    Transactional = 0x10,
    Control = 0x20,
    /// <summary>KIP-534: the base timestamp holds the delete horizon of a compacted batch.</summary>
    DeleteHorizon = 0x40,
}

/// <summary>Compression codec ids as stored in the low three attribute bits.</summary>
public enum CompressionType : byte
{
    None = 0,
    Gzip = 1,
    Snappy = 2,
    Lz4 = 3,
    Zstd = 4,
}
