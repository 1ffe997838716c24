using System.Buffers.Binary;
using Chronik.Protocol.Records;

namespace Chronik.Storage.Records;

/// <summary>The type of a control record, from its key (int16 version, int16 type), as Kafka's ControlRecordType.</summary>
internal enum ControlRecordType : short
{
    Abort = 0,
    Commit = 1,
    Unknown = -1,
}

internal static class ControlRecord
{
    /// <summary>The type of the (single) control record of an uncompressed control batch.</summary>
    public static ControlRecordType TypeOf(ReadOnlySpan<byte> batch)
    {
        if (BatchRecords.Compression(batch) != CompressionType.None)
        {
            return ControlRecordType.Unknown;
        }

        var cursor = new RecordCursor(batch[RecordBatchHeader.Size..], RecordBatchHeader.RecordCount(batch));
        if (!cursor.TryNext(out var record) || !record.HasKey || record.Key.Length < 4)
        {
            return ControlRecordType.Unknown;
        }

        short type = BinaryPrimitives.ReadInt16BigEndian(record.Key[2..]);
        return type is 0 or 1 ? (ControlRecordType)type : ControlRecordType.Unknown;
    }
}
