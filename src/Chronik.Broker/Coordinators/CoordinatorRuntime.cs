using System.Collections.Concurrent;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Wire;
using Microsoft.Extensions.Logging;

namespace Chronik.Broker.Coordinators;

/// <summary>
/// Runs a coordinator (group or transaction) on the partitions of its internal topic that this node leads: one
/// shard per partition. A partition is loaded by replaying its log when this node becomes its leader (requests
/// meanwhile get COORDINATOR_LOAD_IN_PROGRESS) and unloaded when it stops being the leader (NOT_COORDINATOR).
/// An operation runs under its shard's lock; the records it produced are appended while the lock is held (so
/// the log order is the order of the decisions) and its answers are delivered — and its follow-up actions
/// started — once those records, and everything the shard wrote before them, are durable. An append that fails
/// rebuilds the shard from the log, which is the state that survived.
/// </summary>
public sealed partial class CoordinatorRuntime<TShard, TRecord> : IAsyncDisposable
    where TShard : class, ICoordinatorShard<TRecord>
    where TRecord : class
{
    /// <summary>Bytes read per step while loading a partition.</summary>
    private const int LoadReadBytes = 1024 * 1024;

    private static readonly TimeSpan ElectionRetryDelay = TimeSpan.FromMilliseconds(100);

    private readonly ConcurrentDictionary<int, CoordinatorPartition<TShard>> _partitions = new();
    private readonly int _nodeId;
    private readonly ICoordinatorLogProvider _logs;
    private readonly Func<MetadataImage> _image;
    private readonly Func<int, int, TShard> _createShard;
    private readonly ICoordinatorRecordSerde<TRecord> _serde;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly object _electionLock = new();
    private bool _disposed;

    /// <param name="topic">The coordinator's internal topic.</param>
    /// <param name="nodeId">This broker.</param>
    /// <param name="logs">The local logs of the topic's partitions.</param>
    /// <param name="image">The current metadata image.</param>
    /// <param name="createShard">A fresh shard for (partition, leader epoch).</param>
    /// <param name="serde">The records' key and value formats.</param>
    /// <param name="time">Timers (the shards have their own clock).</param>
    /// <param name="logger">Load, unload and write failures.</param>
    public CoordinatorRuntime(
        string topic,
        int nodeId,
        ICoordinatorLogProvider logs,
        Func<MetadataImage> image,
        Func<int, int, TShard> createShard,
        ICoordinatorRecordSerde<TRecord> serde,
        TimeProvider time,
        ILogger logger)
    {
        Topic = topic;
        _nodeId = nodeId;
        _logs = logs;
        _image = image;
        _createShard = createShard;
        _serde = serde;
        _time = time;
        _logger = logger;
    }

    public string Topic { get; }

    /// <summary>The state of a partition's coordinator on this node.</summary>
    public CoordinatorPartitionState StateOf(int partition) =>
        _partitions.TryGetValue(partition, out CoordinatorPartition<TShard>? p) ? p.State : CoordinatorPartitionState.Closed;

    /// <summary>Partitions this node currently serves.</summary>
    public IReadOnlyList<int> ActivePartitions => [.. _partitions.Values.Where(p => p.State == CoordinatorPartitionState.Active).Select(p => p.Partition).Order()];

    /// <summary>
    /// Follows the metadata: loads the partitions of the topic this node leads (again when the leader epoch
    /// changed) and unloads the others.
    /// </summary>
    public void OnMetadataUpdate(MetadataImage image)
    {
        lock (_electionLock)
        {
            if (_disposed)
            {
                return;
            }

            TopicImage? topic = image.GetTopic(Topic);
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
    /// Runs <paramref name="operation"/> on the shard of <paramref name="partition"/>; its answer comes back once
    /// the records it wrote are durable. When this node does not serve the partition (or the write fails) the
    /// answer is <paramref name="error"/> of NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS.
    /// </summary>
    public async Task<T> ExecuteOnPartitionAsync<T>(int partition, Func<TShard, T> operation, Func<ErrorCode, T> error)
    {
        if (!_partitions.TryGetValue(partition, out CoordinatorPartition<TShard>? p))
        {
            // Led here but not picked up yet (the metadata watch runs a moment behind): it is about to load.
            bool ledHere = _image().GetPartition(Topic, partition)?.Leader == _nodeId;
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
                foreach (PendingResponse response in p.Shard.Effects.Drain().Responses)
                {
                    response.Fail(ErrorCode.NotCoordinator);
                }

                _ = Task.Run(() => Reload(p));
                throw;
            }

            outcome = FlushEffects(p);
        }

        ErrorCode failure = await outcome.CompleteAsync(this, p).ConfigureAwait(false);
        return failure == ErrorCode.None ? result : error(failure);
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
            LogNoLog(_logger, Topic, partition);
            _ = RetryElectionAsync();
            return;
        }

        var p = new CoordinatorPartition<TShard>(partition, leaderEpoch, log, _createShard(partition, leaderEpoch));
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
        if (!_partitions.TryRemove(partition, out CoordinatorPartition<TShard>? p))
        {
            return;
        }

        Close(p, ErrorCode.NotCoordinator);
        LogUnloaded(_logger, Topic, partition);
    }

    private static void Close(CoordinatorPartition<TShard> p, ErrorCode error)
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
            foreach (PendingResponse response in p.Shard.Effects.Drain().Responses)
            {
                response.Fail(error);
            }
        }
    }

    /// <summary>
    /// Replays the partition from its start to the end of its committed records (in a cluster a new leader first waits
    /// for its high watermark to catch up), then serves it.
    /// </summary>
    private async Task LoadAsync(CoordinatorPartition<TShard> p)
    {
        long started = _time.GetTimestamp();
        var entries = new List<CoordinatorLogEntry<TRecord>>();
        try
        {
            long end = await p.Log.WaitForCommittedEndAsync(p.Closing.Token).ConfigureAwait(false);
            long offset = p.Log.LogStartOffset;
            while (offset < end && !p.Closing.IsCancellationRequested)
            {
                ReadOnlyMemory<byte> batches = p.Log.Read(offset, LoadReadBytes);
                long next = CoordinatorBatches.Decode(batches, offset, _serde, entries);
                if (next <= offset)
                {
                    throw new InvalidDataException($"{Topic}-{p.Partition} does not advance at offset {offset}");
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
            LogLoadFailed(_logger, ex, Topic, p.Partition);
            _partitions.TryRemove(new KeyValuePair<int, CoordinatorPartition<TShard>>(p.Partition, p));
            Close(p, ErrorCode.NotCoordinator);
            return;
        }

        lock (p.Gate)
        {
            if (p.State != CoordinatorPartitionState.Loading)
            {
                return;
            }

            foreach (CoordinatorLogEntry<TRecord> entry in entries)
            {
                if (entry.IsEndTransaction)
                {
                    p.Shard.ReplayEndTransaction(entry.MarkerProducerId, entry.Committed);
                }
                else
                {
                    p.Shard.Replay(entry.Record!, entry.Transaction);
                }
            }

            p.Shard.OnLoaded();
            p.State = CoordinatorPartitionState.Active;
            _ = FlushEffects(p).CompleteAsync(this, p);
        }

        LogLoaded(_logger, Topic, p.Partition, p.LeaderEpoch, entries.Count, _time.GetElapsedTime(started).TotalMilliseconds);
    }

    private void OnTimer(CoordinatorPartition<TShard> p)
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
    private WriteOutcome FlushEffects(CoordinatorPartition<TShard> p)
    {
        CoordinatorEffectsBatch<TRecord> effects = p.Shard.Effects.Drain();
        ErrorCode failure = ErrorCode.None;
        if (effects.Writes.Count > 0)
        {
            try
            {
                byte[] batches = CoordinatorBatches.Encode(effects.Writes, _serde, p.Shard.NowMs);
                p.LastWrittenOffset = p.Log.Append(batches, p.LeaderEpoch, VerificationOf(effects.Writes));
            }
            catch (Storage.StorageException ex) when (IsRefusal(ex.ErrorCode))
            {
                // The log refused the batch (e.g. a fenced producer's transactional offsets): nothing was written, the
                // caller learns why; the shard, which applied the operation already, is rebuilt from the log.
                LogAppendRefused(_logger, Topic, p.Partition, ex.ErrorCode);
                failure = ex.ErrorCode;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogAppendFailed(_logger, ex, Topic, p.Partition);
                failure = ErrorCode.NotCoordinator;
            }
        }

        // Also an operation that wrote nothing waits for what was written before it: it may have read it.
        bool waits = failure == ErrorCode.None && p.LastWrittenOffset >= 0;
        ValueTask durable = waits ? p.Log.WaitForDurabilityAsync(p.LastWrittenOffset, p.Closing.Token) : ValueTask.CompletedTask;

        if (p.Shard.Timers.NextDeadline is { } deadline)
        {
            long delay = Math.Max(0, deadline - p.Shard.NowMs);
            p.Timer?.Change(TimeSpan.FromMilliseconds(delay), Timeout.InfiniteTimeSpan);
        }

        return new WriteOutcome(failure, waits, durable, effects.Responses, effects.AfterWrite);
    }

    /// <summary>The verification guard an operation's transactional records carry (one operation writes for one producer).</summary>
    private static Storage.Producers.VerificationGuard VerificationOf(List<CoordinatorWrite<TRecord>> writes)
    {
        foreach (CoordinatorWrite<TRecord> write in writes)
        {
            if (!write.Verification.IsNone)
            {
                return write.Verification;
            }
        }

        return default;
    }

    /// <summary>Errors by which a log refuses a batch as invalid (nothing written), rather than failing to write it.</summary>
    private static bool IsRefusal(ErrorCode error) => error is ErrorCode.InvalidProducerEpoch or ErrorCode.ProducerFenced or ErrorCode.TransactionCoordinatorFenced
        or ErrorCode.InvalidTxnState or ErrorCode.InvalidRecord or ErrorCode.CorruptMessage or ErrorCode.MessageTooLarge or ErrorCode.RecordListTooLarge;

    /// <summary>Reloads a partition whose write failed: the log holds what survived.</summary>
    private void Reload(CoordinatorPartition<TShard> failed)
    {
        lock (_electionLock)
        {
            if (_disposed || !_partitions.TryGetValue(failed.Partition, out CoordinatorPartition<TShard>? current) || current != failed)
            {
                return;
            }

            _partitions.TryRemove(failed.Partition, out _);
            Close(failed, ErrorCode.NotCoordinator);
            Elect(failed.Partition, failed.LeaderEpoch);
        }
    }

    private readonly record struct WriteOutcome(ErrorCode Failure, bool WaitsForDurability, ValueTask Durable, List<PendingResponse> Responses, List<Action> AfterWrite)
    {
        /// <summary>
        /// Delivers the answers and starts the follow-ups once durable. When the write did not make it, the answers
        /// fail with the returned error (NOT_COORDINATOR, or why the log refused the batch) and the shard reloads.
        /// </summary>
        public async Task<ErrorCode> CompleteAsync(CoordinatorRuntime<TShard, TRecord> runtime, CoordinatorPartition<TShard> p)
        {
            ErrorCode failure = Failure;
            if (failure == ErrorCode.None && WaitsForDurability)
            {
                try
                {
                    await Durable.ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    if (!p.Closing.IsCancellationRequested)
                    {
                        LogAppendFailed(runtime._logger, ex, runtime.Topic, p.Partition);
                    }

                    failure = ErrorCode.NotCoordinator;
                }
            }

            bool ok = failure == ErrorCode.None;
            foreach (PendingResponse response in Responses)
            {
                if (ok)
                {
                    response.Deliver();
                }
                else
                {
                    response.Fail(failure);
                }
            }

            if (ok)
            {
                foreach (Action action in AfterWrite)
                {
                    action();
                }
            }
            else
            {
                runtime.Reload(p);
            }

            return failure;
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Loaded coordinator partition {Topic}-{Partition} (leader epoch {LeaderEpoch}): {Records} records in {Milliseconds:F0} ms")]
    private static partial void LogLoaded(ILogger logger, string topic, int partition, int leaderEpoch, int records, double milliseconds);

    [LoggerMessage(2, LogLevel.Information, "Unloaded coordinator partition {Topic}-{Partition}")]
    private static partial void LogUnloaded(ILogger logger, string topic, int partition);

    [LoggerMessage(3, LogLevel.Error, "Loading {Topic}-{Partition} failed; its keys are not served")]
    private static partial void LogLoadFailed(ILogger logger, Exception exception, string topic, int partition);

    [LoggerMessage(4, LogLevel.Error, "Writing to {Topic}-{Partition} failed; reloading the partition from its log")]
    private static partial void LogAppendFailed(ILogger logger, Exception exception, string topic, int partition);

    [LoggerMessage(6, LogLevel.Debug, "{Topic}-{Partition} refused a coordinator write ({Error}); reloading the partition from its log")]
    private static partial void LogAppendRefused(ILogger logger, string topic, int partition, ErrorCode error);

    [LoggerMessage(5, LogLevel.Debug, "This node leads {Topic}-{Partition} but has no local replica of it yet; retrying")]
    private static partial void LogNoLog(ILogger logger, string topic, int partition);
}
