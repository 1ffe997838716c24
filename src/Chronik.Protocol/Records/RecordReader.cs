using System.Diagnostics.CodeAnalysis;
using Chronik.Protocol.Wire;

namespace Chronik.Protocol.Records;

/// <summary>Result of <see cref="RecordReader.TryReadNext"/>.</summary>
public enum RecordReadStatus
{
    Record,
    End,
    Error,
}

/// <summary>
/// Reads the records of one v2 batch from their uncompressed bytes, one <see cref="RecordView"/> at a
/// time, without allocating. Every length is checked against what is left, so a malformed record yields
/// an error (never a read past the data or an allocation sized by the input). Like Kafka's DefaultRecord,
/// it insists that each record's body is exactly as long as its length prefix says, and that the records
/// end exactly after the batch's record count.
/// </summary>
public ref struct RecordReader
{
    private readonly long _baseOffset;
    private readonly long _baseTimestamp;
    private readonly long _logAppendTime;
    private readonly int _recordCount;
    private readonly bool _hasLogAppendTime;
    private ReadOnlySpan<byte> _rest;
    private int _read;

    /// <param name="records">The uncompressed records section.</param>
    /// <param name="recordCount">The batch's record count.</param>
    /// <param name="baseOffset">The batch's base offset.</param>
    /// <param name="baseTimestamp">The batch's base timestamp.</param>
    /// <param name="logAppendTime">The batch's max timestamp if it is LogAppendTime (every record then has
    /// that timestamp), or null for CreateTime.</param>
    public RecordReader(ReadOnlySpan<byte> records, int recordCount, long baseOffset, long baseTimestamp, long? logAppendTime)
    {
        _rest = records;
        _recordCount = recordCount;
        _baseOffset = baseOffset;
        _baseTimestamp = baseTimestamp;
        _logAppendTime = logAppendTime ?? long.MinValue;
        _hasLogAppendTime = logAppendTime.HasValue;
        _read = 0;
        Current = default;
        Error = ErrorCode.None;
        ErrorMessage = null;
    }

    public RecordView Current { get; private set; }

    /// <summary>Records read so far.</summary>
    public readonly int RecordsRead => _read;

    /// <summary>Set when <see cref="TryReadNext"/> returned <see cref="RecordReadStatus.Error"/>.</summary>
    public ErrorCode Error { get; private set; }

    public string? ErrorMessage { get; private set; }

    /// <summary>Reader over the records of an uncompressed batch (the span holds exactly the batch).</summary>
    /// <exception cref="ArgumentException">The batch is compressed; use <see cref="RecordBatchRecords"/>.</exception>
    public static RecordReader ForUncompressedBatch(ReadOnlySpan<byte> batch)
    {
        if (RecordBatchHeader.Compression(batch) != CompressionType.None)
        {
            throw new ArgumentException("The batch is compressed.", nameof(batch));
        }

        return ForRecords(batch, batch[RecordBatchHeader.Size..]);
    }

    /// <summary>Reader over <paramref name="records"/>, the (decompressed) records of <paramref name="batch"/>.</summary>
    public static RecordReader ForRecords(ReadOnlySpan<byte> batch, ReadOnlySpan<byte> records)
    {
        bool logAppendTime = (RecordBatchHeader.Attributes(batch) & RecordBatchAttributes.LogAppendTime) != 0;
        return new RecordReader(
            records,
            RecordBatchHeader.RecordCount(batch),
            RecordBatchHeader.BaseOffset(batch),
            RecordBatchHeader.BaseTimestamp(batch),
            logAppendTime ? RecordBatchHeader.MaxTimestamp(batch) : null);
    }

    public readonly RecordReader GetEnumerator() => this;

    /// <summary>Advances to the next record.</summary>
    /// <exception cref="RecordDecodeException">A malformed record.</exception>
    public bool MoveNext()
    {
        RecordReadStatus status = TryReadNext(out RecordView record);
        if (status == RecordReadStatus.Error)
        {
            throw new RecordDecodeException(Error, ErrorMessage!);
        }

        Current = record;
        return status == RecordReadStatus.Record;
    }

    /// <summary>Reads the next record, or reports the end, or an error (then <see cref="Error"/> says which).</summary>
    public RecordReadStatus TryReadNext(out RecordView record)
    {
        record = default;
        if (Error != ErrorCode.None)
        {
            return RecordReadStatus.Error;
        }

        if (_read == _recordCount)
        {
            return _rest.IsEmpty
                ? RecordReadStatus.End
                : Fail($"Incorrect declared batch size, {_rest.Length} bytes remain after {_recordCount} records.");
        }

        if (_rest.IsEmpty)
        {
            return Fail($"The batch declares {_recordCount} records but holds only {_read}.");
        }

        if (!RecordVarint.TryReadInt32(_rest, out int bodySize, out int prefix))
        {
            return Fail("Invalid record size varint.");
        }

        if (bodySize < 0 || bodySize > _rest.Length - prefix)
        {
            return Fail($"Invalid record size: expected {bodySize} bytes in record payload, but only {_rest.Length - prefix} remain.");
        }

        ReadOnlySpan<byte> body = _rest.Slice(prefix, bodySize);
        if (!TryParseBody(body, out record, prefix + bodySize, out string? error))
        {
            return Fail(error);
        }

        _rest = _rest[(prefix + bodySize)..];
        _read++;
        return RecordReadStatus.Record;
    }

    private readonly bool TryParseBody(ReadOnlySpan<byte> body, out RecordView record, int sizeInBytes, [NotNullWhen(false)] out string? error)
    {
        record = default;
        if (body.IsEmpty)
        {
            error = "Found invalid record structure: empty record.";
            return false;
        }

        byte attributes = body[0];
        int position = 1;
        if (!RecordVarint.TryReadInt64(body[position..], out long timestampDelta, out int read))
        {
            error = "Found invalid record structure: timestamp delta.";
            return false;
        }

        position += read;
        if (!RecordVarint.TryReadInt32(body[position..], out int offsetDelta, out read))
        {
            error = "Found invalid record structure: offset delta.";
            return false;
        }

        position += read;
        if (!TryReadNullableBytes(body, ref position, out ReadOnlySpan<byte> key, out bool keyNull)
            || !TryReadNullableBytes(body, ref position, out ReadOnlySpan<byte> value, out bool valueNull))
        {
            error = "Found invalid record structure: key or value length.";
            return false;
        }

        if (!RecordVarint.TryReadInt32(body[position..], out int headerCount, out read) || headerCount < 0)
        {
            error = "Found invalid number of record headers.";
            return false;
        }

        position += read;
        int headersStart = position;
        for (int i = 0; i < headerCount; i++)
        {
            if (!RecordVarint.TryReadInt32(body[position..], out int keyLength, out read) || keyLength < 0)
            {
                error = "Invalid negative header key size.";
                return false;
            }

            position += read;
            if (keyLength > body.Length - position)
            {
                error = "Header key length exceeds the record.";
                return false;
            }

            position += keyLength;
            if (!TryReadNullableBytes(body, ref position, out _, out _))
            {
                error = "Invalid header value length.";
                return false;
            }
        }

        if (position != body.Length)
        {
            error = $"Invalid record size: expected to read {body.Length} bytes in record payload, but instead read {position}.";
            return false;
        }

        long offset = _baseOffset + offsetDelta;
        long timestamp = _hasLogAppendTime ? _logAppendTime : _baseTimestamp + timestampDelta;
        record = new RecordView(
            sizeInBytes, attributes, timestampDelta, offsetDelta, offset, timestamp,
            key, keyNull, value, valueNull, headerCount, body[headersStart..position]);
        error = null;
        return true;
    }

    private static bool TryReadNullableBytes(ReadOnlySpan<byte> body, scoped ref int position, out ReadOnlySpan<byte> bytes, out bool isNull)
    {
        bytes = default;
        isNull = false;
        if (!RecordVarint.TryReadInt32(body[position..], out int length, out int read))
        {
            return false;
        }

        position += read;
        if (length < 0)
        {
            // Kafka writes -1 for null; any negative length reads as null (DefaultRecord.readFrom).
            isNull = true;
            return true;
        }

        if (length > body.Length - position)
        {
            return false;
        }

        bytes = body.Slice(position, length);
        position += length;
        return true;
    }

    private RecordReadStatus Fail(string message)
    {
        Error = ErrorCode.InvalidRecord;
        ErrorMessage = message;
        return RecordReadStatus.Error;
    }
}
