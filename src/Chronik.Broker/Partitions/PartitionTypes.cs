using Chronik.Protocol.Wire;

namespace Chronik.Broker.Partitions;

/// <summary>This broker's role for a partition, as the metadata image assigns it.</summary>
public enum PartitionRole
{
    /// <summary>The image names this broker leader: it takes produce requests and serves fetches.</summary>
    Leader,

    /// <summary>A replica that is not the leader; replication (the cluster issue) feeds its log.</summary>
    Follower,
}

/// <summary>How far a fetch may read (Kafka's FetchIsolation).</summary>
public enum FetchIsolation
{
    /// <summary>Up to the log end offset: followers.</summary>
    LogEnd,

    /// <summary>Up to the high watermark: consumers with read_uncommitted.</summary>
    HighWatermark,

    /// <summary>Up to the last stable offset: consumers with read_committed.</summary>
    TxnCommitted,
}

/// <summary>
/// Notified when a partition's readable state changes: new data below the high watermark, new data at all
/// (followers), or a change that ends a wait with an error (leadership moved, partition deleted, log start moved).
/// Called on the thread that made the change; implementations must be quick and must not block.
/// </summary>
public interface IPartitionListener
{
    void OnPartitionChanged(Partition partition);
}

/// <summary>A data-path request on a partition failed with a Kafka error (not leader, not enough replicas, ...).</summary>
public sealed class PartitionException(ErrorCode errorCode, string message) : Exception(message)
{
    public ErrorCode ErrorCode { get; } = errorCode;
}

/// <summary>Where a leader sends the ISR changes it proposes (Kafka's AlterPartitionManager); the answer comes back through <see cref="Partition.CompleteIsrChange"/>.</summary>
public interface IIsrChangeSender
{
    void Submit(Partition partition, PendingIsrChange change);
}

/// <summary>What a hosted partition needs from the replication layer when it leads.</summary>
/// <param name="IsEligible">Whether a broker may join the ISR, given the broker epoch its fetches carried (registered, unfenced, same epoch).</param>
/// <param name="IsrChanges">Where ISR changes go; null when this broker cannot reach a controller (changes are then not proposed).</param>
/// <param name="ReplicaLagTimeMaxMs">replica.lag.time.max.ms.</param>
public sealed record ReplicationServices(Func<int, long?, bool> IsEligible, IIsrChangeSender? IsrChanges, long ReplicaLagTimeMaxMs)
{
    /// <summary>No other broker to talk to: everyone is eligible, ISR changes are not proposed.</summary>
    public static ReplicationServices Standalone { get; } = new((_, _) => true, null, 30_000);
}
