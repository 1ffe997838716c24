using Chronik.Broker.Partitions;
using Chronik.Storage;

namespace Chronik.Broker.Groups.Runtime;

/// <summary>
/// <see cref="ICoordinatorLog"/> over a __consumer_offsets <see cref="Partition"/> this node leads: appends
/// go through the partition as any leader append (stamped with the partition's own leader epoch), and a
/// write counts once the high watermark passes it — durable on a single node, replicated to the ISR in a
/// cluster — so a coordinator never answers from state a failover could lose. Loading replays only
/// committed records: it waits for the high watermark to reach the log end (a new leader's lags at first).
/// </summary>
public sealed class PartitionCoordinatorLog(Partition partition) : ICoordinatorLog
{
    public long LogStartOffset => partition.LogStartOffset;

    public long LogEndOffset => partition.LogEndOffset;

    public long Append(ReadOnlyMemory<byte> batches, int leaderEpoch) =>
        partition.AppendAsLeader(batches, requiredAcks: -1, AppendOrigin.Coordinator).LastOffset;

    public ValueTask WaitForDurabilityAsync(long offset, CancellationToken cancellationToken) =>
        partition.WaitForHighWatermarkAsync(offset + 1, cancellationToken);

    public ReadOnlyMemory<byte> Read(long offset, int maxBytes) =>
        partition.Read(offset, maxBytes, FetchIsolation.LogEnd, minOneBatch: true).ToArray();

    public async ValueTask<long> WaitForCommittedEndAsync(CancellationToken cancellationToken)
    {
        // Nothing else writes while the coordinator loads: once the high watermark reached the log end as it is now
        // (at least the start of this leader's epoch), everything up to there is committed.
        long end = partition.LogEndOffset;
        await partition.WaitForHighWatermarkAsync(end, cancellationToken).ConfigureAwait(false);
        return end;
    }
}

/// <summary>The __consumer_offsets partitions as the <see cref="ReplicaManager"/> hosts them; only led ones are written.</summary>
public sealed class ReplicaManagerCoordinatorLogProvider(ReplicaManager replicas) : ICoordinatorLogProvider
{
    public ICoordinatorLog? GetLog(int partition) =>
        replicas.GetPartition(new TopicPartition(InternalTopics.ConsumerOffsets, partition)) is { IsLeader: true } hosted
            ? new PartitionCoordinatorLog(hosted)
            : null;
}
