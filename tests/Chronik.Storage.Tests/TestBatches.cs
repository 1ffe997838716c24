using System.Buffers;
using System.Buffers.Binary;
using Chronik.Protocol.Records;

namespace Chronik.Storage.Tests;

/// <summary>A record for <see cref="TestBatches"/>: null key or value encode as length -1.</summary>
public sealed record TestRecord(byte[]? Key, byte[]? Value, long TimestampDelta = 0, int? OffsetDelta = null)
{
    public static TestRecord Of(string? key, string? value, long timestampDelta = 0) =>
        new(key is null ? null : System.Text.Encoding.UTF8.GetBytes(key), value is null ? null : System.Text.Encoding.UTF8.GetBytes(value), timestampDelta);
}

/// <summary>
/// Lays out uncompressed v2 record batches per RecordBatchHeader, as a producer or coordinator would send them.
/// Local to the storage tests on purpose (Chronik.Protocol's full builder is written separately).
/// </summary>
public static class TestBatches
{
    public const long BaseTimestamp = 1_700_000_000_000;

    public static byte[] Build(
        IReadOnlyList<TestRecord> records,
        long baseOffset = 0,
        long baseTimestamp = BaseTimestamp,
        RecordBatchAttributes attributes = RecordBatchAttributes.None,
        long producerId = -1,
        short producerEpoch = -1,
        int baseSequence = -1,
        int partitionLeaderEpoch = -1,
        int? lastOffsetDelta = null,
        long? maxTimestamp = null,
        bool gzip = false)
    {
        var body = new List<byte>();
        long max = -1;
        for (int i = 0; i < records.Count; i++)
        {
            var r = records[i];
            var rec = new List<byte> { 0 };
            WriteVarLong(rec, r.TimestampDelta);
            WriteVarLong(rec, r.OffsetDelta ?? i);
            WriteBytes(rec, r.Key);
            WriteBytes(rec, r.Value);
            WriteVarLong(rec, 0);
            WriteVarLong(body, rec.Count);
            body.AddRange(rec);
            max = Math.Max(max, baseTimestamp + r.TimestampDelta);
        }

        if (gzip)
        {
            var compressed = new System.Buffers.ArrayBufferWriter<byte>();
            GzipCodec.Instance.Compress(CompressionType.Gzip, body.ToArray(), compressed);
            body = [.. compressed.WrittenSpan];
            attributes |= (RecordBatchAttributes)(short)CompressionType.Gzip;
        }

        byte[] batch = new byte[RecordBatchHeader.Size + body.Count];
        var span = batch.AsSpan();
        RecordBatchHeader.SetBaseOffset(span, baseOffset);
        BinaryPrimitives.WriteInt32BigEndian(span[RecordBatchHeader.BatchLengthOffset..], batch.Length - RecordBatchHeader.LogOverhead);
        RecordBatchHeader.SetPartitionLeaderEpoch(span, partitionLeaderEpoch);
        span[RecordBatchHeader.MagicOffset] = RecordBatchHeader.CurrentMagic;
        RecordBatchHeader.SetAttributes(span, attributes);
        BinaryPrimitives.WriteInt32BigEndian(span[RecordBatchHeader.LastOffsetDeltaOffset..], lastOffsetDelta ?? Math.Max(records.Count - 1, 0));
        RecordBatchHeader.SetBaseTimestamp(span, baseTimestamp);
        RecordBatchHeader.SetMaxTimestamp(span, maxTimestamp ?? (records.Count == 0 ? baseTimestamp : max));
        BinaryPrimitives.WriteInt64BigEndian(span[RecordBatchHeader.ProducerIdOffset..], producerId);
        BinaryPrimitives.WriteInt16BigEndian(span[RecordBatchHeader.ProducerEpochOffset..], producerEpoch);
        BinaryPrimitives.WriteInt32BigEndian(span[RecordBatchHeader.BaseSequenceOffset..], baseSequence);
        BinaryPrimitives.WriteInt32BigEndian(span[RecordBatchHeader.RecordCountOffset..], records.Count);
        body.CopyTo(batch, RecordBatchHeader.Size);
        RecordBatchHeader.UpdateCrc(span);
        return batch;
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

    /// <summary>A transaction marker (control batch with one COMMIT or ABORT record).</summary>
    public static byte[] Marker(long producerId, short producerEpoch, bool commit, long timestamp = BaseTimestamp)
    {
        byte[] key = new byte[4];
        BinaryPrimitives.WriteInt16BigEndian(key.AsSpan(2), (short)(commit ? 1 : 0));
        byte[] value = new byte[6];
        return Build([new TestRecord(key, value)], baseTimestamp: timestamp, attributes: RecordBatchAttributes.Control | RecordBatchAttributes.Transactional, producerId: producerId, producerEpoch: producerEpoch);
    }

    public static byte[] Concat(params byte[][] batches) => batches.SelectMany(b => b).ToArray();

    private static void WriteBytes(List<byte> output, byte[]? bytes)
    {
        if (bytes is null)
        {
            WriteVarLong(output, -1);
            return;
        }

        WriteVarLong(output, bytes.Length);
        output.AddRange(bytes);
    }

    private static void WriteVarLong(List<byte> output, long value)
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
    /// <summary>Splits <paramref name="data"/> into batches and decodes their (uncompressed) records; fails on anything malformed.</summary>
    public static List<ParsedBatch> Parse(ReadOnlySpan<byte> data)
    {
        var result = new List<ParsedBatch>();
        int position = 0;
        while (position < data.Length)
        {
            var rest = data[position..];
            Assert.True(rest.Length >= RecordBatchHeader.Size, $"partial batch header at {position}");
            int size = RecordBatchHeader.TotalSize(rest);
            Assert.True(size <= rest.Length, $"partial batch at {position}");
            var batch = rest[..size];
            long baseOffset = RecordBatchHeader.BaseOffset(batch);
            long baseTimestamp = RecordBatchHeader.BaseTimestamp(batch);
            var records = new List<ParsedRecord>();
            int count = RecordBatchHeader.RecordCount(batch);
            ReadOnlySpan<byte> recordBytes = batch[RecordBatchHeader.Size..];
            if (((int)RecordBatchHeader.Attributes(batch) & 7) == (int)CompressionType.Gzip)
            {
                var plain = new System.Buffers.ArrayBufferWriter<byte>();
                GzipCodec.Instance.Decompress(CompressionType.Gzip, recordBytes, plain);
                recordBytes = plain.WrittenSpan;
            }

            int p = 0;
            for (int i = 0; i < count; i++)
            {
                long length = ReadVarLong(recordBytes, ref p);
                int end = p + (int)length;
                p++; // attributes
                long tsDelta = ReadVarLong(recordBytes, ref p);
                long offsetDelta = ReadVarLong(recordBytes, ref p);
                byte[]? key = ReadBytes(recordBytes, ref p);
                byte[]? value = ReadBytes(recordBytes, ref p);
                p = end;
                records.Add(new ParsedRecord(baseOffset + offsetDelta, baseTimestamp + tsDelta, key, value));
            }

            Assert.Equal(recordBytes.Length, p);
            result.Add(new ParsedBatch(
                baseOffset,
                RecordBatchHeader.LastOffset(batch),
                RecordBatchHeader.PartitionLeaderEpoch(batch),
                RecordBatchHeader.Attributes(batch),
                baseTimestamp,
                RecordBatchHeader.MaxTimestamp(batch),
                RecordBatchHeader.ProducerId(batch),
                RecordBatchHeader.IsCrcValid(batch),
                records,
                batch.ToArray()));
            position += size;
        }

        return result;
    }

    private static byte[]? ReadBytes(ReadOnlySpan<byte> data, ref int position)
    {
        long length = ReadVarLong(data, ref position);
        if (length < 0)
        {
            return null;
        }

        byte[] bytes = data.Slice(position, (int)length).ToArray();
        position += (int)length;
        return bytes;
    }

    private static long ReadVarLong(ReadOnlySpan<byte> data, ref int position)
    {
        ulong raw = 0;
        int shift = 0;
        while (true)
        {
            byte b = data[position++];
            raw |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                break;
            }

            shift += 7;
        }

        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }
}

/// <summary>Gzip through System.IO.Compression: enough of an <see cref="IRecordsCodec"/> to test compressed compaction.</summary>
public sealed class GzipCodec : IRecordsCodec
{
    public static readonly GzipCodec Instance = new();

    public void Decompress(CompressionType type, ReadOnlySpan<byte> compressed, System.Buffers.IBufferWriter<byte> output)
    {
        Assert.Equal(CompressionType.Gzip, type);
        using var input = new System.IO.Compression.GZipStream(new MemoryStream(compressed.ToArray()), System.IO.Compression.CompressionMode.Decompress);
        using var buffer = new MemoryStream();
        input.CopyTo(buffer);
        output.Write(buffer.ToArray());
    }

    public void Compress(CompressionType type, ReadOnlySpan<byte> records, System.Buffers.IBufferWriter<byte> output)
    {
        Assert.Equal(CompressionType.Gzip, type);
        using var buffer = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(buffer, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(records);
        }

        output.Write(buffer.ToArray());
    }
}
