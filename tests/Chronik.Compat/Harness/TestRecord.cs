namespace Chronik.Compat.Harness;

/// <summary>A record header as produced and consumed: name and value bytes (a null value is allowed by Kafka).</summary>
public sealed record TestHeader(string Name, byte[]? Value);

/// <summary>
/// One record a client produces. <see cref="Timestamp"/> is the explicit CreateTime in ms, or null
/// when the client stamps records itself (kcat).
/// </summary>
public sealed record TestRecord(int Index, byte[] Key, byte[] Value, IReadOnlyList<TestHeader> Headers, long? Timestamp);

/// <summary>Kafka's timestamp types as clients report them.</summary>
public enum TimestampKind
{
    NotAvailable,
    CreateTime,
    LogAppendTime,
}

/// <summary>One record as a client consumed it.</summary>
public sealed record ConsumedRecord(
    int Partition,
    long Offset,
    long Timestamp,
    TimestampKind TimestampKind,
    byte[]? Key,
    byte[]? Value,
    IReadOnlyList<TestHeader> Headers);
