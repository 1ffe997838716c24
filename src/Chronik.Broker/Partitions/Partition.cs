using System.Collections.Immutable;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Wire;
using Chronik.Storage;
using Chronik.Storage.Producers;

namespace Chronik.Broker.Partitions;

/// <summary>
/// One partition hosted by this broker (Kafka's Partition): its log, its role and leader epoch from the metadata
/// image, and — while leader — the <see cref="LeaderReplicationState"/> that tracks the followers, the ISR and the
/// high watermark. The data path (produce, fetch, list offsets, delete records), the coordinators and the replica
/// fetchers go through it rather than the log, so the leadership and epoch checks stay in one place.
/// <para>
/// Leader: appends are stamped with the leader epoch; the high watermark is the minimum over the ISR of the
/// followers' fetch offsets and this broker's <em>durable</em> log end (a durability watcher waits for the group
/// fsync after an append; under a relaxed flush policy the page cache counts, as in Kafka). Follower fetches move
/// it and may expand the ISR; <see cref="MaybeShrinkIsr"/> (run periodically) removes followers that fell behind.
/// ISR changes go to the controller through <see cref="IIsrChangeSender"/> and come back via
/// <see cref="CompleteIsrChange"/>. When the high watermark or the ISR moves, acks=all waiters and long-polling
/// consumers wake.
/// </para>
/// <para>
/// Follower: the replica fetcher appends the leader's batches (<see cref="AppendAsFollower"/>), truncates to the
/// leader-epoch boundary, and takes the high watermark from the leader; each of these checks that this broker still
/// follows in the fetcher's leader epoch, so a late response can never touch a partition that changed role.
/// </para>
/// Concurrency: appends, follower writes and truncation hold a read lock on the role state (the log orders them);
/// role changes take the write lock. Replication state and waiters are guarded by a second lock, taken after the first.
/// </summary>
public sealed class Partition
{
    private readonly ReaderWriterLockSlim _stateLock = new(LockRecursionPolicy.NoRecursion);
    private readonly object _hwLock = new();
    private readonly object _listenerLock = new();
    private readonly int _localBrokerId;
    private readonly TimeProvider _time;
    private readonly ReplicationServices _replication;
    private PartitionRegistration? _registration;
    private TopicSettings _settings;
    private LeaderReplicationState? _leader;
    private TaskCompletionSource? _replicationChanged;
    private long _durabilityTarget = -1;
    private bool _durabilityWatching;
    private IPartitionListener[] _consumerListeners = [];
    private IPartitionListener[] _replicaListeners = [];
    private volatile bool _deleted;

    internal Partition(TopicPartition topicPartition, Guid topicId, PartitionLog log, int localBrokerId, TopicSettings settings, TimeProvider time, ReplicationServices? replication = null)
    {
        TopicPartition = topicPartition;
        TopicId = topicId;
        Log = log;
        _localBrokerId = localBrokerId;
        _settings = settings;
        _time = time;
        _replication = replication ?? ReplicationServices.Standalone;
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

    /// <summary>The partition epoch: the image's, or — on the leader — the one an AlterPartition answer committed.</summary>
    public int PartitionEpoch
    {
        get
        {
            lock (_hwLock)
            {
                return _leader?.PartitionEpoch ?? _registration?.PartitionEpoch ?? -1;
            }
        }
    }

    public ImmutableArray<int> Replicas => _registration?.Replicas ?? [];

    /// <summary>The in-sync replicas: the image's, or — on the leader — the committed ISR, which AlterPartition answers update first.</summary>
    public ImmutableArray<int> Isr
    {
        get
        {
            lock (_hwLock)
            {
                return _leader?.Isr ?? _registration?.Isr ?? [];
            }
        }
    }

    /// <summary>The ISR change this leader awaits from the controller, or null.</summary>
    public PendingIsrChange? PendingIsrChange
    {
        get
        {
            lock (_hwLock)
            {
                return _leader?.Pending;
            }
        }
    }

    /// <summary>Leader with fewer in-sync replicas than the effective min.insync.replicas: acks=all is refused.</summary>
    public bool IsUnderMinIsr
    {
        get
        {
            lock (_hwLock)
            {
                return _leader?.IsUnderMinIsr ?? false;
            }
        }
    }

    /// <summary>Leader with an ISR smaller than the replica set.</summary>
    public bool IsUnderReplicated
    {
        get
        {
            lock (_hwLock)
            {
                return _leader is { } leader && leader.Isr.Length < leader.Replicas.Count;
            }
        }
    }

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
                return _leader?.LeaderEpochStartOffset ?? -1;
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
    /// (NOT_LEADER_OR_FOLLOWER; NOT_ENOUGH_REPLICAS for acks=all while the ISR is below the effective
    /// min.insync.replicas) or <see cref="StorageException"/> (the batch was rejected).
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

            if (requiredAcks == -1)
            {
                lock (_hwLock)
                {
                    if (_leader!.IsUnderMinIsr)
                    {
                        throw new PartitionException(
                            ErrorCode.NotEnoughReplicas,
                            $"the ISR [{string.Join(",", _leader.Isr)}] of {TopicPartition} is smaller than min.insync.replicas {_leader.EffectiveMinIsr}");
                    }
                }
            }

            result = Log.Append(batches, _registration!.LeaderEpoch, origin, verification: verification);
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
    /// durable (the topic's flush policy), acks=all when the high watermark passed it (Kafka's DelayedProduce), failing
    /// with NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR is then below the effective min.insync.replicas and with
    /// NOT_LEADER_OR_FOLLOWER when this broker stops leading meanwhile. Faults with <see cref="PartitionException"/> or
    /// <see cref="StorageException"/>.
    /// </summary>
    public ValueTask WaitForAcksAsync(AppendResult result, short requiredAcks, CancellationToken cancellationToken = default) =>
        requiredAcks != -1
            ? Log.WaitForDurabilityAsync(result.LastOffset, cancellationToken)
            : WaitForReplicationAsync(result.LastOffset + 1, checkMinIsr: true, cancellationToken);

    /// <summary>
    /// Completes once the high watermark is at least <paramref name="offset"/>; faults with NOT_LEADER_OR_FOLLOWER when
    /// this broker is not the leader or stops leading (in this leader epoch) meanwhile.
    /// </summary>
    public ValueTask WaitForHighWatermarkAsync(long offset, CancellationToken cancellationToken = default) =>
        WaitForReplicationAsync(offset, checkMinIsr: false, cancellationToken);

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
    /// Leader side of replication: follower <paramref name="replicaId"/> fetched from <paramref name="fetchOffset"/>
    /// (its log end offset) when this log ended at <paramref name="leaderLogEndOffset"/>, carrying broker epoch
    /// <paramref name="brokerEpoch"/> (-1 before Fetch v15). Moves the high watermark and, when the follower caught up,
    /// proposes adding it to the ISR. False when <paramref name="replicaId"/> is not an assigned follower of this leader.
    /// </summary>
    public bool RecordFollowerFetch(int replicaId, long fetchOffset, long leaderLogEndOffset, long brokerEpoch)
    {
        bool moved;
        PendingIsrChange? expand = null;
        TaskCompletionSource? waiters = null;
        var sender = _replication.IsrChanges;
        lock (_hwLock)
        {
            if (_leader is null || !_leader.UpdateFollower(replicaId, fetchOffset, leaderLogEndOffset, brokerEpoch, NowMs, out moved))
            {
                return false;
            }

            if (sender is not null)
            {
                expand = _leader.TryExpand(replicaId);
            }

            if (moved)
            {
                waiters = PublishHighWatermarkLocked();
            }
        }

        if (moved)
        {
            NotifyListeners(consumers: true, replicas: false);
        }

        // On the fetching follower's request thread: the acks=all answers go to the thread pool, not into this fetch.
        ReleaseWaiters(waiters, inline: false);
        if (expand is not null)
        {
            sender!.Submit(this, expand);
        }

        return true;
    }

    /// <summary>
    /// Kafka's maybeShrinkIsr (run every replica.lag.time.max.ms / 2): proposes removing the ISR members that have not
    /// caught up within replica.lag.time.max.ms. Returns the proposed change, or null.
    /// </summary>
    public PendingIsrChange? MaybeShrinkIsr()
    {
        var sender = _replication.IsrChanges;
        if (sender is null)
        {
            return null;
        }

        PendingIsrChange? change;
        lock (_hwLock)
        {
            change = _leader?.TryShrink(Log.LogEndOffset, NowMs);
        }

        if (change is not null)
        {
            sender.Submit(this, change);
        }

        return change;
    }

    /// <summary>
    /// The controller answered <paramref name="change"/>: <paramref name="error"/>, and on success the partition as it
    /// committed it. Returns what the leader made of it (<see cref="IsrChangeOutcome.Retry"/>: send it again).
    /// </summary>
    public IsrChangeOutcome CompleteIsrChange(PendingIsrChange change, ErrorCode error, PartitionRegistration? committed)
    {
        IsrChangeOutcome outcome;
        bool moved;
        TaskCompletionSource? waiters = null;
        lock (_hwLock)
        {
            if (_leader is null)
            {
                return IsrChangeOutcome.Ignored;
            }

            outcome = _leader.CompleteIsrChange(
                change, error, committed?.LeaderEpoch ?? -1, committed?.PartitionEpoch ?? -1, committed?.Isr, Log.LogEndOffset, NowMs, out moved);
            if (moved)
            {
                Log.UpdateHighWatermark(_leader.HighWatermark);
            }

            if (outcome is IsrChangeOutcome.Committed or IsrChangeOutcome.Reverted)
            {
                waiters = TakeWaitersLocked();
            }
        }

        if (moved)
        {
            NotifyListeners(consumers: true, replicas: false);
        }

        ReleaseWaiters(waiters, inline: false);
        return outcome;
    }

    /// <summary>
    /// Follower side: appends batches fetched from the leader of <paramref name="leaderEpoch"/>, keeping their offsets
    /// and epochs. Throws <see cref="PartitionException"/> when this broker no longer follows in that epoch, and
    /// <see cref="StorageException"/> for bad batches or an offset below the log end (the fetcher truncates first).
    /// </summary>
    public AppendResult AppendAsFollower(ReadOnlyMemory<byte> batches, int leaderEpoch)
    {
        _stateLock.EnterReadLock();
        try
        {
            EnsureFollowerOf(leaderEpoch);
            try
            {
                return Log.AppendAsFollower(batches);
            }
            catch (UnexpectedAppendOffsetException e) when (Log.LogEndOffset == Log.LogStartOffset && e.FirstOffset < Log.LogEndOffset)
            {
                // Kafka's rule: the leader's log start (DeleteRecords) fell inside the first batch of an empty log; start
                // the log at that batch instead.
                Log.TruncateFullyAndStartAt(e.FirstOffset);
                return Log.AppendAsFollower(batches);
            }
        }
        finally
        {
            _stateLock.ExitReadLock();
        }
    }

    /// <summary>Follower side: removes everything from <paramref name="offset"/> on (the leader-epoch boundary the fetcher found).</summary>
    public void TruncateAsFollower(long offset, int leaderEpoch)
    {
        _stateLock.EnterReadLock();
        try
        {
            EnsureFollowerOf(leaderEpoch);
            Log.TruncateTo(offset);
        }
        finally
        {
            _stateLock.ExitReadLock();
        }
    }

    /// <summary>Follower side: empties the log and restarts it at the leader's log start <paramref name="offset"/> (it fell too far behind).</summary>
    public void TruncateFullyAsFollower(long offset, int leaderEpoch)
    {
        _stateLock.EnterReadLock();
        try
        {
            EnsureFollowerOf(leaderEpoch);
            Log.TruncateFullyAndStartAt(offset);
        }
        finally
        {
            _stateLock.ExitReadLock();
        }
    }

    /// <summary>
    /// Follower side: the leader's high watermark and log start offset from a fetch response. The follower's high
    /// watermark becomes min(leader's, own log end) and never moves back; its log start follows the leader's (DeleteRecords)
    /// up to its high watermark.
    /// </summary>
    public void UpdateFollowerHighWatermark(long leaderHighWatermark, long leaderLogStartOffset, int leaderEpoch)
    {
        _stateLock.EnterReadLock();
        try
        {
            EnsureFollowerOf(leaderEpoch);
            long highWatermark = Math.Min(leaderHighWatermark, Log.LogEndOffset);
            if (highWatermark > Log.HighWatermark)
            {
                Log.UpdateHighWatermark(highWatermark);
            }

            long logStart = Math.Min(leaderLogStartOffset, Log.HighWatermark);
            if (logStart > Log.LogStartOffset)
            {
                Log.DeleteRecordsBefore(logStart);
            }
        }
        finally
        {
            _stateLock.ExitReadLock();
        }
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
    /// the log end offset, as Kafka's makeLeader does; the followers' states start afresh) or follower (waiting
    /// acks=all produces fail with NOT_LEADER_OR_FOLLOWER), or — same leader epoch — follows a new ISR or replica set.
    /// A registration older than the state an AlterPartition answer already committed is skipped. Returns false when
    /// nothing changed.
    /// </summary>
    internal bool Update(PartitionRegistration registration, TopicSettings settings)
    {
        if (!Equals(settings, Settings))
        {
            Log.Config = settings.Log;
            Volatile.Write(ref _settings, settings);
            TaskCompletionSource? moved = null;
            lock (_hwLock)
            {
                if (_leader is not null && _leader.MinInsyncReplicas != settings.MinInsyncReplicas)
                {
                    _leader.MinInsyncReplicas = settings.MinInsyncReplicas;
                    if (_leader.UpdateLocal(DurableEndOffset(), Log.LogEndOffset, NowMs))
                    {
                        moved = PublishHighWatermarkLocked();
                    }
                }
            }

            ReleaseWaiters(moved, inline: false);
        }

        bool leader = registration.Leader == _localBrokerId;
        bool watchDurability;
        TaskCompletionSource? waiters;
        _stateLock.EnterWriteLock();
        try
        {
            var previous = _registration;
            if (previous is not null && previous.Equals(registration))
            {
                return false;
            }

            bool newEpoch = previous is null || leader != IsLeader || previous.LeaderEpoch != registration.LeaderEpoch;
            lock (_hwLock)
            {
                if (!newEpoch && leader && _leader is not null && registration.PartitionEpoch < _leader.PartitionEpoch)
                {
                    // Kafka's makeLeader skip: an AlterPartition answer already brought a newer partition epoch.
                    return false;
                }
            }

            _registration = registration;
            IsLeader = leader;
            lock (_hwLock)
            {
                long now = NowMs;
                if (!leader)
                {
                    _leader = null;
                }
                else if (newEpoch || _leader is null)
                {
                    // Kafka's maybeAssignEpochStartOffset: the new epoch starts at the log end offset.
                    if (Log.LeaderEpochs.LatestEpoch is not { } latest || latest < registration.LeaderEpoch)
                    {
                        Log.AssignEpochStartOffset(registration.LeaderEpoch);
                    }

                    _leader = new LeaderReplicationState(
                        _localBrokerId, registration.LeaderEpoch, registration.PartitionEpoch, registration.Replicas, registration.Isr,
                        Log.HighWatermark, Log.LogEndOffset, now, _replication.IsEligible)
                    {
                        MinInsyncReplicas = Settings.MinInsyncReplicas,
                        ReplicaLagTimeMaxMs = _replication.ReplicaLagTimeMaxMs,
                    };
                    _durabilityTarget = -1;
                }
                else
                {
                    _leader.UpdateAssignment(registration.Replicas, registration.Isr, registration.PartitionEpoch, Log.LogEndOffset, now);
                }

                if (_leader is not null)
                {
                    _leader.UpdateLocal(DurableEndOffset(), Log.LogEndOffset, now);
                    Log.UpdateHighWatermark(_leader.HighWatermark);
                }

                waiters = TakeWaitersLocked();
                watchDurability = _leader is not null && DurableEndOffset() < Log.LogEndOffset;
            }
        }
        finally
        {
            _stateLock.ExitWriteLock();
        }

        ReleaseWaiters(waiters, inline: false);

        if (watchDurability)
        {
            // Replicated data not yet fsynced: a new leader must see it become durable to let its high watermark reach it.
            OnAppended(Log.LogEndOffset - 1);
        }

        NotifyListeners(consumers: true, replicas: true);
        return true;
    }

    /// <summary>The partition left this broker: pending waits fail, waiting fetches wake up.</summary>
    internal void MarkDeleted()
    {
        TaskCompletionSource? waiters;
        _stateLock.EnterWriteLock();
        try
        {
            _deleted = true;
            IsLeader = false;
            lock (_hwLock)
            {
                _leader = null;
                waiters = TakeWaitersLocked();
            }
        }
        finally
        {
            _stateLock.ExitWriteLock();
        }

        ReleaseWaiters(waiters, inline: false);
        NotifyListeners(consumers: true, replicas: true);
    }

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Throws unless this broker follows the partition in <paramref name="leaderEpoch"/>. Under the state lock.</summary>
    private void EnsureFollowerOf(int leaderEpoch)
    {
        if (_deleted || IsLeader || LeaderEpoch != leaderEpoch)
        {
            throw new PartitionException(
                LeaderEpoch > leaderEpoch && !_deleted ? ErrorCode.FencedLeaderEpoch : ErrorCode.NotLeaderOrFollower,
                $"this broker ({_localBrokerId}) no longer follows {TopicPartition} in leader epoch {leaderEpoch} (now {Role} in {LeaderEpoch})");
        }
    }

    /// <summary>The end of what counts for the high watermark: fsynced data, or all of it under a relaxed flush policy.</summary>
    private long DurableEndOffset() =>
        Settings.Log.FsyncBeforeAck ? Math.Min(Log.RecoveryPoint, Log.LogEndOffset) : Log.LogEndOffset;

    private void OnAppended(long lastOffset)
    {
        NotifyListeners(consumers: false, replicas: true);
        if (!Settings.Log.FsyncBeforeAck)
        {
            // On the producer's request thread: other requests' answers go to the thread pool.
            AdvanceLocal(Log.LogEndOffset, inline: false);
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
        bool ownThread = false;
        try
        {
            while (true)
            {
                long target;
                lock (_hwLock)
                {
                    target = _durabilityTarget;
                }

                var flushed = Log.WaitForFlushAsync(target);
                ownThread |= !flushed.IsCompleted;
                await flushed.ConfigureAwait(false);

                // Once the loop has waited, the log's waiter (RunContinuationsAsynchronously) resumed it on a thread-pool
                // thread of its own, outside the flusher: the acks=all answers the new high watermark releases continue
                // right here, without a second hop. Before that it still runs inside the appending caller.
                AdvanceLocal(Math.Min(Log.RecoveryPoint, Log.LogEndOffset), inline: ownThread);
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

    /// <summary>
    /// Reports this broker's durable end to the leader state and publishes a new high watermark. Long-polling fetches
    /// are signalled first (they resume on the thread pool); then the acks=all waiters are released — on this thread
    /// when <paramref name="inline"/> (the caller holds no lock and nothing waits behind it), else on the thread pool.
    /// </summary>
    private void AdvanceLocal(long durableEnd, bool inline)
    {
        TaskCompletionSource? waiters;
        lock (_hwLock)
        {
            if (_leader is null || !_leader.UpdateLocal(durableEnd, Log.LogEndOffset, NowMs))
            {
                return;
            }

            waiters = PublishHighWatermarkLocked();
        }

        NotifyListeners(consumers: true, replicas: false);
        ReleaseWaiters(waiters, inline);
    }

    /// <summary>Under <see cref="_hwLock"/>: the log takes the leader's high watermark; returns the waiters to release.</summary>
    private TaskCompletionSource? PublishHighWatermarkLocked()
    {
        Log.UpdateHighWatermark(_leader!.HighWatermark);
        return TakeWaitersLocked();
    }

    /// <summary>
    /// Under <see cref="_hwLock"/>: detaches the waiters of the high watermark and ISR. They re-check the state under the
    /// lock when they resume, so releasing them later (<see cref="ReleaseWaiters"/>, once no lock is held) is safe.
    /// </summary>
    private TaskCompletionSource? TakeWaitersLocked()
    {
        var waiters = _replicationChanged;
        _replicationChanged = null;
        return waiters;
    }

    /// <summary>
    /// Completes detached waiters. Their continuations run synchronously on the completing thread (the source is not
    /// RunContinuationsAsynchronously), so never call this under a lock; <paramref name="inline"/> false hands them to
    /// the thread pool in one work item, for callers whose thread must not run other requests' continuations.
    /// </summary>
    private static void ReleaseWaiters(TaskCompletionSource? waiters, bool inline)
    {
        if (waiters is null)
        {
            return;
        }

        if (inline)
        {
            waiters.TrySetResult();
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(static w => w.TrySetResult(), waiters, preferLocal: false);
        }
    }

    /// <summary>
    /// Waits, in the leader state current now, until the high watermark reaches <paramref name="offset"/>; with
    /// <paramref name="checkMinIsr"/> the acks=all rule decides the outcome then. A new leader state (role or epoch
    /// change) ends the wait with NOT_LEADER_OR_FOLLOWER: what was appended may since have been truncated.
    /// </summary>
    private ValueTask WaitForReplicationAsync(long offset, bool checkMinIsr, CancellationToken cancellationToken)
    {
        LeaderReplicationState? state;
        lock (_hwLock)
        {
            state = _leader;
            if (state is null)
            {
                return ValueTask.FromException(NotLeaderAnymore());
            }

            var (done, error) = Check(state, offset, checkMinIsr);
            if (done)
            {
                return error == ErrorCode.None ? ValueTask.CompletedTask : ValueTask.FromException(NotEnoughReplicasAfterAppend(state));
            }
        }

        return WaitForReplicationSlowAsync(state, offset, checkMinIsr, cancellationToken);
    }

    private async ValueTask WaitForReplicationSlowAsync(LeaderReplicationState state, long offset, bool checkMinIsr, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_hwLock)
            {
                if (!ReferenceEquals(_leader, state))
                {
                    throw NotLeaderAnymore();
                }

                var (done, error) = Check(state, offset, checkMinIsr);
                if (done)
                {
                    if (error != ErrorCode.None)
                    {
                        throw NotEnoughReplicasAfterAppend(state);
                    }

                    return;
                }

                // Synchronous continuations: ReleaseWaiters decides where they run, always outside the locks.
                changed = (_replicationChanged ??= new TaskCompletionSource()).Task;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static (bool Done, ErrorCode Error) Check(LeaderReplicationState state, long offset, bool checkMinIsr) =>
        checkMinIsr ? state.CheckEnoughReplicasReachOffset(offset) : (state.HighWatermark >= offset, ErrorCode.None);

    private PartitionException NotLeaderAnymore() =>
        new(ErrorCode.NotLeaderOrFollower, $"this broker ({_localBrokerId}) is no longer the leader of {TopicPartition} in the epoch of the append");

    private PartitionException NotEnoughReplicasAfterAppend(LeaderReplicationState state) =>
        new(ErrorCode.NotEnoughReplicasAfterAppend,
            $"the ISR of {TopicPartition} shrank to [{string.Join(",", state.MaximalIsr)}], fewer than min.insync.replicas {state.EffectiveMinIsr}, after the append");

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
