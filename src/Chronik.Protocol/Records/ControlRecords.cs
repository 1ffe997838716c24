using System.Buffers;
using System.Buffers.Binary;

namespace Chronik.Protocol.Records;

/// <summary>Control record types (the int16 in a control record's key; Kafka's ControlRecordType).</summary>
public enum ControlRecordType : short
{
    /// <summary>Transaction marker: the producer's transaction was aborted (KIP-98).</summary>
    Abort = 0,

    /// <summary>Transaction marker: the producer's transaction was committed (KIP-98).</summary>
    Commit = 1,

    /// <summary>KRaft: the quorum leader changed (KIP-595).</summary>
    LeaderChange = 2,

    SnapshotHeader = 3,
    SnapshotFooter = 4,
    KRaftVersion = 5,
    KRaftVoters = 6,
}

/// <summary>The value of a transaction marker: which outcome, and the epoch of the coordinator that wrote it.</summary>
public readonly record struct EndTransactionMarker(ControlRecordType Type, int CoordinatorEpoch)
{
    public bool IsCommit => Type == ControlRecordType.Commit;
}

/// <summary>
/// Control records (KIP-98): records of a control batch (attributes control + transactional) whose key is
/// version int16 (0) + type int16, and, for transaction markers, whose value is version int16 (0) +
/// coordinator epoch int32. As in Kafka, readers accept newer versions and parse the fields they know.
/// </summary>
public static class ControlRecords
{
    public const short CurrentKeyVersion = 0;
    public const short CurrentMarkerVersion = 0;
    public const int KeySize = 4;
    public const int MarkerValueSize = 6;

    public static void WriteKey(Span<byte> destination, ControlRecordType type)
    {
        BinaryPrimitives.WriteInt16BigEndian(destination, CurrentKeyVersion);
        BinaryPrimitives.WriteInt16BigEndian(destination[2..], (short)type);
    }

    public static void WriteMarkerValue(Span<byte> destination, int coordinatorEpoch)
    {
        BinaryPrimitives.WriteInt16BigEndian(destination, CurrentMarkerVersion);
        BinaryPrimitives.WriteInt32BigEndian(destination[2..], coordinatorEpoch);
    }

    /// <summary>Reads a control record key; false when it is too short or has a negative version (corruption).</summary>
    public static bool TryParseKey(ReadOnlySpan<byte> key, out ControlRecordType type)
    {
        type = default;
        if (key.Length < KeySize || BinaryPrimitives.ReadInt16BigEndian(key) < 0)
        {
            return false;
        }

        type = (ControlRecordType)BinaryPrimitives.ReadInt16BigEndian(key[2..]);
        return true;
    }

    /// <summary>
    /// The type of a control batch, from the key of its first record (a control batch holds one control
    /// record, as Kafka's log cleaner and producer state assume). False when <paramref name="batch"/> is not a
    /// control batch or its first record or key cannot be read. The type may be one this build does not name.
    /// </summary>
    public static bool TryReadBatchType(ReadOnlySpan<byte> batch, out ControlRecordType type)
    {
        type = default;
        if (batch.Length < RecordBatchHeader.Size || (RecordBatchHeader.Attributes(batch) & RecordBatchAttributes.Control) == 0
            || !RecordBatchRecords.TryOpen(batch, RecordBatchRecords.DefaultMaxUncompressedBytes, out RecordBatchRecords records))
        {
            return false;
        }

        using (records)
        {
            RecordReader reader = records.GetEnumerator();
            return reader.TryReadNext(out RecordView record) == RecordReadStatus.Record && !record.IsKeyNull && TryParseKey(record.Key, out type);
        }
    }

    /// <summary>
    /// Reads a transaction marker from a control record; false when the record is not an ABORT/COMMIT
    /// marker or its key or value is malformed (Kafka's EndTransactionMarker.deserialize).
    /// </summary>
    public static bool TryParseEndTransactionMarker(RecordView record, out EndTransactionMarker marker)
    {
        marker = default;
        if (record.IsKeyNull || !TryParseKey(record.Key, out ControlRecordType type)
            || type is not (ControlRecordType.Abort or ControlRecordType.Commit)
            || record.IsValueNull || record.Value.Length < MarkerValueSize
            || BinaryPrimitives.ReadInt16BigEndian(record.Value) < 0)
        {
            return false;
        }

        marker = new EndTransactionMarker(type, BinaryPrimitives.ReadInt32BigEndian(record.Value[2..]));
        return true;
    }

    /// <summary>
    /// Writes the control batch a transaction coordinator appends to each partition of an ending
    /// transaction: one marker record, attributes control + transactional, uncompressed, no sequence
    /// (Kafka's MemoryRecords.withEndTransactionMarker). Returns the batch size.
    /// </summary>
    public static int WriteEndTransactionMarkerBatch(
        IBufferWriter<byte> output,
        long producerId,
        short producerEpoch,
        EndTransactionMarker marker,
        long timestamp,
        long baseOffset = 0,
        int partitionLeaderEpoch = RecordBatchHeader.NoPartitionLeaderEpoch)
    {
        if (marker.Type is not (ControlRecordType.Abort or ControlRecordType.Commit))
        {
            throw new ArgumentException($"Invalid control record type for end transaction marker: {marker.Type}.", nameof(marker));
        }

        Span<byte> key = stackalloc byte[KeySize];
        Span<byte> value = stackalloc byte[MarkerValueSize];
        WriteKey(key, marker.Type);
        WriteMarkerValue(value, marker.CoordinatorEpoch);
        using var builder = new RecordBatchBuilder
        {
            BaseOffset = baseOffset,
            PartitionLeaderEpoch = partitionLeaderEpoch,
            IsTransactional = true,
            IsControl = true,
            ProducerId = producerId,
            ProducerEpoch = producerEpoch,
        };
        builder.Append(0, timestamp, key, keyIsNull: false, value, valueIsNull: false);
        return builder.WriteTo(output);
    }
}
