namespace Chronik.Broker.Coordinators;

/// <summary>Where a coordinator partition stands on this node.</summary>
public enum CoordinatorPartitionState
{
    /// <summary>Elected: replaying the partition; requests get COORDINATOR_LOAD_IN_PROGRESS.</summary>
    Loading,

    /// <summary>Serving requests.</summary>
    Active,

    /// <summary>Resigned, failed or disposed; requests get NOT_COORDINATOR.</summary>
    Closed,
}

/// <summary>One loaded (or loading) coordinator partition: its shard, its log, its lock and its timer.</summary>
internal sealed class CoordinatorPartition<TShard>
    where TShard : class
{
    public CoordinatorPartition(int partition, int leaderEpoch, ICoordinatorLog log, TShard shard)
    {
        Partition = partition;
        LeaderEpoch = leaderEpoch;
        Log = log;
        Shard = shard;
    }

    public int Partition { get; }

    /// <summary>The partition's leader epoch when this node took it over (a transaction coordinator's epoch).</summary>
    public int LeaderEpoch { get; }

    public ICoordinatorLog Log { get; }

    public TShard Shard { get; }

    /// <summary>Guards the shard: one operation at a time.</summary>
    public object Gate { get; } = new();

    public CoordinatorPartitionState State { get; set; } = CoordinatorPartitionState.Loading;

    public ITimer? Timer { get; set; }

    /// <summary>The offset of the last record this shard appended (-1 before the first): answers wait until it is durable.</summary>
    public long LastWrittenOffset { get; set; } = -1;

    public CancellationTokenSource Closing { get; } = new();
}
