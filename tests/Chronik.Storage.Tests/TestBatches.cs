using System.Buffers;
using Chronik.Protocol.Records;

namespace Chronik.Storage.Tests;

/// <summary>A record for <see cref="TestBatches"/>: null key or value encode as length -1.</summary>
public sealed record TestRecord(byte[]? Key, byte[]? Value, long TimestampDelta = 0, int? OffsetDelta = null)
{
    public static TestRecord Of(string? key, string? value, long timestampDelta = 0) =>
        new(key is null ? null : System.Text.Encoding.UTF8.GetBytes(key), value is null ? null : System.Text.Encoding.UTF8.GetBytes(value), timestampDelta);
}

/// <summary>Record batches as a producer or coordinator would send them, built with Chronik.Protocol's <see cref="RecordBatchBuilder"/>.</summary>
public static class TestBatches
{
    public const long BaseTimestamp = 1_700_000_000_000;

    /// <param name="attributes">Only the flags a producer or coordinator sets: LogAppendTime, Transactional, Control.</param>
    public static byte[] Build(
        IReadOnlyList<TestRecord> records,
        long baseOffset = 0,
        long baseTimestamp = BaseTimestamp,
        RecordBatchAttributes attributes = RecordBatchAttributes.None,
        long producerId = -1,
        short producerEpoch = -1,
        int baseSequence = -1,
        int partitionLeaderEpoch = -1,
        CompressionType compression = CompressionType.None)
    {
        Assert.Equal(RecordBatchAttributes.None, attributes & ~(RecordBatchAttributes.LogAppendTime | RecordBatchAttributes.Transactional | RecordBatchAttributes.Control));
        using var builder = new RecordBatchBuilder(compression)
        {
            BaseOffset = baseOffset,
            BaseTimestamp = baseTimestamp,
            IsTransactional = (attributes & RecordBatchAttributes.Transactional) != 0,
            IsControl = (attributes & RecordBatchAttributes.Control) != 0,
            ProducerId = producerId,
            ProducerEpoch = producerEpoch,
            BaseSequence = baseSequence,
            PartitionLeaderEpoch = partitionLeaderEpoch,
        };
        if ((attributes & RecordBatchAttributes.LogAppendTime) != 0)
        {
            builder.LogAppendTime = records.Count == 0 ? baseTimestamp : baseTimestamp + records.Max(r => r.TimestampDelta);
        }

        for (int i = 0; i < records.Count; i++)
        {
            var r = records[i];
            builder.Append(r.OffsetDelta ?? i, baseTimestamp + r.TimestampDelta, r.Key, r.Value);
        }

        return builder.Build();
    }

    /// <summary>A batch of <paramref name="count"/> records with <paramref name="valueBytes"/>-byte values filled from <paramref name="seed"/>.</summary>
    public static byte[] Values(int count, int valueBytes, int seed = 0, long baseTimestamp = BaseTimestamp, string? keyPrefix = null)
    {
        var random = new Random(seed);
        var records = new TestRecord[count];
        for (int i = 0; i < count; i++)
        {
            byte[] value = new byte[valueBytes];
            random.NextBytes(value);
            records[i] = new TestRecord(keyPrefix is null ? null : System.Text.Encoding.UTF8.GetBytes($"{keyPrefix}{i}"), value, i);
        }

        return Build(records, baseTimestamp: baseTimestamp);
    }

    /// <summary>A transaction marker (control batch with one COMMIT or ABORT record) as a coordinator writes it.</summary>
    public static byte[] Marker(long producerId, short producerEpoch, bool commit, long timestamp = BaseTimestamp)
    {
        var output = new ArrayBufferWriter<byte>();
        ControlRecords.WriteEndTransactionMarkerBatch(output, producerId, producerEpoch, new EndTransactionMarker(commit ? ControlRecordType.Commit : ControlRecordType.Abort, 0), timestamp);
        return output.WrittenSpan.ToArray();
    }

    public static byte[] Concat(params byte[][] batches) => batches.SelectMany(b => b).ToArray();
}

/// <summary>A decoded record of a stored batch (tests only).</summary>
public sealed record ParsedRecord(long Offset, long Timestamp, byte[]? Key, byte[]? Value)
{
    public string? KeyString => Key is null ? null : System.Text.Encoding.UTF8.GetString(Key);

    public string? ValueString => Value is null ? null : System.Text.Encoding.UTF8.GetString(Value);
}

/// <summary>A decoded stored batch (tests only).</summary>
public sealed record ParsedBatch(long BaseOffset, long LastOffset, int LeaderEpoch, RecordBatchAttributes Attributes, long BaseTimestamp, long MaxTimestamp, long ProducerId, bool CrcValid, IReadOnlyList<ParsedRecord> Records, byte[] Bytes);

public static class BatchParser
{
    /// <summary>Splits <paramref name="data"/> into batches and decodes their records; fails on anything malformed except a CRC mismatch, which <see cref="ParsedBatch.CrcValid"/> reports.</summary>
    public static List<ParsedBatch> Parse(byte[] data)
    {
        var result = new List<ParsedBatch>();
        var entries = new RecordBatchEnumerator(data);
        while (entries.MoveNext())
        {
            var batch = entries.Current.Span;
            Assert.Equal(RecordBatchHeader.CurrentMagic, entries.CurrentMagic);
            long baseTimestamp = RecordBatchHeader.BaseTimestamp(batch);
            var records = new List<ParsedRecord>();
            using (var section = RecordBatchRecords.Open(batch))
            {
                foreach (var record in section)
                {
                    // The stored timestamp (base + delta) even under LogAppendTime, where readers see the max timestamp.
                    records.Add(new ParsedRecord(record.Offset, baseTimestamp + record.TimestampDelta, record.IsKeyNull ? null : record.Key.ToArray(), record.IsValueNull ? null : record.Value.ToArray()));
                }
            }

            result.Add(new ParsedBatch(
                RecordBatchHeader.BaseOffset(batch),
                RecordBatchHeader.LastOffset(batch),
                RecordBatchHeader.PartitionLeaderEpoch(batch),
                RecordBatchHeader.Attributes(batch),
                baseTimestamp,
                RecordBatchHeader.MaxTimestamp(batch),
                RecordBatchHeader.ProducerId(batch),
                RecordBatchHeader.IsCrcValid(batch),
                records,
                batch.ToArray()));
        }

        Assert.True(entries.Status == RecordBatchEnumerationStatus.Completed, $"partial or corrupt batch at {entries.BytesConsumed}: {entries.Status}");
        return result;
    }
}
