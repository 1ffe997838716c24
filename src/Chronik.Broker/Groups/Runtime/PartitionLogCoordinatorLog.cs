using Chronik.Cluster.Metadata;
using Chronik.Storage;

namespace Chronik.Broker.Groups.Runtime;

/// <summary>
/// <see cref="ICoordinatorLog"/> over a local <see cref="PartitionLog"/>: appends with origin Coordinator,
/// durability is the log's group fsync. Until partition replication serves __consumer_offsets, the
/// coordinator's own durable writes advance the partition's high watermark (a single replica's rule:
/// never past what is on disk), so Fetch can serve them.
/// </summary>
public sealed class PartitionLogCoordinatorLog(PartitionLog log) : ICoordinatorLog
{
    public long LogStartOffset => log.LogStartOffset;

    public long LogEndOffset => log.LogEndOffset;

    public long Append(ReadOnlyMemory<byte> batches, int leaderEpoch) => log.Append(batches, leaderEpoch, AppendOrigin.Coordinator).LastOffset;

    public async ValueTask WaitForDurabilityAsync(long offset, CancellationToken cancellationToken)
    {
        await log.WaitForFlushAsync(offset, cancellationToken).ConfigureAwait(false);
        log.UpdateHighWatermark(Math.Min(log.LogEndOffset, log.RecoveryPoint));
    }

    public ReadOnlyMemory<byte> Read(long offset, int maxBytes) => log.Read(offset, maxBytes).ToArray();
}

/// <summary>
/// Opens __consumer_offsets partitions in the node's <see cref="LogManager"/> with the topic's configs
/// from the metadata image (cleanup.policy=compact, its segment size), so compaction keeps the partition
/// to the latest record per key.
/// </summary>
public sealed class LogManagerCoordinatorLogProvider(LogManager logs, Func<MetadataImage> image) : ICoordinatorLogProvider
{
    public ICoordinatorLog? GetLog(int partition)
    {
        MetadataImage current = image();
        if (current.GetTopic(InternalTopics.ConsumerOffsets) is null)
        {
            return null;
        }

        LogConfig config = LogConfig.Parse(current.GetConfigs(ConfigResource.ForTopic(InternalTopics.ConsumerOffsets)).Select(c => new KeyValuePair<string, string?>(c.Key, c.Value)));
        return new PartitionLogCoordinatorLog(logs.GetOrCreateLog(new TopicPartition(InternalTopics.ConsumerOffsets, partition), config));
    }
}
