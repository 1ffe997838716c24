using System.Buffers.Binary;
using Chronik.Protocol.Records;

namespace Chronik.Benchmarks.Storage;

/// <summary>Builds the uncompressed v2 batches the storage benchmarks append (records of random bytes, keyed).</summary>
internal static class BenchBatches
{
    /// <summary>A batch of about <paramref name="totalBytes"/> bytes made of records of <paramref name="valueBytes"/>-byte values.</summary>
    public static byte[] OfSize(int totalBytes, int valueBytes, int seed = 1)
    {
        var random = new Random(seed);
        var body = new List<byte>();
        int count = 0;
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        while (RecordBatchHeader.Size + body.Count + valueBytes + 16 <= totalBytes || count == 0)
        {
            var record = new List<byte> { 0 };
            WriteVarint(record, count);
            WriteVarint(record, count);
            byte[] key = BitConverter.GetBytes(count);
            WriteVarint(record, key.Length);
            record.AddRange(key);
            byte[] value = new byte[valueBytes];
            random.NextBytes(value);
            WriteVarint(record, value.Length);
            record.AddRange(value);
            WriteVarint(record, 0);
            WriteVarint(body, record.Count);
            body.AddRange(record);
            count++;
        }

        byte[] batch = new byte[RecordBatchHeader.Size + body.Count];
        var span = batch.AsSpan();
        BinaryPrimitives.WriteInt32BigEndian(span[RecordBatchHeader.BatchLengthOffset..], batch.Length - RecordBatchHeader.LogOverhead);
        RecordBatchHeader.SetPartitionLeaderEpoch(span, -1);
        span[RecordBatchHeader.MagicOffset] = RecordBatchHeader.CurrentMagic;
        BinaryPrimitives.WriteInt32BigEndian(span[RecordBatchHeader.LastOffsetDeltaOffset..], count - 1);
        RecordBatchHeader.SetBaseTimestamp(span, now);
        RecordBatchHeader.SetMaxTimestamp(span, now + count - 1);
        BinaryPrimitives.WriteInt64BigEndian(span[RecordBatchHeader.ProducerIdOffset..], -1);
        BinaryPrimitives.WriteInt16BigEndian(span[RecordBatchHeader.ProducerEpochOffset..], -1);
        BinaryPrimitives.WriteInt32BigEndian(span[RecordBatchHeader.BaseSequenceOffset..], -1);
        BinaryPrimitives.WriteInt32BigEndian(span[RecordBatchHeader.RecordCountOffset..], count);
        body.CopyTo(batch, RecordBatchHeader.Size);
        RecordBatchHeader.UpdateCrc(span);
        return batch;
    }

    private static void WriteVarint(List<byte> output, long value)
    {
        ulong raw = (ulong)((value << 1) ^ (value >> 63));
        while (raw >= 0x80)
        {
            output.Add((byte)(raw | 0x80));
            raw >>= 7;
        }

        output.Add((byte)raw);
    }
}
