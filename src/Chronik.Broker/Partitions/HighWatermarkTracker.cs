namespace Chronik.Broker.Partitions;

/// <summary>What a leader knows about one follower (Kafka's ReplicaState).</summary>
/// <param name="ReplicaId">The follower's broker id.</param>
/// <param name="LogEndOffset">Its log end offset, from its last fetch (-1 before the first).</param>
/// <param name="LastCaughtUpTimeMs">The last time it had everything the leader had.</param>
/// <param name="LastFetchTimeMs">When it last fetched.</param>
/// <param name="LastFetchLeaderLogEndOffset">The leader's log end offset at that fetch.</param>
public readonly record struct FollowerState(int ReplicaId, long LogEndOffset, long LastCaughtUpTimeMs, long LastFetchTimeMs, long LastFetchLeaderLogEndOffset);

/// <summary>
/// The leader's replication bookkeeping of one partition, as in Kafka's Partition: the log end offset of every
/// replica, the ISR, and the high watermark — the minimum log end offset over the ISR, never moving back while
/// this broker leads. The leader's own contribution is its <em>durable</em> log end offset (everything below it
/// is fsynced), so consumers never see a record a crash could still take away; a single replica's high
/// watermark is therefore its durable log end offset.
/// <para>
/// A follower is caught up when its fetch reached the leader's log end offset at the time of the fetch, or the
/// log end offset the leader had at its previous fetch (Kafka's lastCaughtUpTimeMs rule); it falls out of sync
/// after replica.lag.time.max.ms without catching up (<see cref="OutOfSyncReplicas"/>), and qualifies for the ISR
/// again once it reached the high watermark and the start of the leader's epoch (<see cref="CaughtUpReplicas"/>).
/// ISR changes themselves are the controller's decision (AlterPartition); this class only reports candidates.
/// </para>
/// Pure: no I/O, no clock (times are passed in), not thread-safe (the owning <see cref="Partition"/> locks).
/// </summary>
public sealed class HighWatermarkTracker
{
    private readonly int _localReplicaId;
    private readonly Dictionary<int, FollowerState> _followers = [];
    private int[] _replicas;
    private int[] _isr;
    private long _localLogEndOffset;

    /// <param name="localReplicaId">This broker (the leader).</param>
    /// <param name="replicas">Assigned replicas, this broker included.</param>
    /// <param name="isr">In-sync replicas.</param>
    /// <param name="highWatermark">The high watermark the log had when this broker became leader.</param>
    /// <param name="localLogEndOffset">This broker's durable log end offset now.</param>
    /// <param name="leaderEpochStartOffset">The log end offset when this leader epoch began.</param>
    /// <param name="nowMs">Followers start out counted as caught up now (Kafka resets their state on a leader change).</param>
    public HighWatermarkTracker(int localReplicaId, IReadOnlyList<int> replicas, IReadOnlyList<int> isr, long highWatermark, long localLogEndOffset, long leaderEpochStartOffset, long nowMs)
    {
        _localReplicaId = localReplicaId;
        _replicas = [.. replicas];
        _isr = [.. isr];
        HighWatermark = highWatermark;
        _localLogEndOffset = localLogEndOffset;
        LeaderEpochStartOffset = leaderEpochStartOffset;
        foreach (int replica in _replicas)
        {
            if (replica != localReplicaId)
            {
                _followers[replica] = new FollowerState(replica, -1, nowMs, nowMs, localLogEndOffset);
            }
        }

        MaybeAdvance();
    }

    public long HighWatermark { get; private set; }

    public long LeaderEpochStartOffset { get; }

    public IReadOnlyList<int> Replicas => _replicas;

    public IReadOnlyList<int> Isr => _isr;

    /// <summary>The leader's durable log end offset as last reported.</summary>
    public long LocalLogEndOffset => _localLogEndOffset;

    /// <summary>What this leader knows about <paramref name="replicaId"/>, or null when it is not a follower here.</summary>
    public FollowerState? Follower(int replicaId) => _followers.TryGetValue(replicaId, out var state) ? state : null;

    /// <summary>The leader's data up to <paramref name="durableLogEndOffset"/> is on disk. True when the high watermark moved.</summary>
    public bool UpdateLocal(long durableLogEndOffset)
    {
        if (durableLogEndOffset > _localLogEndOffset)
        {
            _localLogEndOffset = durableLogEndOffset;
        }

        return MaybeAdvance();
    }

    /// <summary>
    /// A follower fetched from <paramref name="fetchOffset"/> (its log end offset) at <paramref name="nowMs"/>, when
    /// the leader's log end offset was <paramref name="leaderLogEndOffset"/>. False for a broker that is not an
    /// assigned follower (the caller answers it with an error); otherwise true, and <paramref name="highWatermarkMoved"/>
    /// tells whether the high watermark advanced.
    /// </summary>
    public bool UpdateFollower(int replicaId, long fetchOffset, long leaderLogEndOffset, long nowMs, out bool highWatermarkMoved)
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

        _followers[replicaId] = new FollowerState(replicaId, fetchOffset, caughtUp, nowMs, leaderLogEndOffset);
        highWatermarkMoved = MaybeAdvance();
        return true;
    }

    /// <summary>
    /// A new assignment or ISR from the metadata image (same leader epoch). Followers that are new get a fresh
    /// state; removed ones are forgotten. True when the high watermark moved (a shrunk ISR can let it advance).
    /// </summary>
    public bool UpdateAssignment(IReadOnlyList<int> replicas, IReadOnlyList<int> isr, long nowMs)
    {
        _replicas = [.. replicas];
        _isr = [.. isr];
        foreach (int replica in _replicas)
        {
            if (replica != _localReplicaId && !_followers.ContainsKey(replica))
            {
                _followers[replica] = new FollowerState(replica, -1, nowMs, nowMs, _localLogEndOffset);
            }
        }

        List<int>? gone = null;
        foreach (int id in _followers.Keys)
        {
            if (Array.IndexOf(_replicas, id) < 0)
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

        return MaybeAdvance();
    }

    /// <summary>
    /// ISR members (the leader excepted) that have not caught up within <paramref name="maxLagMs"/>
    /// (replica.lag.time.max.ms): candidates to remove from the ISR (Kafka's getOutOfSyncReplicas).
    /// </summary>
    public List<int> OutOfSyncReplicas(long nowMs, long maxLagMs, long leaderLogEndOffset)
    {
        var result = new List<int>();
        foreach (int id in _isr)
        {
            if (id != _localReplicaId && _followers.TryGetValue(id, out var state)
                && state.LogEndOffset != leaderLogEndOffset && nowMs - state.LastCaughtUpTimeMs > maxLagMs)
            {
                result.Add(id);
            }
        }

        return result;
    }

    /// <summary>
    /// Assigned followers outside the ISR whose log reached the high watermark and the start of this leader's epoch:
    /// candidates to add to the ISR (Kafka's isFollowerInSync).
    /// </summary>
    public List<int> CaughtUpReplicas()
    {
        var result = new List<int>();
        foreach (var (id, state) in _followers)
        {
            if (Array.IndexOf(_isr, id) < 0 && state.LogEndOffset >= HighWatermark && state.LogEndOffset >= LeaderEpochStartOffset)
            {
                result.Add(id);
            }
        }

        return result;
    }

    private bool MaybeAdvance()
    {
        long candidate = _localLogEndOffset;
        foreach (int id in _isr)
        {
            if (id == _localReplicaId)
            {
                continue;
            }

            // An ISR member we have not heard from yet holds the high watermark where it is.
            long followerEnd = _followers.TryGetValue(id, out var state) ? state.LogEndOffset : -1;
            candidate = Math.Min(candidate, followerEnd);
        }

        if (candidate > HighWatermark)
        {
            HighWatermark = candidate;
            return true;
        }

        return false;
    }
}
