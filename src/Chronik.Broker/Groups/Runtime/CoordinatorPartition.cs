namespace Chronik.Broker.Groups.Runtime;

/// <summary>Where a __consumer_offsets partition's coordinator stands on this node.</summary>
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
internal sealed class CoordinatorPartition
{
    public CoordinatorPartition(int partition, int leaderEpoch, ICoordinatorLog log, GroupCoordinatorShard shard)
    {
        Partition = partition;
        LeaderEpoch = leaderEpoch;
        Log = log;
        Shard = shard;
    }

    public int Partition { get; }

    public int LeaderEpoch { get; }

    public ICoordinatorLog Log { get; }

    public GroupCoordinatorShard Shard { get; }

    /// <summary>Guards the shard: one operation at a time.</summary>
    public object Gate { get; } = new();

    public CoordinatorPartitionState State { get; set; } = CoordinatorPartitionState.Loading;

    public ITimer? Timer { get; set; }

    public CancellationTokenSource Closing { get; } = new();
}
