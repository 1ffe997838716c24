using System.Collections.Immutable;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Wire;
using Chronik.Storage;
using Chronik.Storage.Producers;

namespace Chronik.Broker.Partitions;

/// <summary>
/// One partition hosted by this broker (Kafka's Partition): its log, its role and leader epoch from the metadata
/// image, and — while leader — the <see cref="HighWatermarkTracker"/> that moves the high watermark. The data path
/// (produce, fetch, list offsets, delete records) and the coordinators go through it rather than the log, so the
/// leadership and epoch checks and the high watermark stay in one place.
/// <para>
/// The high watermark follows the durable log end offset: after an append, a durability watcher waits for the
/// group fsync covering it and reports the new durable end to the tracker (with a relaxed flush policy the page
/// cache counts, as in Kafka). When the high watermark moves, acks=all waiters and long-polling consumers wake.
/// </para>
/// Concurrency: appends hold a read lock on the role state (many appends run at once; the log orders them), role
/// changes the write lock. The tracker and durability state are guarded by a second lock, taken after the first.
/// </summary>
public sealed class Partition
{
    private readonly ReaderWriterLockSlim _stateLock = new(LockRecursionPolicy.NoRecursion);
    private readonly object _hwLock = new();
    private readonly object _listenerLock = new();
    private readonly int _localBrokerId;
    private readonly TimeProvider _time;
    private PartitionRegistration? _registration;
    private TopicSettings _settings;
    private HighWatermarkTracker? _tracker;
    private TaskCompletionSource? _highWatermarkChanged;
    private long _durabilityTarget = -1;
    private bool _durabilityWatching;
    private IPartitionListener[] _consumerListeners = [];
    private IPartitionListener[] _replicaListeners = [];
    private volatile bool _deleted;

    internal Partition(TopicPartition topicPartition, Guid topicId, PartitionLog log, int localBrokerId, TopicSettings settings, TimeProvider time)
    {
        TopicPartition = topicPartition;
        TopicId = topicId;
        Log = log;
        _localBrokerId = localBrokerId;
        _settings = settings;
        _time = time;
    }

    public TopicPartition TopicPartition { get; }

    public string Topic => TopicPartition.Topic;

    public int Index => TopicPartition.Partition;

    public Guid TopicId { get; }

    /// <summary>The partition's log. Prefer this class's methods: they check leadership and move the high watermark.</summary>
    public PartitionLog Log { get; }

    /// <summary>The topic's effective configs (the log's config plus min.insync.replicas).</summary>
    public TopicSettings Settings => Volatile.Read(ref _settings);

    public PartitionRole Role => IsLeader ? PartitionRole.Leader : PartitionRole.Follower;

    public bool IsLeader { get; private set; }

    /// <summary>The leader epoch of the image this broker applied (-1 before the first).</summary>
    public int LeaderEpoch => _registration?.LeaderEpoch ?? -1;

    /// <summary>The leader's broker id, or -1 when there is none.</summary>
    public int LeaderId => _registration?.Leader ?? PartitionRegistration.NoLeader;

    public int PartitionEpoch => _registration?.PartitionEpoch ?? -1;

    public ImmutableArray<int> Replicas => _registration?.Replicas ?? [];

    public ImmutableArray<int> Isr => _registration?.Isr ?? [];

    /// <summary>True once the partition left this broker (topic deleted or reassigned); every request then fails.</summary>
    public bool IsDeleted => _deleted;

    public long HighWatermark => Log.HighWatermark;

    /// <summary>
    /// The log end offset when this broker's current leadership began (-1 when not leader). Until the high watermark
    /// reaches it, ListOffsets answers OFFSET_NOT_AVAILABLE (the new leader does not know what is committed yet).
    /// </summary>
    public long LeaderEpochStartOffset
    {
        get
        {
            lock (_hwLock)
            {
                return _tracker?.LeaderEpochStartOffset ?? -1;
            }
        }
    }

    /// <summary>
    /// The last stable offset: read_committed consumers read below it — the first offset of the oldest transaction
    /// still open (or decided by a marker not yet below the high watermark), else the high watermark.
    /// </summary>
    public long LastStableOffset => Log.LastStableOffset;

    public long LogStartOffset => Log.LogStartOffset;

    public long LogEndOffset => Log.LogEndOffset;

    public override string ToString() => $"{TopicPartition} ({Role}, epoch {LeaderEpoch})";

    /// <summary>
    /// Kafka's check before serving a request: a current leader epoch other than -1 must match ours
    /// (FENCED_LEADER_EPOCH when older, UNKNOWN_LEADER_EPOCH when newer), then leadership when required.
    /// </summary>
    public ErrorCode CheckLeader(int currentLeaderEpoch, bool requireLeader)
    {
        if (_deleted)
        {
            return ErrorCode.NotLeaderOrFollower;
        }

        int epoch = LeaderEpoch;
        if (currentLeaderEpoch >= 0)
        {
            if (currentLeaderEpoch < epoch)
            {
                return ErrorCode.FencedLeaderEpoch;
            }

            if (currentLeaderEpoch > epoch)
            {
                return ErrorCode.UnknownLeaderEpoch;
            }
        }

        return requireLeader && !IsLeader ? ErrorCode.NotLeaderOrFollower : ErrorCode.None;
    }

    /// <summary>
    /// Phase one of a produce or coordinator write: appends <paramref name="batches"/> (v2 record batches) as leader
    /// with the current leader epoch. Offsets are final on return. Throws <see cref="PartitionException"/>
    /// (NOT_LEADER_OR_FOLLOWER; NOT_ENOUGH_REPLICAS for acks=all below min.insync.replicas) or
    /// <see cref="StorageException"/> (the batch was rejected).
    /// </summary>
    public AppendResult AppendAsLeader(ReadOnlyMemory<byte> batches, short requiredAcks, AppendOrigin origin = AppendOrigin.Client, VerificationGuard verification = default)
    {
        AppendResult result;
        _stateLock.EnterReadLock();
        try
        {
            if (!IsLeader || _deleted)
            {
                throw new PartitionException(ErrorCode.NotLeaderOrFollower, $"this broker ({_localBrokerId}) is not the leader of {TopicPartition}");
            }

            var registration = _registration!;
            if (requiredAcks == -1 && registration.Isr.Length < Settings.MinInsyncReplicas)
            {
                throw new PartitionException(
                    ErrorCode.NotEnoughReplicas,
                    $"the ISR of {TopicPartition} has {registration.Isr.Length} replica(s), fewer than min.insync.replicas {Settings.MinInsyncReplicas}");
            }

            result = Log.Append(batches, registration.LeaderEpoch, origin, verification: verification);
        }
        finally
        {
            _stateLock.ExitReadLock();
        }

        OnAppended(result.LastOffset);
        return result;
    }

    /// <summary>
    /// Starts verifying a transactional batch of <paramref name="producerId"/> with its transaction coordinator before
    /// it is appended (KIP-890 part 1, Kafka's Partition.maybeStartTransactionVerification): the guard to append with,
    /// or <see cref="VerificationGuard.None"/> when there is nothing to verify (the transaction is open here already,
    /// or verification is off). NOT_LEADER_OR_FOLLOWER (<see cref="PartitionException"/>) on a follower.
    /// </summary>
    public VerificationGuard StartTransactionVerification(long producerId, short producerEpoch)
    {
        _stateLock.EnterReadLock();
        try
        {
            if (!IsLeader || _deleted)
            {
                throw new PartitionException(ErrorCode.NotLeaderOrFollower, $"this broker ({_localBrokerId}) is not the leader of {TopicPartition}");
            }

            return Log.StartTransactionVerification(producerId, producerEpoch);
        }
        finally
        {
            _stateLock.ExitReadLock();
        }
    }

    /// <summary>
    /// Phase two: completes when the append is acknowledged as <paramref name="requiredAcks"/> asks — acks=1 when
    /// durable (the topic's flush policy), acks=all when the high watermark passed it with at least
    /// min.insync.replicas in the ISR (else NOT_ENOUGH_REPLICAS_AFTER_APPEND). Faults with
    /// <see cref="PartitionException"/> or <see cref="StorageException"/>.
    /// </summary>
    public ValueTask WaitForAcksAsync(AppendResult result, short requiredAcks, CancellationToken cancellationToken = default)
    {
        if (requiredAcks != -1)
        {
            return Log.WaitForDurabilityAsync(result.LastOffset, cancellationToken);
        }

        var reached = WaitForHighWatermarkAsync(result.LastOffset + 1, cancellationToken);
        return reached.IsCompletedSuccessfully ? CheckIsrAfterAppend() : AwaitThenCheckIsr(reached);
    }

    /// <summary>Completes once the high watermark is at least <paramref name="offset"/>; faults when leadership is lost.</summary>
    public ValueTask WaitForHighWatermarkAsync(long offset, CancellationToken cancellationToken = default)
    {
        lock (_hwLock)
        {
            if (HighWatermark >= offset)
            {
                return ValueTask.CompletedTask;
            }
        }

        return WaitForHighWatermarkSlowAsync(offset, cancellationToken);
    }

    /// <summary>
    /// Reads whole batches from <paramref name="fetchOffset"/> up to the limit <paramref name="isolation"/> sets
    /// (high watermark, last stable offset or log end). See <see cref="PartitionLog.Read"/>.
    /// </summary>
    public LogReadResult Read(long fetchOffset, int maxBytes, FetchIsolation isolation, bool minOneBatch)
    {
        long limit = isolation switch
        {
            FetchIsolation.HighWatermark => HighWatermark,
            FetchIsolation.TxnCommitted => LastStableOffset,
            _ => long.MaxValue,
        };
        return Log.Read(fetchOffset, maxBytes, limit, minOneBatch);
    }

    /// <summary>
    /// OffsetForLeaderEpoch: the largest epoch ≤ <paramref name="leaderEpoch"/> this log knows and the offset where it
    /// ends; (-1, -1) when unknown (UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET).
    /// </summary>
    public (int Epoch, long EndOffset) EndOffsetForEpoch(int leaderEpoch) => Log.EndOffsetForEpoch(leaderEpoch);

    /// <summary>
    /// DeleteRecords on the leader: moves the log start offset to <paramref name="offset"/> (-1 = the high watermark).
    /// Returns the new low watermark. POLICY_VIOLATION for a topic without cleanup.policy delete, OFFSET_OUT_OF_RANGE
    /// beyond the high watermark.
    /// </summary>
    public long DeleteRecordsBefore(long offset)
    {
        long start;
        _stateLock.EnterReadLock();
        try
        {
            if (!IsLeader || _deleted)
            {
                throw new PartitionException(ErrorCode.NotLeaderOrFollower, $"this broker ({_localBrokerId}) is not the leader of {TopicPartition}");
            }

            if (!Settings.Log.Delete)
            {
                throw new PartitionException(ErrorCode.PolicyViolation, $"records of {TopicPartition} cannot be deleted: its cleanup.policy does not include delete");
            }

            long target = offset == -1 ? HighWatermark : offset;
            if (target < 0)
            {
                throw new PartitionException(ErrorCode.OffsetOutOfRange, $"the offset {offset} is not valid for {TopicPartition}");
            }

            start = Log.DeleteRecordsBefore(target);
        }
        finally
        {
            _stateLock.ExitReadLock();
        }

        // Fetchers at an offset that just went away must learn it (OFFSET_OUT_OF_RANGE) without waiting.
        NotifyListeners(consumers: true, replicas: true);
        return start;
    }

    /// <summary>
    /// Replication seam: a follower fetched from <paramref name="fetchOffset"/>. False when <paramref name="replicaId"/>
    /// is not an assigned follower of this leader (Kafka answers UNKNOWN_LEADER_EPOCH or NOT_LEADER_OR_FOLLOWER).
    /// </summary>
    public bool RecordFollowerFetch(int replicaId, long fetchOffset, long leaderLogEndOffset)
    {
        bool moved;
        lock (_hwLock)
        {
            if (_tracker is null || !_tracker.UpdateFollower(replicaId, fetchOffset, leaderLogEndOffset, NowMs, out moved))
            {
                return false;
            }

            if (moved)
            {
                PublishHighWatermarkLocked();
            }
        }

        if (moved)
        {
            NotifyListeners(consumers: true, replicas: false);
        }

        return true;
    }

    /// <summary>Whether <paramref name="replicaId"/> is an assigned replica other than this broker.</summary>
    public bool IsFollowerReplica(int replicaId) => replicaId != _localBrokerId && Replicas.Contains(replicaId);

    /// <summary>
    /// Registers <paramref name="listener"/> for changes: with <paramref name="replica"/> false for a new high
    /// watermark (consumers), true for any append (followers). Both kinds hear about role changes and deletion.
    /// </summary>
    public void AddListener(IPartitionListener listener, bool replica)
    {
        lock (_listenerLock)
        {
            ref var list = ref replica ? ref _replicaListeners : ref _consumerListeners;
            list = [.. list, listener];
        }

        if (_deleted)
        {
            listener.OnPartitionChanged(this);
        }
    }

    public void RemoveListener(IPartitionListener listener, bool replica)
    {
        lock (_listenerLock)
        {
            ref var list = ref replica ? ref _replicaListeners : ref _consumerListeners;
            int index = Array.IndexOf(list, listener);
            if (index >= 0)
            {
                list = [.. list.AsSpan(0, index), .. list.AsSpan(index + 1)];
            }
        }
    }

    /// <summary>
    /// Applies the image's registration and the topic's settings: becomes leader (a new leader epoch is recorded at
    /// the log end offset, as Kafka's makeLeader does) or follower, or follows a new ISR. Returns false when the
    /// registration did not change.
    /// </summary>
    internal bool Update(PartitionRegistration registration, TopicSettings settings)
    {
        if (!Equals(settings, Settings))
        {
            Log.Config = settings.Log;
            Volatile.Write(ref _settings, settings);
        }

        bool leader = registration.Leader == _localBrokerId;
        _stateLock.EnterWriteLock();
        try
        {
            var previous = _registration;
            if (previous is not null && previous.Equals(registration))
            {
                return false;
            }

            bool newEpoch = previous is null || leader != IsLeader || previous.LeaderEpoch != registration.LeaderEpoch;

            _registration = registration;
            IsLeader = leader;
            lock (_hwLock)
            {
                if (!leader)
                {
                    _tracker = null;
                }
                else if (newEpoch || _tracker is null)
                {
                    // Kafka's maybeAssignEpochStartOffset: the new epoch starts at the log end offset.
                    if (Log.LeaderEpochs.LatestEpoch is not { } latest || latest < registration.LeaderEpoch)
                    {
                        Log.AssignEpochStartOffset(registration.LeaderEpoch);
                    }

                    _tracker = new HighWatermarkTracker(_localBrokerId, registration.Replicas, registration.Isr, Log.HighWatermark, DurableEndOffset(), Log.LogEndOffset, NowMs);
                    _durabilityTarget = -1;
                }
                else
                {
                    _tracker.UpdateAssignment(registration.Replicas, registration.Isr, NowMs);
                }

                if (_tracker is not null)
                {
                    _tracker.UpdateLocal(DurableEndOffset());
                    Log.UpdateHighWatermark(_tracker.HighWatermark);
                }

                WakeHighWatermarkWaitersLocked();
            }
        }
        finally
        {
            _stateLock.ExitWriteLock();
        }

        NotifyListeners(consumers: true, replicas: true);
        return true;
    }

    /// <summary>The partition left this broker: pending waits fail, waiting fetches wake up.</summary>
    internal void MarkDeleted()
    {
        _stateLock.EnterWriteLock();
        try
        {
            _deleted = true;
            IsLeader = false;
            lock (_hwLock)
            {
                _tracker = null;
                WakeHighWatermarkWaitersLocked();
            }
        }
        finally
        {
            _stateLock.ExitWriteLock();
        }

        NotifyListeners(consumers: true, replicas: true);
    }

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The end of what counts for the high watermark: fsynced data, or all of it under a relaxed flush policy.</summary>
    private long DurableEndOffset() =>
        Settings.Log.FsyncBeforeAck ? Math.Min(Log.RecoveryPoint, Log.LogEndOffset) : Log.LogEndOffset;

    private void OnAppended(long lastOffset)
    {
        NotifyListeners(consumers: false, replicas: true);
        if (!Settings.Log.FsyncBeforeAck)
        {
            AdvanceLocal(Log.LogEndOffset);
            return;
        }

        lock (_hwLock)
        {
            if (lastOffset <= _durabilityTarget)
            {
                return;
            }

            _durabilityTarget = lastOffset;
            if (_durabilityWatching)
            {
                return;
            }

            _durabilityWatching = true;
        }

        _ = WatchDurabilityAsync();
    }

    /// <summary>
    /// One loop per partition at a time: waits for the fsync of the newest appended offset, reports the durable end,
    /// and goes on while appends keep raising the target. One wait serves every append of a flush round.
    /// </summary>
    private async Task WatchDurabilityAsync()
    {
        bool stoppedEarly = true;
        try
        {
            while (true)
            {
                long target;
                lock (_hwLock)
                {
                    target = _durabilityTarget;
                }

                await Log.WaitForFlushAsync(target).ConfigureAwait(false);
                AdvanceLocal(Math.Min(Log.RecoveryPoint, Log.LogEndOffset));
                lock (_hwLock)
                {
                    if (_durabilityTarget <= target)
                    {
                        _durabilityWatching = false;
                        stoppedEarly = false;
                        return;
                    }
                }
            }
        }
        catch (Exception e) when (e is StorageException or ObjectDisposedException)
        {
            // Truncated, deleted, closed, or the directory failed: nothing more becomes durable here.
        }
        finally
        {
            if (stoppedEarly)
            {
                // The next append starts a new watcher.
                lock (_hwLock)
                {
                    _durabilityWatching = false;
                    _durabilityTarget = -1;
                }
            }
        }
    }

    private void AdvanceLocal(long durableEnd)
    {
        lock (_hwLock)
        {
            if (_tracker is null || !_tracker.UpdateLocal(durableEnd))
            {
                return;
            }

            PublishHighWatermarkLocked();
        }

        NotifyListeners(consumers: true, replicas: false);
    }

    private void PublishHighWatermarkLocked()
    {
        Log.UpdateHighWatermark(_tracker!.HighWatermark);
        WakeHighWatermarkWaitersLocked();
    }

    private void WakeHighWatermarkWaitersLocked()
    {
        var waiters = _highWatermarkChanged;
        _highWatermarkChanged = null;
        waiters?.TrySetResult();
    }

    private async ValueTask WaitForHighWatermarkSlowAsync(long offset, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_hwLock)
            {
                if (HighWatermark >= offset)
                {
                    return;
                }

                if (_tracker is null)
                {
                    throw new PartitionException(ErrorCode.NotLeaderOrFollower, $"this broker ({_localBrokerId}) is no longer the leader of {TopicPartition}");
                }

                changed = (_highWatermarkChanged ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private ValueTask CheckIsrAfterAppend()
    {
        int isr = Isr.Length;
        int minIsr = Settings.MinInsyncReplicas;
        return isr >= minIsr
            ? ValueTask.CompletedTask
            : ValueTask.FromException(new PartitionException(
                ErrorCode.NotEnoughReplicasAfterAppend,
                $"the ISR of {TopicPartition} shrank to {isr} replica(s), fewer than min.insync.replicas {minIsr}, after the append"));
    }

    private async ValueTask AwaitThenCheckIsr(ValueTask reached)
    {
        await reached.ConfigureAwait(false);
        await CheckIsrAfterAppend().ConfigureAwait(false);
    }

    private void NotifyListeners(bool consumers, bool replicas)
    {
        if (consumers)
        {
            foreach (var listener in Volatile.Read(ref _consumerListeners))
            {
                listener.OnPartitionChanged(this);
            }
        }

        if (replicas)
        {
            foreach (var listener in Volatile.Read(ref _replicaListeners))
            {
                listener.OnPartitionChanged(this);
            }
        }
    }
}
