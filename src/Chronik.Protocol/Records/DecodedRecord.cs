namespace Chronik.Protocol.Records;

/// <summary>A record header: a key (never null) and a nullable value.</summary>
public readonly record struct RecordHeader(string Key, byte[]? Value);

/// <summary>
/// A decoded record with its own copies of key, value and headers: the convenient form for tests, tools,
/// coordinators and indexing. Hot paths read <see cref="RecordView"/>s instead.
/// </summary>
public sealed class DecodedRecord
{
    public DecodedRecord(long offset, long timestamp, byte[]? key, byte[]? value, IReadOnlyList<RecordHeader> headers)
    {
        Offset = offset;
        Timestamp = timestamp;
        Key = key;
        Value = value;
        Headers = headers;
    }

    public long Offset { get; }

    /// <summary>Milliseconds since the epoch, or -1 when the record has none (magic 0).</summary>
    public long Timestamp { get; }

    public byte[]? Key { get; }

    public byte[]? Value { get; }

    public IReadOnlyList<RecordHeader> Headers { get; }

    /// <summary>Copies a record view out of its buffer.</summary>
    public static DecodedRecord From(RecordView view)
    {
        RecordHeader[] headers = view.HeaderCount == 0 ? [] : new RecordHeader[view.HeaderCount];
        int i = 0;
        foreach (RecordHeaderView header in view.Headers)
        {
            headers[i++] = new RecordHeader(header.Key, header.IsValueNull ? null : header.Value.ToArray());
        }

        return new DecodedRecord(
            view.Offset,
            view.Timestamp,
            view.IsKeyNull ? null : view.Key.ToArray(),
            view.IsValueNull ? null : view.Value.ToArray(),
            headers);
    }
}
