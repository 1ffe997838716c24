using System.Text;

namespace Chronik.Protocol.Records;

/// <summary>
/// One record of a v2 batch, as spans into the batch (or its decompressed records). Valid only while
/// that buffer is. The reader has already checked every length in it, headers included, so nothing here fails.
/// </summary>
public readonly ref struct RecordView
{
    private readonly ReadOnlySpan<byte> _headers;

    internal RecordView(
        int sizeInBytes,
        byte attributes,
        long timestampDelta,
        int offsetDelta,
        long offset,
        long timestamp,
        ReadOnlySpan<byte> key,
        bool isKeyNull,
        ReadOnlySpan<byte> value,
        bool isValueNull,
        int headerCount,
        ReadOnlySpan<byte> headers)
    {
        SizeInBytes = sizeInBytes;
        Attributes = attributes;
        TimestampDelta = timestampDelta;
        OffsetDelta = offsetDelta;
        Offset = offset;
        Timestamp = timestamp;
        Key = key;
        IsKeyNull = isKeyNull;
        Value = value;
        IsValueNull = isValueNull;
        HeaderCount = headerCount;
        _headers = headers;
    }

    /// <summary>Encoded size, including the leading length varint.</summary>
    public int SizeInBytes { get; }

    /// <summary>Record attributes (unused by Kafka so far, always 0 when written).</summary>
    public byte Attributes { get; }

    public long TimestampDelta { get; }

    public int OffsetDelta { get; }

    /// <summary>Absolute offset: the batch's base offset plus <see cref="OffsetDelta"/>.</summary>
    public long Offset { get; }

    /// <summary>Absolute timestamp: base timestamp plus delta, or the batch's max timestamp when it is LogAppendTime.</summary>
    public long Timestamp { get; }

    /// <summary>The key bytes; empty when <see cref="IsKeyNull"/>.</summary>
    public ReadOnlySpan<byte> Key { get; }

    public bool IsKeyNull { get; }

    /// <summary>The value bytes; empty when <see cref="IsValueNull"/> (a tombstone).</summary>
    public ReadOnlySpan<byte> Value { get; }

    public bool IsValueNull { get; }

    public int HeaderCount { get; }

    /// <summary>The encoded headers (without their count), for copying a record without re-encoding them.</summary>
    public ReadOnlySpan<byte> RawHeaders => _headers;

    public RecordHeaderEnumerator Headers => new(_headers, HeaderCount);
}

/// <summary>One record header: a UTF-8 key (never null) and a nullable value.</summary>
public readonly ref struct RecordHeaderView
{
    internal RecordHeaderView(ReadOnlySpan<byte> keyUtf8, ReadOnlySpan<byte> value, bool isValueNull)
    {
        KeyUtf8 = keyUtf8;
        Value = value;
        IsValueNull = isValueNull;
    }

    public ReadOnlySpan<byte> KeyUtf8 { get; }

    /// <summary>The key decoded (allocates).</summary>
    public string Key => Encoding.UTF8.GetString(KeyUtf8);

    public ReadOnlySpan<byte> Value { get; }

    public bool IsValueNull { get; }
}

/// <summary>Enumerates headers the reader already validated.</summary>
public ref struct RecordHeaderEnumerator
{
    private ReadOnlySpan<byte> _rest;
    private int _remaining;

    internal RecordHeaderEnumerator(ReadOnlySpan<byte> headers, int count)
    {
        _rest = headers;
        _remaining = count;
        Current = default;
    }

    public RecordHeaderView Current { get; private set; }

    public readonly RecordHeaderEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_remaining == 0)
        {
            return false;
        }

        // Validated by RecordReader: these reads cannot fail.
        RecordVarint.TryReadInt32(_rest, out int keyLength, out int read);
        _rest = _rest[read..];
        ReadOnlySpan<byte> key = _rest[..keyLength];
        _rest = _rest[keyLength..];
        RecordVarint.TryReadInt32(_rest, out int valueLength, out read);
        _rest = _rest[read..];
        bool isNull = valueLength < 0;
        ReadOnlySpan<byte> value = isNull ? default : _rest[..valueLength];
        _rest = _rest[value.Length..];
        _remaining--;
        Current = new RecordHeaderView(key, value, isNull);
        return true;
    }
}
