using Chronik.Broker.Coordinators;
using Chronik.Broker.Groups.Records;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Wire;
using Microsoft.Extensions.Logging;

namespace Chronik.Broker.Groups.Runtime;

/// <summary>
/// The group coordinator of this node: one <see cref="GroupCoordinatorShard"/> per __consumer_offsets
/// partition this node leads, run by the shared <see cref="CoordinatorRuntime{TShard, TRecord}"/> (load on
/// election, NOT_COORDINATOR on resignation, append-then-answer, timers).
/// </summary>
public sealed class GroupCoordinator : IAsyncDisposable
{
    private readonly CoordinatorRuntime<GroupCoordinatorShard, CoordinatorRecord> _runtime;
    private readonly Func<MetadataImage> _image;

    public GroupCoordinator(
        GroupCoordinatorOptions options,
        int nodeId,
        ICoordinatorLogProvider logs,
        Func<MetadataImage> image,
        TimeProvider? time = null,
        ILogger<GroupCoordinator>? logger = null,
        int? randomSeed = null)
    {
        Options = options;
        _image = image;
        TimeProvider clock = time ?? TimeProvider.System;
        _runtime = new CoordinatorRuntime<GroupCoordinatorShard, CoordinatorRecord>(
            InternalTopics.ConsumerOffsets,
            nodeId,
            logs,
            image,
            (partition, _) => new GroupCoordinatorShard(partition, options, clock, randomSeed is { } seed ? new Random(seed + partition) : new Random(), image),
            GroupRecordSerde.Instance,
            clock,
            (ILogger?)logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
    }

    public GroupCoordinatorOptions Options { get; }

    /// <summary>Partitions of __consumer_offsets once it exists (its real count), else the configured count.</summary>
    public int PartitionCount => _image().GetTopic(InternalTopics.ConsumerOffsets)?.Partitions.Count is > 0 and var count ? count : Options.OffsetsTopicNumPartitions;

    /// <summary>The __consumer_offsets partition that owns <paramref name="groupId"/>.</summary>
    public int PartitionFor(string groupId) => CoordinatorPartitioner.PartitionFor(groupId, PartitionCount);

    /// <summary>The state of a partition's coordinator on this node.</summary>
    public CoordinatorPartitionState StateOf(int partition) => _runtime.StateOf(partition);

    /// <summary>Partitions this node currently serves (for ListGroups, which every broker answers for its own).</summary>
    public IReadOnlyList<int> ActivePartitions => _runtime.ActivePartitions;

    /// <summary>Follows the metadata: loads the __consumer_offsets partitions this node leads and unloads the others.</summary>
    public void OnMetadataUpdate(MetadataImage image) => _runtime.OnMetadataUpdate(image);

    /// <summary>
    /// Runs <paramref name="operation"/> on the shard owning <paramref name="groupId"/>; its answer comes
    /// back once the records it wrote are durable. When this node does not serve the group (or the write
    /// fails) the answer is <paramref name="error"/> of NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS.
    /// </summary>
    public Task<T> ExecuteAsync<T>(string groupId, Func<GroupCoordinatorShard, T> operation, Func<ErrorCode, T> error) =>
        _runtime.ExecuteOnPartitionAsync(PartitionFor(groupId), operation, error);

    /// <summary>As <see cref="ExecuteAsync{T}(string, Func{GroupCoordinatorShard, T}, Func{ErrorCode, T})"/> for operations answering later (JoinGroup, SyncGroup).</summary>
    public async Task<T> ExecuteAsync<T>(string groupId, Func<GroupCoordinatorShard, Task<T>> operation, Func<ErrorCode, T> error)
    {
        Task<T> pending = await _runtime.ExecuteOnPartitionAsync(PartitionFor(groupId), operation, e => Task.FromResult(error(e))).ConfigureAwait(false);
        return await pending.ConfigureAwait(false);
    }

    public Task<T> ExecuteOnPartitionAsync<T>(int partition, Func<GroupCoordinatorShard, T> operation, Func<ErrorCode, T> error) =>
        _runtime.ExecuteOnPartitionAsync(partition, operation, error);

    /// <summary>
    /// Writes the transaction marker a transaction coordinator sent for __consumer_offsets-<paramref name="partition"/>
    /// (WriteTxnMarkers) through this partition's shard, so it is ordered with the shard's own writes, and makes the
    /// producer's pending transactional offsets visible (commit) or drops them (abort) once it is durable. Errors:
    /// NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS when this node does not serve the partition now.
    /// </summary>
    public Task<ErrorCode> CompleteTransactionAsync(int partition, long producerId, short producerEpoch, bool committed, int coordinatorEpoch) =>
        _runtime.ExecuteOnPartitionAsync(partition, shard => shard.CompleteTransaction(producerId, producerEpoch, committed, coordinatorEpoch), e => e);

    public ValueTask DisposeAsync() => _runtime.DisposeAsync();
}
