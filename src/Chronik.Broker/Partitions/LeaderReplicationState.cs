using System.Collections.Immutable;
using Chronik.Cluster.Controller;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Partitions;

/// <summary>What a leader knows about one follower (Kafka's ReplicaState).</summary>
/// <param name="ReplicaId">The follower's broker id.</param>
/// <param name="LogEndOffset">Its log end offset, from its last fetch (-1 before the first).</param>
/// <param name="LastCaughtUpTimeMs">The last time it had everything the leader had (-1: never in this leader epoch).</param>
/// <param name="LastFetchTimeMs">When it last fetched.</param>
/// <param name="LastFetchLeaderLogEndOffset">The leader's log end offset at that fetch.</param>
/// <param name="BrokerEpoch">The broker epoch its fetch carried (KIP-903; -1 from Fetch before v15), null before the first fetch.</param>
public readonly record struct FollowerState(int ReplicaId, long LogEndOffset, long LastCaughtUpTimeMs, long LastFetchTimeMs, long LastFetchLeaderLogEndOffset, long? BrokerEpoch)
{
    /// <summary>Kafka's isCaughtUp: at the leader's end now, or caught up within the last <paramref name="maxLagMs"/>.</summary>
    public bool IsCaughtUp(long leaderLogEndOffset, long nowMs, long maxLagMs) =>
        LogEndOffset == leaderLogEndOffset || (LastCaughtUpTimeMs >= 0 && nowMs - LastCaughtUpTimeMs <= maxLagMs);
}

/// <summary>Which way a proposed ISR change goes.</summary>
public enum IsrChangeKind
{
    Expand,
    Shrink,
}

/// <summary>
/// An ISR change this leader sent to the controller (AlterPartition) and awaits: Kafka's PendingExpandIsr /
/// PendingShrinkIsr. <see cref="MaximalIsr"/> is what the high watermark and acks=all count while it is in flight:
/// the proposed ISR for an expansion (stricter either way), the current one for a shrink (the controller may refuse).
/// </summary>
public sealed record PendingIsrChange(
    IsrChangeKind Kind,
    int LeaderEpoch,
    int PartitionEpoch,
    ImmutableArray<IsrMember> ProposedIsr,
    ImmutableArray<int> MaximalIsr,
    ImmutableArray<int> LastCommittedIsr)
{
    public override string ToString() =>
        $"{Kind} to [{string.Join(",", ProposedIsr.Select(m => m.BrokerId))}] (leader epoch {LeaderEpoch}, partition epoch {PartitionEpoch})";
}

/// <summary>What the leader does after the controller answered an ISR change.</summary>
public enum IsrChangeOutcome
{
    /// <summary>The answer no longer applies (a newer state arrived meanwhile); nothing changed.</summary>
    Ignored,

    /// <summary>The new ISR is committed.</summary>
    Committed,

    /// <summary>The controller refused it without applying it; the last committed ISR is back in force.</summary>
    Reverted,

    /// <summary>The change stays pending until the metadata image brings the partition's newer state.</summary>
    AwaitingMetadata,

    /// <summary>A transient failure: send the same change again.</summary>
    Retry,
}

/// <summary>
/// The leader's replication bookkeeping of one partition, as in Kafka's Partition (KIP-497 AlterPartition, KIP-903
/// broker epochs, KIP-966's min-ISR high watermark rule): every follower's log end offset and catch-up time, the ISR
/// — committed, or with one change in flight — and the high watermark.
/// <list type="bullet">
/// <item>High watermark: the smallest log end offset among the maximal ISR and the followers that are caught up and
/// eligible to join it (so a catching-up follower is waited for instead of chasing a moving target), never moving
/// back, and not moving at all while the committed ISR is smaller than the effective min.insync.replicas (Kafka 4).
/// The leader's own contribution is its <em>durable</em> log end offset: consumers never see what a crash could
/// take away.</item>
/// <item>Expansion: a follower outside the ISR, eligible (registered, unfenced, same broker epoch), whose log reached
/// the high watermark and the start of this leader epoch.</item>
/// <item>Shrink: ISR members not caught up within replica.lag.time.max.ms. Done even below min.insync.replicas, as
/// Kafka: acks=all then answers NOT_ENOUGH_REPLICAS.</item>
/// <item>acks=all (Kafka's checkEnoughReplicasReachOffset): done once the high watermark passed the batch; an error
/// (NOT_ENOUGH_REPLICAS_AFTER_APPEND) when the maximal ISR is then below the effective min.insync.replicas.</item>
/// </list>
/// Pure: no I/O, no clock (times are passed in), not thread-safe (the owning <see cref="Partition"/> locks).
/// </summary>
public sealed class LeaderReplicationState
{
    private readonly int _localReplicaId;
    private readonly Dictionary<int, FollowerState> _followers = [];
    private readonly Func<int, long?, bool> _isEligible;
    private ImmutableArray<int> _replicas;
    private ImmutableArray<int> _isr;
    private long _localDurableEnd;

    /// <param name="localReplicaId">This broker (the leader).</param>
    /// <param name="leaderEpoch">The leader epoch this state belongs to.</param>
    /// <param name="partitionEpoch">The partition epoch of the registration it starts from.</param>
    /// <param name="replicas">Assigned replicas, this broker included.</param>
    /// <param name="isr">The committed ISR.</param>
    /// <param name="highWatermark">The high watermark the log had when this broker became leader.</param>
    /// <param name="leaderEpochStartOffset">The log end offset when this leader epoch began.</param>
    /// <param name="nowMs">ISR members start out caught up now, the others never (Kafka's resetReplicaState).</param>
    /// <param name="isEligible">
    /// Whether a follower may be in the ISR, given the broker epoch its fetches carry: registered, not fenced, and the
    /// same incarnation (Kafka's isReplicaIsrEligible). Consulted when expanding and for the high watermark.
    /// </param>
    public LeaderReplicationState(
        int localReplicaId,
        int leaderEpoch,
        int partitionEpoch,
        IReadOnlyList<int> replicas,
        IReadOnlyList<int> isr,
        long highWatermark,
        long leaderEpochStartOffset,
        long nowMs,
        Func<int, long?, bool>? isEligible = null)
    {
        _localReplicaId = localReplicaId;
        LeaderEpoch = leaderEpoch;
        PartitionEpoch = partitionEpoch;
        _replicas = [.. replicas];
        _isr = [.. isr];
        HighWatermark = highWatermark;
        _localDurableEnd = highWatermark;
        LeaderEpochStartOffset = leaderEpochStartOffset;
        _isEligible = isEligible ?? ((_, _) => true);
        foreach (int replica in _replicas)
        {
            if (replica != localReplicaId)
            {
                _followers[replica] = NewFollower(replica, leaderEpochStartOffset, nowMs);
            }
        }
    }

    public int LeaderEpoch { get; }

    /// <summary>The partition epoch of the committed state (grows with every committed change).</summary>
    public int PartitionEpoch { get; private set; }

    public long HighWatermark { get; private set; }

    public long LeaderEpochStartOffset { get; }

    public IReadOnlyList<int> Replicas => _replicas;

    /// <summary>The committed ISR.</summary>
    public ImmutableArray<int> Isr => _isr;

    /// <summary>The ISR change in flight, or null.</summary>
    public PendingIsrChange? Pending { get; private set; }

    /// <summary>What the high watermark and acks=all count: the committed ISR, or the pending change's maximal ISR.</summary>
    public ImmutableArray<int> MaximalIsr => Pending?.MaximalIsr ?? _isr;

    /// <summary>The topic's min.insync.replicas.</summary>
    public int MinInsyncReplicas { get; set; } = 1;

    /// <summary>replica.lag.time.max.ms.</summary>
    public long ReplicaLagTimeMaxMs { get; set; } = 30_000;

    /// <summary>Kafka's effectiveMinIsr: min.insync.replicas capped at the replication factor.</summary>
    public int EffectiveMinIsr => Math.Min(MinInsyncReplicas, _replicas.Length);

    /// <summary>The committed ISR is smaller than the effective min.insync.replicas: acks=all is refused, the high watermark stands.</summary>
    public bool IsUnderMinIsr => _isr.Length < EffectiveMinIsr;

    /// <summary>The leader's durable log end offset as last reported.</summary>
    public long LocalDurableEnd => _localDurableEnd;

    /// <summary>What this leader knows about <paramref name="replicaId"/>, or null when it is not a follower here.</summary>
    public FollowerState? Follower(int replicaId) => _followers.TryGetValue(replicaId, out var state) ? state : null;

    /// <summary>
    /// The leader's data up to <paramref name="durableLogEndOffset"/> is on disk; <paramref name="leaderLogEndOffset"/> is
    /// its whole log end. True when the high watermark moved.
    /// </summary>
    public bool UpdateLocal(long durableLogEndOffset, long leaderLogEndOffset, long nowMs)
    {
        if (durableLogEndOffset > _localDurableEnd)
        {
            _localDurableEnd = durableLogEndOffset;
        }

        return MaybeAdvance(leaderLogEndOffset, nowMs);
    }

    /// <summary>
    /// A follower fetched from <paramref name="fetchOffset"/> (its log end offset) at <paramref name="nowMs"/>, when the
    /// leader's log end offset was <paramref name="leaderLogEndOffset"/> (Kafka's updateFetchState). False for a broker
    /// that is not an assigned follower; otherwise true, and <paramref name="highWatermarkMoved"/> tells whether the
    /// high watermark advanced.
    /// </summary>
    public bool UpdateFollower(int replicaId, long fetchOffset, long leaderLogEndOffset, long? brokerEpoch, long nowMs, out bool highWatermarkMoved)
    {
        highWatermarkMoved = false;
        if (!_followers.TryGetValue(replicaId, out var state))
        {
            return false;
        }

        long caughtUp = state.LastCaughtUpTimeMs;
        if (fetchOffset >= leaderLogEndOffset)
        {
            caughtUp = Math.Max(caughtUp, nowMs);
        }
        else if (fetchOffset >= state.LastFetchLeaderLogEndOffset)
        {
            caughtUp = Math.Max(caughtUp, state.LastFetchTimeMs);
        }

        _followers[replicaId] = new FollowerState(replicaId, fetchOffset, caughtUp, nowMs, leaderLogEndOffset, brokerEpoch);
        highWatermarkMoved = MaybeAdvance(leaderLogEndOffset, nowMs);
        return true;
    }

    /// <summary>
    /// Kafka's maybeExpandIsr: when <paramref name="replicaId"/> is outside the ISR, eligible, and its log reached the
    /// high watermark and the start of this epoch — and no change is in flight — the expansion becomes pending and is
    /// returned for the controller; otherwise null. The high watermark counts the new member at once.
    /// </summary>
    public PendingIsrChange? TryExpand(int replicaId)
    {
        if (Pending is not null || _isr.Contains(replicaId) || !_followers.TryGetValue(replicaId, out var state)
            || !_isEligible(replicaId, state.BrokerEpoch)
            || state.LogEndOffset < HighWatermark || state.LogEndOffset < LeaderEpochStartOffset)
        {
            return null;
        }

        ImmutableArray<int> proposed = [.. _isr, replicaId];
        Pending = new PendingIsrChange(IsrChangeKind.Expand, LeaderEpoch, PartitionEpoch, Members(proposed), proposed, _isr);
        return Pending;
    }

    /// <summary>
    /// Kafka's maybeShrinkIsr: the ISR members (other than this leader) not caught up within replica.lag.time.max.ms,
    /// removed in one pending change, or null when all are in sync or a change is in flight. The high watermark keeps
    /// counting them until the controller agrees.
    /// </summary>
    public PendingIsrChange? TryShrink(long leaderLogEndOffset, long nowMs)
    {
        var outOfSync = OutOfSyncReplicas(leaderLogEndOffset, nowMs);
        if (outOfSync.Count == 0)
        {
            return null;
        }

        var builder = ImmutableArray.CreateBuilder<int>(_isr.Length);
        foreach (int id in _isr)
        {
            if (!outOfSync.Contains(id))
            {
                builder.Add(id);
            }
        }

        ImmutableArray<int> proposed = builder.ToImmutable();
        Pending = new PendingIsrChange(IsrChangeKind.Shrink, LeaderEpoch, PartitionEpoch, Members(proposed), _isr, _isr);
        return Pending;
    }

    /// <summary>ISR members (the leader excepted) not caught up within replica.lag.time.max.ms; empty while a change is in flight.</summary>
    public List<int> OutOfSyncReplicas(long leaderLogEndOffset, long nowMs)
    {
        var result = new List<int>();
        if (Pending is not null)
        {
            return result;
        }

        foreach (int id in _isr)
        {
            if (id != _localReplicaId && (!_followers.TryGetValue(id, out var state) || !state.IsCaughtUp(leaderLogEndOffset, nowMs, ReplicaLagTimeMaxMs)))
            {
                result.Add(id);
            }
        }

        return result;
    }

    /// <summary>
    /// The controller answered <paramref name="change"/> (Kafka's handleAlterPartitionUpdate / handleAlterPartitionError):
    /// on success <paramref name="committedIsr"/> and <paramref name="committedPartitionEpoch"/> become the committed
    /// state (unless a newer state arrived meanwhile); INELIGIBLE_REPLICA and OPERATION_NOT_ATTEMPTED revert to the last
    /// committed ISR; errors that mean our view is stale wait for the metadata; anything else is retried.
    /// <paramref name="highWatermarkMoved"/> tells whether the committed ISR let the high watermark advance.
    /// </summary>
    public IsrChangeOutcome CompleteIsrChange(
        PendingIsrChange change,
        ErrorCode error,
        int committedLeaderEpoch,
        int committedPartitionEpoch,
        IReadOnlyList<int>? committedIsr,
        long leaderLogEndOffset,
        long nowMs,
        out bool highWatermarkMoved)
    {
        highWatermarkMoved = false;
        if (!ReferenceEquals(Pending, change))
        {
            return IsrChangeOutcome.Ignored;
        }

        switch (error)
        {
            case ErrorCode.None when committedIsr is not null:
                if (committedLeaderEpoch != LeaderEpoch || committedPartitionEpoch < PartitionEpoch)
                {
                    return IsrChangeOutcome.AwaitingMetadata;
                }

                _isr = [.. committedIsr];
                PartitionEpoch = committedPartitionEpoch;
                Pending = null;
                highWatermarkMoved = MaybeAdvance(leaderLogEndOffset, nowMs);
                return IsrChangeOutcome.Committed;
            case ErrorCode.OperationNotAttempted or ErrorCode.IneligibleReplica:
                Pending = null;
                highWatermarkMoved = MaybeAdvance(leaderLogEndOffset, nowMs);
                return IsrChangeOutcome.Reverted;
            case ErrorCode.UnknownTopicOrPartition or ErrorCode.UnknownTopicId or ErrorCode.FencedLeaderEpoch
                or ErrorCode.InvalidUpdateVersion or ErrorCode.InvalidRequest or ErrorCode.NewLeaderElected:
                return IsrChangeOutcome.AwaitingMetadata;
            default:
                return IsrChangeOutcome.Retry;
        }
    }

    /// <summary>
    /// A new assignment or ISR from the metadata image in the same leader epoch: it is committed state, so a pending
    /// change ends. Followers that are new get a fresh state; removed ones are forgotten. True when the high watermark moved.
    /// </summary>
    public bool UpdateAssignment(IReadOnlyList<int> replicas, IReadOnlyList<int> isr, int partitionEpoch, long leaderLogEndOffset, long nowMs)
    {
        _replicas = [.. replicas];
        _isr = [.. isr];
        PartitionEpoch = partitionEpoch;
        Pending = null;
        foreach (int replica in _replicas)
        {
            if (replica != _localReplicaId && !_followers.ContainsKey(replica))
            {
                _followers[replica] = NewFollower(replica, leaderLogEndOffset, nowMs);
            }
        }

        List<int>? gone = null;
        foreach (int id in _followers.Keys)
        {
            if (!_replicas.Contains(id))
            {
                (gone ??= []).Add(id);
            }
        }

        if (gone is not null)
        {
            foreach (int id in gone)
            {
                _followers.Remove(id);
            }
        }

        return MaybeAdvance(leaderLogEndOffset, nowMs);
    }

    /// <summary>
    /// Kafka's checkEnoughReplicasReachOffset for acks=all: (false, None) while the high watermark is below
    /// <paramref name="requiredOffset"/>; then (true, None), or (true, NOT_ENOUGH_REPLICAS_AFTER_APPEND) when the
    /// maximal ISR is below the effective min.insync.replicas.
    /// </summary>
    public (bool Done, ErrorCode Error) CheckEnoughReplicasReachOffset(long requiredOffset)
    {
        if (HighWatermark < requiredOffset)
        {
            return (false, ErrorCode.None);
        }

        return MaximalIsr.Length >= EffectiveMinIsr ? (true, ErrorCode.None) : (true, ErrorCode.NotEnoughReplicasAfterAppend);
    }

    private FollowerState NewFollower(int replicaId, long leaderLogEndOffset, long nowMs) =>
        new(replicaId, -1, _isr.Contains(replicaId) ? nowMs : -1, nowMs, leaderLogEndOffset, null);

    private ImmutableArray<IsrMember> Members(ImmutableArray<int> isr)
    {
        var members = ImmutableArray.CreateBuilder<IsrMember>(isr.Length);
        foreach (int id in isr)
        {
            // The leader's own epoch is filled in by whoever sends the request (it knows its registration).
            long epoch = id != _localReplicaId && _followers.TryGetValue(id, out var state) && state.BrokerEpoch is { } known ? known : -1;
            members.Add(new IsrMember(id, epoch));
        }

        return members.MoveToImmutable();
    }

    /// <summary>Kafka's maybeIncrementLeaderHW.</summary>
    private bool MaybeAdvance(long leaderLogEndOffset, long nowMs)
    {
        if (IsUnderMinIsr)
        {
            return false;
        }

        var maximal = MaximalIsr;
        long candidate = _localDurableEnd;
        foreach (var (id, state) in _followers)
        {
            if (state.LogEndOffset < candidate
                && (maximal.Contains(id) || (state.IsCaughtUp(leaderLogEndOffset, nowMs, ReplicaLagTimeMaxMs) && _isEligible(id, state.BrokerEpoch))))
            {
                candidate = state.LogEndOffset;
            }
        }

        if (candidate > HighWatermark)
        {
            HighWatermark = candidate;
            return true;
        }

        return false;
    }
}
