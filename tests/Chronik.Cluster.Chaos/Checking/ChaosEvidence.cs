namespace Chronik.Cluster.Chaos.Checking;

/// <summary>Everything a chaos run collected for the checker.</summary>
public sealed class ChaosEvidence
{
    /// <summary>Partitions of the chaos topic (record n of any producer belongs to partition n mod this).</summary>
    public required int PartitionCount { get; init; }

    /// <summary>Every producer that wrote to the topic (the checker rejects records of any other).</summary>
    public required IReadOnlyList<ProducerHistory> Producers { get; init; }

    /// <summary>The whole topic read after the run, from each partition's log start offset up to its high watermark.</summary>
    public required IReadOnlyList<LogRecord> FinalLog { get; init; }

    /// <summary>Log start offset per partition when the final read began (0 here: nothing is deleted).</summary>
    public required IReadOnlyDictionary<int, long> LogStartOffsets { get; init; }

    /// <summary>High watermark per partition the final read went up to.</summary>
    public required IReadOnlyDictionary<int, long> HighWatermarks { get; init; }

    /// <summary>What the group consumer read during the run (committed data: it must still be there, unchanged).</summary>
    public IReadOnlyList<LogRecord> ConsumedDuringRun { get; init; } = [];

    /// <summary>Every offset commit the group consumer attempted, in order.</summary>
    public IReadOnlyList<CommitAttempt> Commits { get; init; } = [];

    /// <summary>
    /// Each node's own copy of the topic (node id → records), read from its data directory after every
    /// replica was back in the ISR and the nodes stopped; empty when not collected.
    /// </summary>
    public IReadOnlyDictionary<int, IReadOnlyList<LogRecord>> Replicas { get; init; } = new Dictionary<int, IReadOnlyList<LogRecord>>();

    /// <summary>OffsetFetch of the group after the run: partition → committed offset (absent: none).</summary>
    public IReadOnlyDictionary<int, long> CommittedAfterRun { get; init; } = new Dictionary<int, long>();
}
