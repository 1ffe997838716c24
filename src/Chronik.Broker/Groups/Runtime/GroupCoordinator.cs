using System.Collections.Concurrent;
using Chronik.Broker.Groups.Records;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Wire;
using Microsoft.Extensions.Logging;

namespace Chronik.Broker.Groups.Runtime;

/// <summary>
/// The group coordinator of this node: one <see cref="GroupCoordinatorShard"/> per __consumer_offsets
/// partition this node leads. A partition is loaded by replaying its log when this node becomes its
/// leader (requests meanwhile get COORDINATOR_LOAD_IN_PROGRESS) and unloaded when it stops being the
/// leader (NOT_COORDINATOR). An operation runs under its shard's lock; the records it produced are
/// appended while the lock is held (so the log order is the order of the decisions) and its answers are
/// delivered once those records are durable. An append that fails rebuilds the shard from the log,
/// which is the state that survived.
/// </summary>
public sealed partial class GroupCoordinator : IAsyncDisposable
{
    /// <summary>Bytes read per step while loading a partition.</summary>
    private const int LoadReadBytes = 1024 * 1024;

    private static readonly TimeSpan ElectionRetryDelay = TimeSpan.FromMilliseconds(100);

    private readonly ConcurrentDictionary<int, CoordinatorPartition> _partitions = new();
    private readonly GroupCoordinatorOptions _options;
    private readonly int _nodeId;
    private readonly ICoordinatorLogProvider _logs;
    private readonly Func<MetadataImage> _image;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly int? _randomSeed;
    private readonly object _electionLock = new();
    private bool _disposed;

    public GroupCoordinator(
        GroupCoordinatorOptions options,
        int nodeId,
        ICoordinatorLogProvider logs,
        Func<MetadataImage> image,
        TimeProvider? time = null,
        ILogger<GroupCoordinator>? logger = null,
        int? randomSeed = null)
    {
        _options = options;
        _nodeId = nodeId;
        _logs = logs;
        _image = image;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger<GroupCoordinator>.Instance;
        _randomSeed = randomSeed;
    }

    public GroupCoordinatorOptions Options => _options;

    /// <summary>Partitions of __consumer_offsets once it exists (its real count), else the configured count.</summary>
    public int PartitionCount => _image().GetTopic(InternalTopics.ConsumerOffsets)?.Partitions.Count is > 0 and var count ? count : _options.OffsetsTopicNumPartitions;

    /// <summary>The __consumer_offsets partition that owns <paramref name="groupId"/>.</summary>
    public int PartitionFor(string groupId) => CoordinatorPartitioner.PartitionFor(groupId, PartitionCount);

    /// <summary>The state of a partition's coordinator on this node.</summary>
    public CoordinatorPartitionState StateOf(int partition) =>
        _partitions.TryGetValue(partition, out CoordinatorPartition? p) ? p.State : CoordinatorPartitionState.Closed;

    /// <summary>Partitions this node currently serves (for ListGroups, which every broker answers for its own).</summary>
    public IReadOnlyList<int> ActivePartitions => [.. _partitions.Values.Where(p => p.State == CoordinatorPartitionState.Active).Select(p => p.Partition).Order()];

    /// <summary>
    /// Follows the metadata: loads the partitions of __consumer_offsets this node leads (again when the
    /// leader epoch changed) and unloads the others.
    /// </summary>
    public void OnMetadataUpdate(MetadataImage image)
    {
        lock (_electionLock)
        {
            if (_disposed)
            {
                return;
            }

            TopicImage? topic = image.GetTopic(InternalTopics.ConsumerOffsets);
            foreach (var (partition, current) in _partitions)
            {
                PartitionRegistration? registration = topic?.GetPartition(partition);
                if (registration is null || registration.Leader != _nodeId || registration.LeaderEpoch != current.LeaderEpoch)
                {
                    Resign(partition);
                }
            }

            if (topic is null)
            {
                return;
            }

            foreach (PartitionRegistration registration in topic.Partitions.Values)
            {
                if (registration.Leader == _nodeId && !_partitions.ContainsKey(registration.Partition))
                {
                    Elect(registration.Partition, registration.LeaderEpoch);
                }
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="operation"/> on the shard owning <paramref name="groupId"/>; its answer comes
    /// back once the records it wrote are durable. When this node does not serve the group (or the write
    /// fails) the answer is <paramref name="error"/> of NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS.
    /// </summary>
    public Task<T> ExecuteAsync<T>(string groupId, Func<GroupCoordinatorShard, T> operation, Func<ErrorCode, T> error) =>
        ExecuteOnPartitionAsync(PartitionFor(groupId), operation, error);

    /// <summary>As <see cref="ExecuteAsync{T}(string, Func{GroupCoordinatorShard, T}, Func{ErrorCode, T})"/> for operations answering later (JoinGroup, SyncGroup).</summary>
    public async Task<T> ExecuteAsync<T>(string groupId, Func<GroupCoordinatorShard, Task<T>> operation, Func<ErrorCode, T> error)
    {
        Task<T> pending = await ExecuteOnPartitionAsync(PartitionFor(groupId), operation, e => Task.FromResult(error(e))).ConfigureAwait(false);
        return await pending.ConfigureAwait(false);
    }

    public async Task<T> ExecuteOnPartitionAsync<T>(int partition, Func<GroupCoordinatorShard, T> operation, Func<ErrorCode, T> error)
    {
        if (!_partitions.TryGetValue(partition, out CoordinatorPartition? p))
        {
            // Led here but not picked up yet (the metadata watch runs a moment behind): it is about to load.
            bool ledHere = _image().GetPartition(InternalTopics.ConsumerOffsets, partition)?.Leader == _nodeId;
            return error(ledHere ? ErrorCode.CoordinatorLoadInProgress : ErrorCode.NotCoordinator);
        }

        T result;
        WriteOutcome outcome;
        lock (p.Gate)
        {
            if (p.State != CoordinatorPartitionState.Active)
            {
                return error(p.State == CoordinatorPartitionState.Loading ? ErrorCode.CoordinatorLoadInProgress : ErrorCode.NotCoordinator);
            }

            try
            {
                result = operation(p.Shard);
            }
            catch
            {
                // A bug left the shard in an unknown state: drop what the operation produced and rebuild from the log.
                var (_, responses) = p.Shard.Effects.Drain();
                foreach (PendingResponse response in responses)
                {
                    response.Fail(ErrorCode.NotCoordinator);
                }

                _ = Task.Run(() => Reload(p));
                throw;
            }

            outcome = FlushEffects(p);
        }

        return await outcome.CompleteAsync(this, p).ConfigureAwait(false) ? result : error(ErrorCode.NotCoordinator);
    }

    public async ValueTask DisposeAsync()
    {
        lock (_electionLock)
        {
            _disposed = true;
            foreach (int partition in _partitions.Keys)
            {
                Resign(partition);
            }
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    private void Elect(int partition, int leaderEpoch)
    {
        ICoordinatorLog? log = _logs.GetLog(partition);
        if (log is null)
        {
            // The local replica may not be set up yet (the data path follows the same metadata): look again shortly.
            LogNoLog(_logger, partition);
            _ = RetryElectionAsync();
            return;
        }

        var random = _randomSeed is { } seed ? new Random(seed + partition) : new Random();
        var shard = new GroupCoordinatorShard(partition, _options, _time, random, _image);
        var p = new CoordinatorPartition(partition, leaderEpoch, log, shard);
        _partitions[partition] = p;
        p.Timer = _time.CreateTimer(_ => OnTimer(p), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _ = Task.Run(() => LoadAsync(p));
    }

    private async Task RetryElectionAsync()
    {
        await Task.Delay(ElectionRetryDelay, _time).ConfigureAwait(false);
        OnMetadataUpdate(_image());
    }

    private void Resign(int partition)
    {
        if (!_partitions.TryRemove(partition, out CoordinatorPartition? p))
        {
            return;
        }

        Close(p, ErrorCode.NotCoordinator);
        LogUnloaded(_logger, partition);
    }

    private static void Close(CoordinatorPartition p, ErrorCode error)
    {
        lock (p.Gate)
        {
            if (p.State == CoordinatorPartitionState.Closed)
            {
                return;
            }

            p.State = CoordinatorPartitionState.Closed;
            p.Closing.Cancel();
            p.Timer?.Dispose();
            p.Shard.Unload(error);
            var (_, responses) = p.Shard.Effects.Drain();
            foreach (PendingResponse response in responses)
            {
                response.Fail(error);
            }
        }
    }

    /// <summary>
    /// Replays the partition from its start to the end of its committed records (in a cluster a new leader first waits
    /// for its high watermark to catch up), then serves it.
    /// </summary>
    private async Task LoadAsync(CoordinatorPartition p)
    {
        long started = _time.GetTimestamp();
        var records = new List<CoordinatorRecord>();
        try
        {
            long end = await p.Log.WaitForCommittedEndAsync(p.Closing.Token).ConfigureAwait(false);
            long offset = p.Log.LogStartOffset;
            while (offset < end && !p.Closing.IsCancellationRequested)
            {
                ReadOnlyMemory<byte> batches = p.Log.Read(offset, LoadReadBytes);
                long next = CoordinatorBatches.Decode(batches, offset, records);
                if (next <= offset)
                {
                    throw new InvalidDataException($"__consumer_offsets-{p.Partition} does not advance at offset {offset}");
                }

                offset = next;
            }
        }
        catch (OperationCanceledException) when (p.Closing.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or MalformedMessageException or Protocol.Records.RecordDecodeException
            or ObjectDisposedException or Partitions.PartitionException or Storage.StorageException)
        {
            LogLoadFailed(_logger, ex, p.Partition);
            _partitions.TryRemove(new KeyValuePair<int, CoordinatorPartition>(p.Partition, p));
            Close(p, ErrorCode.NotCoordinator);
            return;
        }

        lock (p.Gate)
        {
            if (p.State != CoordinatorPartitionState.Loading)
            {
                return;
            }

            foreach (CoordinatorRecord record in records)
            {
                p.Shard.Replay(record);
            }

            p.Shard.OnLoaded();
            p.State = CoordinatorPartitionState.Active;
            _ = FlushEffects(p).CompleteAsync(this, p);
        }

        LogLoaded(_logger, p.Partition, p.LeaderEpoch, records.Count, p.Shard.Groups.Count, _time.GetElapsedTime(started).TotalMilliseconds);
    }

    private void OnTimer(CoordinatorPartition p)
    {
        WriteOutcome outcome;
        lock (p.Gate)
        {
            if (p.State != CoordinatorPartitionState.Active)
            {
                return;
            }

            p.Shard.RunExpiredTimers();
            outcome = FlushEffects(p);
        }

        _ = outcome.CompleteAsync(this, p);
    }

    /// <summary>Under the shard lock: appends what the operation wrote and re-arms the timer.</summary>
    private WriteOutcome FlushEffects(CoordinatorPartition p)
    {
        var (records, responses) = p.Shard.Effects.Drain();
        ValueTask durable = ValueTask.CompletedTask;
        bool appended = true;
        if (records.Count > 0)
        {
            try
            {
                byte[] batches = CoordinatorBatches.Encode(records, p.Shard.NowMs);
                long last = p.Log.Append(batches, p.LeaderEpoch);
                durable = p.Log.WaitForDurabilityAsync(last, p.Closing.Token);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogAppendFailed(_logger, ex, p.Partition);
                appended = false;
            }
        }

        if (p.Shard.Timers.NextDeadline is { } deadline)
        {
            long delay = Math.Max(0, deadline - p.Shard.NowMs);
            p.Timer?.Change(TimeSpan.FromMilliseconds(delay), Timeout.InfiniteTimeSpan);
        }

        return new WriteOutcome(appended, records.Count > 0, durable, responses);
    }

    /// <summary>Reloads a partition whose write failed: the log holds what survived.</summary>
    private void Reload(CoordinatorPartition failed)
    {
        lock (_electionLock)
        {
            if (_disposed || !_partitions.TryGetValue(failed.Partition, out CoordinatorPartition? current) || current != failed)
            {
                return;
            }

            _partitions.TryRemove(failed.Partition, out _);
            Close(failed, ErrorCode.NotCoordinator);
            Elect(failed.Partition, failed.LeaderEpoch);
        }
    }

    private readonly record struct WriteOutcome(bool Appended, bool HasRecords, ValueTask Durable, List<PendingResponse> Responses)
    {
        /// <summary>Delivers the answers once durable; false (answers failed, shard reloaded) when the write did not make it.</summary>
        public async Task<bool> CompleteAsync(GroupCoordinator coordinator, CoordinatorPartition p)
        {
            bool ok = Appended;
            if (ok && HasRecords)
            {
                try
                {
                    await Durable.ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    if (!p.Closing.IsCancellationRequested)
                    {
                        LogAppendFailed(coordinator._logger, ex, p.Partition);
                    }

                    ok = false;
                }
            }

            foreach (PendingResponse response in Responses)
            {
                if (ok)
                {
                    response.Deliver();
                }
                else
                {
                    response.Fail(ErrorCode.NotCoordinator);
                }
            }

            if (!ok)
            {
                coordinator.Reload(p);
            }

            return ok;
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Loaded group coordinator partition __consumer_offsets-{Partition} (leader epoch {LeaderEpoch}): {Records} records, {Groups} groups in {Milliseconds:F0} ms")]
    private static partial void LogLoaded(ILogger logger, int partition, int leaderEpoch, int records, int groups, double milliseconds);

    [LoggerMessage(2, LogLevel.Information, "Unloaded group coordinator partition __consumer_offsets-{Partition}")]
    private static partial void LogUnloaded(ILogger logger, int partition);

    [LoggerMessage(3, LogLevel.Error, "Loading __consumer_offsets-{Partition} failed; its groups are not served")]
    private static partial void LogLoadFailed(ILogger logger, Exception exception, int partition);

    [LoggerMessage(4, LogLevel.Error, "Writing to __consumer_offsets-{Partition} failed; reloading the partition from its log")]
    private static partial void LogAppendFailed(ILogger logger, Exception exception, int partition);

    [LoggerMessage(5, LogLevel.Debug, "This node leads __consumer_offsets-{Partition} but has no local replica of it yet; retrying")]
    private static partial void LogNoLog(ILogger logger, int partition);
}
