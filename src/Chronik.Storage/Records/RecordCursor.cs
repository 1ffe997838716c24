namespace Chronik.Storage.Records;

/// <summary>
/// Walks the records of an uncompressed v2 batch body (the bytes after the 61-byte header) without copying:
/// length, attributes, timestampDelta, offsetDelta, key, value, headers. Malformed input ends the walk with
/// <see cref="Malformed"/> set; it never throws and never reads outside the span.
/// </summary>
internal ref struct RecordCursor
{
    private readonly ReadOnlySpan<byte> _records;
    private int _position;
    private int _remaining;

    public RecordCursor(ReadOnlySpan<byte> records, int recordCount)
    {
        _records = records;
        _remaining = recordCount;
    }

    /// <summary>True once a record did not parse or the count and the bytes disagree.</summary>
    public bool Malformed { get; private set; }

    public bool TryNext(out RecordView record)
    {
        record = default;
        if (_remaining <= 0 || Malformed)
        {
            return false;
        }

        int start = _position;
        int pos = _position;
        if (!Varint.TryReadInt(_records, ref pos, out int length) || length < 0 || length > _records.Length - pos)
        {
            Malformed = true;
            return false;
        }

        int bodyStart = pos;
        int end = pos + length;
        var body = _records[..end];
        if (pos >= end)
        {
            Malformed = true;
            return false;
        }

        pos++; // attributes (unused in v2)
        if (!Varint.TryReadLong(body, ref pos, out long timestampDelta) ||
            !Varint.TryReadInt(body, ref pos, out int offsetDelta))
        {
            Malformed = true;
            return false;
        }

        int keyLengthStart = pos;
        if (!Varint.TryReadInt(body, ref pos, out int keyLength) ||
            keyLength < -1 || keyLength > end - pos)
        {
            Malformed = true;
            return false;
        }

        int keyStart = pos;
        pos += Math.Max(keyLength, 0);
        if (!Varint.TryReadInt(body, ref pos, out int valueLength) || valueLength < -1 || valueLength > end - pos)
        {
            Malformed = true;
            return false;
        }

        record = new RecordView(
            start,
            end - start,
            bodyStart,
            keyLengthStart,
            timestampDelta,
            offsetDelta,
            keyLength >= 0,
            keyLength >= 0 ? _records.Slice(keyStart, keyLength) : default,
            valueLength < 0);
        _position = end;
        _remaining--;
        return true;
    }

    /// <summary>True when every declared record was read and nothing is left over.</summary>
    public readonly bool Complete => !Malformed && _remaining == 0 && _position == _records.Length;
}

/// <summary>One record inside a batch body; positions are relative to the records span.</summary>
internal readonly ref struct RecordView
{
    public RecordView(int start, int size, int bodyStart, int keyLengthStart, long timestampDelta, int offsetDelta, bool hasKey, ReadOnlySpan<byte> key, bool isTombstone)
    {
        Start = start;
        Size = size;
        BodyStart = bodyStart;
        KeyLengthStart = keyLengthStart;
        TimestampDelta = timestampDelta;
        OffsetDelta = offsetDelta;
        HasKey = hasKey;
        Key = key;
        IsTombstone = isTombstone;
    }

    /// <summary>Position of the record's length varint.</summary>
    public int Start { get; }

    /// <summary>Whole record including its length varint.</summary>
    public int Size { get; }

    /// <summary>Position of the attributes byte (after the length varint).</summary>
    public int BodyStart { get; }

    /// <summary>Position of the key length, i.e. the first field after offsetDelta.</summary>
    public int KeyLengthStart { get; }

    public long TimestampDelta { get; }

    public int OffsetDelta { get; }

    public bool HasKey { get; }

    public ReadOnlySpan<byte> Key { get; }

    /// <summary>A null value: a delete marker in a compacted topic.</summary>
    public bool IsTombstone { get; }
}
