namespace Chronik.Compat.Harness;

/// <summary>Offsets of one partition as a client listed them.</summary>
/// <param name="ByTimestamp">For each requested timestamp: the offset the client reported.</param>
public sealed record PartitionOffsets(int Partition, long Earliest, long Latest, IReadOnlyList<TimestampOffset> ByTimestamp);

public sealed record TimestampOffset(long Timestamp, long Offset);

/// <summary>The client's wall-clock interval around a produce run (ms since the epoch).</summary>
public sealed record ProduceOutcome(long StartedMs, long FinishedMs);

/// <summary>
/// One real Kafka client under test. Each operation is done by that client's own API; an operation the
/// client does not have throws <see cref="NotSupportedException"/> (the tests skip those cells visibly).
/// </summary>
public interface ICompatClient
{
    string Name { get; }

    /// <summary>What records this client can express (kcat: text lines, common headers, its own timestamps).</summary>
    RecordShape Shape { get; }

    /// <summary>
    /// What the client reports for a timestamp after the last record: Kafka answers -1; kafkajs's
    /// fetchTopicOffsetsByTimestamp substitutes the high watermark.
    /// </summary>
    bool ReportsLatestWhenNoRecordAtTimestamp { get; }

    Task CreateTopicAsync(string topic, int partitions);

    /// <summary>Produces every record with acks=all and <paramref name="codec"/>; returns once all are acknowledged.</summary>
    Task<ProduceOutcome> ProduceAsync(string topic, Codec codec, RecordSet records);

    /// <summary>Reads every partition of <paramref name="topic"/> from the beginning up to its end offset.</summary>
    Task<IReadOnlyList<ConsumedRecord>> ConsumeAsync(string topic, int expectedCount);

    Task<IReadOnlyList<PartitionOffsets>> ListOffsetsAsync(string topic, IReadOnlyList<long> timestamps);

    Task<IReadOnlyDictionary<string, string?>> DescribeTopicConfigsAsync(string topic);

    Task AlterTopicConfigAsync(string topic, string name, string value);

    Task DeleteTopicAsync(string topic);
}
