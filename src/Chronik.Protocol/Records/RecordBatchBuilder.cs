using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Chronik.Protocol.Compression;

namespace Chronik.Protocol.Records;

/// <summary>
/// Builds one record batch (magic 2): records are varint-encoded into a pooled buffer as they are
/// appended; <see cref="WriteTo"/> compresses them if asked, writes the 61-byte header and the CRC-32C.
/// Defaults match a plain, non-idempotent producer batch. Set header properties before the first append
/// where noted. Not thread-safe; dispose to return the pooled buffer.
/// </summary>
public sealed class RecordBatchBuilder : IDisposable
{
    private readonly PooledBufferWriter _records = new(1024);
    private long? _baseTimestamp;
    private long? _deleteHorizonMs;
    private long _maxTimestamp = RecordBatchHeader.NoTimestamp;
    private int _lastOffsetDelta = -1;
    private int _count;

    public RecordBatchBuilder(CompressionType compression = CompressionType.None)
    {
        if (!CompressionCodecs.IsKnown(compression))
        {
            throw new ArgumentOutOfRangeException(nameof(compression), compression, "Unknown compression type.");
        }

        Compression = compression;
    }

    public CompressionType Compression { get; }

    public long BaseOffset { get; set; }

    public int PartitionLeaderEpoch { get; set; } = RecordBatchHeader.NoPartitionLeaderEpoch;

    public bool IsTransactional { get; set; }

    /// <summary>A control batch (KIP-98): its records are control records, see <see cref="ControlRecords"/>.</summary>
    public bool IsControl { get; set; }

    public long ProducerId { get; set; } = RecordBatchHeader.NoProducerId;

    public short ProducerEpoch { get; set; } = RecordBatchHeader.NoProducerEpoch;

    public int BaseSequence { get; set; } = RecordBatchHeader.NoSequence;

    /// <summary>
    /// When set, the batch is LogAppendTime and this is its max timestamp (the time every record reads as);
    /// when null, the batch is CreateTime and the max timestamp is the largest record timestamp.
    /// </summary>
    public long? LogAppendTime { get; set; }

    /// <summary>
    /// The base timestamp that record timestamps are relative to. Defaults to the first record's timestamp
    /// (as Kafka's MemoryRecordsBuilder does); set it before the first append to choose another.
    /// </summary>
    public long? BaseTimestamp
    {
        get => _baseTimestamp;
        set
        {
            ThrowIfRecordsAppended("base timestamp");
            _baseTimestamp = value;
        }
    }

    /// <summary>
    /// KIP-534: the time after which a log cleaner may remove this batch's tombstones and transaction markers.
    /// When set, the batch carries the DeleteHorizon attribute and its base timestamp is the horizon, which
    /// record timestamps are then relative to (Kafka's MemoryRecordsBuilder deleteHorizonMs); it overrides
    /// <see cref="BaseTimestamp"/>. Set it before the first append.
    /// </summary>
    public long? DeleteHorizonMs
    {
        get => _deleteHorizonMs;
        set
        {
            ThrowIfRecordsAppended("delete horizon");
            _deleteHorizonMs = value;
        }
    }

    /// <summary>
    /// Overrides the last offset delta, which otherwise is the last record's offset delta: for batches whose
    /// trailing offsets were removed by compaction, or empty batches that keep an offset range. Must not be
    /// below the last record's delta.
    /// </summary>
    public int? LastOffsetDelta { get; set; }

    public int RecordCount => _count;

    /// <summary>The offset delta <see cref="Append(long, byte[], byte[], IReadOnlyList{RecordHeader})"/> uses next.</summary>
    public int NextOffsetDelta => _lastOffsetDelta + 1;

    /// <summary>Appends a record at the next offset.</summary>
    public void Append(long timestamp, byte[]? key, byte[]? value, IReadOnlyList<RecordHeader>? headers = null) =>
        Append(NextOffsetDelta, timestamp, key, value, headers);

    /// <summary>Appends a record at an explicit offset delta, which must exceed the previous one.</summary>
    public void Append(int offsetDelta, long timestamp, byte[]? key, byte[]? value, IReadOnlyList<RecordHeader>? headers = null)
    {
        int headerCount = headers?.Count ?? 0;
        int headersSize = 0;
        for (int i = 0; i < headerCount; i++)
        {
            headersSize += EncodedSize(headers![i]);
        }

        Span<byte> destination = BeginRecord(offsetDelta, timestamp, key, key is null, value, value is null, headerCount, headersSize, out int position);
        for (int i = 0; i < headerCount; i++)
        {
            position += WriteHeader(destination[position..], headers![i]);
        }

        _records.Advance(position);
    }

    /// <summary>Appends a record from spans; the null flags say whether key and value are null rather than empty.</summary>
    public void Append(int offsetDelta, long timestamp, ReadOnlySpan<byte> key, bool keyIsNull, ReadOnlySpan<byte> value, bool valueIsNull, ReadOnlySpan<RecordHeader> headers = default)
    {
        int headersSize = 0;
        foreach (RecordHeader header in headers)
        {
            headersSize += EncodedSize(header);
        }

        Span<byte> destination = BeginRecord(offsetDelta, timestamp, key, keyIsNull, value, valueIsNull, headers.Length, headersSize, out int position);
        foreach (RecordHeader header in headers)
        {
            position += WriteHeader(destination[position..], header);
        }

        _records.Advance(position);
    }

    /// <summary>
    /// Copies a record read from another batch (compaction, conversion) at a new offset delta and absolute
    /// timestamp; its headers are copied as encoded, without decoding them.
    /// </summary>
    public void Append(int offsetDelta, long timestamp, RecordView record)
    {
        Span<byte> destination = BeginRecord(offsetDelta, timestamp, record.Key, record.IsKeyNull, record.Value, record.IsValueNull, record.HeaderCount, record.RawHeaders.Length, out int position);
        record.RawHeaders.CopyTo(destination[position..]);
        _records.Advance(position + record.RawHeaders.Length);
    }

    /// <summary>Writes the complete batch to <paramref name="output"/> and returns its size.</summary>
    public int WriteTo(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        int lastOffsetDelta = LastOffsetDelta ?? Math.Max(_lastOffsetDelta, 0);
        if (lastOffsetDelta < _lastOffsetDelta)
        {
            throw new InvalidOperationException($"LastOffsetDelta {lastOffsetDelta} is below the last record's offset delta {_lastOffsetDelta}.");
        }

        PooledBufferWriter? compressed = null;
        try
        {
            ReadOnlySpan<byte> records = _records.WrittenSpan;
            if (Compression != CompressionType.None)
            {
                compressed = new PooledBufferWriter((records.Length / 2) + 64);
                CompressionCodecs.Compress(Compression, records, compressed);
                records = compressed.WrittenSpan;
            }

            int total = checked(RecordBatchHeader.Size + records.Length);
            Span<byte> batch = output.GetSpan(total)[..total];
            long baseTimestamp = _deleteHorizonMs ?? _baseTimestamp ?? RecordBatchHeader.NoTimestamp;
            long maxTimestamp = LogAppendTime ?? (_count == 0 ? baseTimestamp : _maxTimestamp);

            BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatchHeader.BaseOffsetOffset..], BaseOffset);
            BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatchHeader.BatchLengthOffset..], total - RecordBatchHeader.LogOverhead);
            BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatchHeader.PartitionLeaderEpochOffset..], PartitionLeaderEpoch);
            batch[RecordBatchHeader.MagicOffset] = RecordBatchHeader.CurrentMagic;
            BinaryPrimitives.WriteInt16BigEndian(batch[RecordBatchHeader.AttributesOffset..], (short)Attributes());
            BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatchHeader.LastOffsetDeltaOffset..], lastOffsetDelta);
            BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatchHeader.BaseTimestampOffset..], baseTimestamp);
            BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatchHeader.MaxTimestampOffset..], maxTimestamp);
            BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatchHeader.ProducerIdOffset..], ProducerId);
            BinaryPrimitives.WriteInt16BigEndian(batch[RecordBatchHeader.ProducerEpochOffset..], ProducerEpoch);
            BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatchHeader.BaseSequenceOffset..], BaseSequence);
            BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatchHeader.RecordCountOffset..], _count);
            records.CopyTo(batch[RecordBatchHeader.Size..]);
            RecordBatchHeader.SetCrc(batch, Crc32C.Compute(batch[RecordBatchHeader.CrcCoveredFrom..]));
            output.Advance(total);
            return total;
        }
        finally
        {
            compressed?.Dispose();
        }
    }

    /// <summary>The complete batch as a new array.</summary>
    public byte[] Build()
    {
        using var output = new PooledBufferWriter(RecordBatchHeader.Size + _records.WrittenCount);
        WriteTo(output);
        return output.ToArray();
    }

    /// <summary>Drops the appended records and the timestamps derived from them; header properties stay.</summary>
    public void Clear()
    {
        _records.Clear();
        _baseTimestamp = null;
        _maxTimestamp = RecordBatchHeader.NoTimestamp;
        _lastOffsetDelta = -1;
        _count = 0;
    }

    public void Dispose() => _records.Dispose();

    private void ThrowIfRecordsAppended(string property)
    {
        if (_count > 0)
        {
            throw new InvalidOperationException($"The {property} is fixed once records are appended.");
        }
    }

    private RecordBatchAttributes Attributes()
    {
        var attributes = (RecordBatchAttributes)(short)Compression;
        if (LogAppendTime.HasValue)
        {
            attributes |= RecordBatchAttributes.LogAppendTime;
        }

        if (IsTransactional)
        {
            attributes |= RecordBatchAttributes.Transactional;
        }

        if (IsControl)
        {
            attributes |= RecordBatchAttributes.Control;
        }

        if (_deleteHorizonMs.HasValue)
        {
            attributes |= RecordBatchAttributes.DeleteHorizon;
        }

        return attributes;
    }

    /// <summary>
    /// Reserves space for a whole record, writes everything up to and including the header count, and
    /// returns the reserved span with <paramref name="position"/> where the headers go.
    /// </summary>
    private Span<byte> BeginRecord(int offsetDelta, long timestamp, ReadOnlySpan<byte> key, bool keyIsNull, ReadOnlySpan<byte> value, bool valueIsNull, int headerCount, int headersSize, out int position)
    {
        if (offsetDelta <= _lastOffsetDelta)
        {
            throw new ArgumentOutOfRangeException(nameof(offsetDelta), offsetDelta, $"Offset deltas must increase; the last was {_lastOffsetDelta}.");
        }

        long baseTimestamp = _deleteHorizonMs ?? (_baseTimestamp ??= timestamp);
        long timestampDelta = timestamp - baseTimestamp;
        int keyLength = keyIsNull ? -1 : key.Length;
        int valueLength = valueIsNull ? -1 : value.Length;
        long bodySize = 1L
            + RecordVarint.SizeOf(timestampDelta)
            + RecordVarint.SizeOf(offsetDelta)
            + RecordVarint.SizeOf(keyLength) + Math.Max(keyLength, 0)
            + RecordVarint.SizeOf(valueLength) + Math.Max(valueLength, 0)
            + RecordVarint.SizeOf(headerCount) + headersSize;
        int body = checked((int)bodySize);
        int recordSize = checked(RecordVarint.SizeOf(body) + body);

        Span<byte> destination = _records.GetSpan(recordSize);
        position = RecordVarint.Write(destination, body);
        destination[position++] = 0;
        position += RecordVarint.Write(destination[position..], timestampDelta);
        position += RecordVarint.Write(destination[position..], offsetDelta);
        position += RecordVarint.Write(destination[position..], keyLength);
        key.CopyTo(destination[position..]);
        position += Math.Max(keyLength, 0);
        position += RecordVarint.Write(destination[position..], valueLength);
        value.CopyTo(destination[position..]);
        position += Math.Max(valueLength, 0);
        position += RecordVarint.Write(destination[position..], headerCount);

        _lastOffsetDelta = offsetDelta;
        _count++;
        if (timestamp > _maxTimestamp)
        {
            _maxTimestamp = timestamp;
        }

        return destination;
    }

    private static int EncodedSize(RecordHeader header)
    {
        ArgumentNullException.ThrowIfNull(header.Key);
        int keyLength = Encoding.UTF8.GetByteCount(header.Key);
        int valueLength = header.Value?.Length ?? -1;
        return RecordVarint.SizeOf(keyLength) + keyLength + RecordVarint.SizeOf(valueLength) + Math.Max(valueLength, 0);
    }

    private static int WriteHeader(Span<byte> destination, RecordHeader header)
    {
        int keyLength = Encoding.UTF8.GetByteCount(header.Key);
        int position = RecordVarint.Write(destination, keyLength);
        position += Encoding.UTF8.GetBytes(header.Key, destination[position..]);
        int valueLength = header.Value?.Length ?? -1;
        position += RecordVarint.Write(destination[position..], valueLength);
        if (header.Value is not null)
        {
            header.Value.CopyTo(destination[position..]);
            position += header.Value.Length;
        }

        return position;
    }
}
