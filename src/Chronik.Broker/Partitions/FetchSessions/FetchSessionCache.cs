using Chronik.Protocol.Wire;

namespace Chronik.Broker.Partitions.FetchSessions;

/// <summary>How a fetch request relates to fetch sessions (KIP-227).</summary>
public enum FetchContextKind
{
    /// <summary>The session fields were wrong: answer with the error and no partitions.</summary>
    SessionError,

    /// <summary>A full fetch without a session (versions before 7, or epoch -1): answer every partition.</summary>
    Sessionless,

    /// <summary>A full fetch that opens a session (epoch 0): answer every partition, then cache them.</summary>
    Full,

    /// <summary>A fetch within a session: read every session partition, answer only those that changed.</summary>
    Incremental,
}

/// <summary>What to fetch for one request, after its session fields were interpreted.</summary>
public sealed class FetchContext
{
    internal FetchContext(FetchContextKind kind, ErrorCode error, FetchSession? session, int requestEpoch, bool usesTopicIds, bool privileged, List<(FetchPartitionKey Key, FetchPartitionParams Params)> partitions)
    {
        Kind = kind;
        Error = error;
        Session = session;
        RequestEpoch = requestEpoch;
        UsesTopicIds = usesTopicIds;
        Privileged = privileged;
        Partitions = partitions;
    }

    public FetchContextKind Kind { get; }

    /// <summary>The session error (FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH, FETCH_SESSION_TOPIC_ID_ERROR).</summary>
    public ErrorCode Error { get; }

    public FetchSession? Session { get; }

    public int RequestEpoch { get; }

    public bool UsesTopicIds { get; }

    public bool Privileged { get; }

    /// <summary>The partitions to read, in order (for an incremental fetch: every partition of the session).</summary>
    public List<(FetchPartitionKey Key, FetchPartitionParams Params)> Partitions { get; }
}

/// <summary>What a fetch found for one partition, as far as the session bookkeeping cares.</summary>
/// <param name="Error">The partition's error code.</param>
/// <param name="HighWatermark">The high watermark answered.</param>
/// <param name="LogStartOffset">The log start offset answered.</param>
/// <param name="RecordsBytes">Bytes of records answered.</param>
/// <param name="Diverging">A diverging epoch was answered (the fetcher must truncate).</param>
public readonly record struct FetchPartitionOutcome(ErrorCode Error, long HighWatermark, long LogStartOffset, int RecordsBytes, bool Diverging);

/// <summary>
/// The broker's fetch sessions (KIP-227, Kafka's FetchSessionCache), bounded to <c>maxEntries</c>. A full cache
/// admits a new session only by evicting one: first the session unused longest if it was idle beyond
/// <c>evictionMs</c>; otherwise the least valuable evictable session if the newcomer is worth more — a follower's
/// (privileged) session outranks a consumer's, then more partitions outrank fewer — where sessions younger than
/// <c>evictionMs</c> are protected (and a follower's is evictable only by followers). Without room, the fetch is
/// answered without a session (session id 0) and the client keeps sending full requests.
/// <para>
/// Thread-safe (one lock); the session objects are guarded by the same lock. Time is passed in; session ids come
/// from the injected <see cref="Random"/>.
/// </para>
/// </summary>
public sealed class FetchSessionCache
{
    /// <summary>max.incremental.fetch.session.cache.slots (Kafka's default).</summary>
    public const int DefaultMaxEntries = 1000;

    /// <summary>Kafka's min.incremental.fetch.session.eviction.ms.</summary>
    public const long DefaultEvictionMs = 120_000;

    public const int InvalidSessionId = 0;
    public const int InitialEpoch = 0;
    public const int FinalEpoch = -1;

    private readonly object _lock = new();
    private readonly Dictionary<int, FetchSession> _sessions = [];
    private readonly SortedSet<(long LastUsedMs, int Id)> _lastUsed = [];
    private readonly SortedSet<(bool Privileged, int Size, int Id)> _evictableByAll = [];
    private readonly SortedSet<(bool Privileged, int Size, int Id)> _evictableByPrivileged = [];
    private readonly int _maxEntries;
    private readonly long _evictionMs;
    private readonly Random _random;
    private long _partitions;

    public FetchSessionCache(int maxEntries = DefaultMaxEntries, long evictionMs = DefaultEvictionMs, Random? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxEntries);
        _maxEntries = maxEntries;
        _evictionMs = evictionMs;
        _random = random ?? new Random();
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _sessions.Count;
            }
        }
    }

    /// <summary>Partitions cached over all sessions.</summary>
    public long PartitionCount
    {
        get
        {
            lock (_lock)
            {
                return _partitions;
            }
        }
    }

    /// <summary>Sessions evicted to make room since start.</summary>
    public long Evictions { get; private set; }

    /// <summary>Kafka's FetchMetadata.nextEpoch: after the final epoch comes the final epoch; int.MaxValue wraps to 1.</summary>
    public static int NextEpoch(int epoch) => epoch < 0 ? FinalEpoch : epoch == int.MaxValue ? 1 : epoch + 1;

    public FetchSession? Get(int sessionId)
    {
        lock (_lock)
        {
            return _sessions.GetValueOrDefault(sessionId);
        }
    }

    /// <summary>
    /// Interprets a request's session fields (Kafka's FetchManager.newContext). A full request (epoch 0 or -1) closes
    /// the session it names; epoch -1 then fetches without a session, epoch 0 will open one. An incremental request
    /// must name a live session with the expected epoch and the same topic-id mode; it adds or updates the requested
    /// partitions, drops the forgotten ones and advances the epoch.
    /// </summary>
    public FetchContext NewContext(
        short version,
        int sessionId,
        int sessionEpoch,
        bool isFollower,
        List<(FetchPartitionKey Key, FetchPartitionParams Params)> requested,
        IReadOnlyList<FetchPartitionKey> forgotten,
        long nowMs)
    {
        bool usesTopicIds = version >= 13;
        if (version < 7)
        {
            return new FetchContext(FetchContextKind.Sessionless, ErrorCode.None, null, FinalEpoch, usesTopicIds, isFollower, requested);
        }

        lock (_lock)
        {
            if (sessionEpoch is InitialEpoch or FinalEpoch)
            {
                if (sessionId != InvalidSessionId && _sessions.TryGetValue(sessionId, out var closed))
                {
                    RemoveLocked(closed);
                }

                var kind = sessionEpoch == FinalEpoch ? FetchContextKind.Sessionless : FetchContextKind.Full;
                return new FetchContext(kind, ErrorCode.None, null, sessionEpoch, usesTopicIds, isFollower, requested);
            }

            if (!_sessions.TryGetValue(sessionId, out var session))
            {
                return Error(ErrorCode.FetchSessionIdNotFound);
            }

            if (session.Epoch != sessionEpoch)
            {
                return Error(ErrorCode.InvalidFetchSessionEpoch);
            }

            if (session.UsesTopicIds != usesTopicIds)
            {
                return Error(ErrorCode.FetchSessionTopicIdError);
            }

            session.Update(requested, forgotten);
            if (session.Count == 0)
            {
                RemoveLocked(session);
                return new FetchContext(FetchContextKind.Sessionless, ErrorCode.None, null, sessionEpoch, usesTopicIds, isFollower, requested);
            }

            TouchLocked(session, nowMs);
            session.Epoch = NextEpoch(session.Epoch);
            var partitions = new List<(FetchPartitionKey Key, FetchPartitionParams Params)>(session.Count);
            foreach (var partition in session.Partitions)
            {
                partitions.Add((partition.Key, partition.Request));
            }

            return new FetchContext(FetchContextKind.Incremental, ErrorCode.None, session, sessionEpoch, usesTopicIds, isFollower, partitions);
        }

        FetchContext Error(ErrorCode error) => new(FetchContextKind.SessionError, error, null, sessionEpoch, usesTopicIds, isFollower, []);
    }

    /// <summary>
    /// Records what was answered (Kafka's updateAndGenerateResponseData) and decides which partitions the response
    /// carries (<paramref name="include"/>, one flag per <see cref="FetchContext.Partitions"/> entry). Returns the
    /// response's session id and top-level error.
    /// </summary>
    public (int SessionId, ErrorCode Error) Complete(FetchContext context, ReadOnlySpan<FetchPartitionOutcome> outcomes, Span<bool> include, long nowMs)
    {
        switch (context.Kind)
        {
            case FetchContextKind.SessionError:
                include.Clear();
                return (InvalidSessionId, context.Error);
            case FetchContextKind.Sessionless:
                include.Fill(true);
                return (InvalidSessionId, ErrorCode.None);
            case FetchContextKind.Full:
                include.Fill(true);
                return (TryCreate(context, outcomes, nowMs), ErrorCode.None);
        }

        var session = context.Session!;
        lock (_lock)
        {
            if (session.Epoch != NextEpoch(context.RequestEpoch))
            {
                // Another request of this session ran in between.
                include.Clear();
                return (session.Id, ErrorCode.InvalidFetchSessionEpoch);
            }

            for (int i = 0; i < context.Partitions.Count; i++)
            {
                var key = context.Partitions[i].Key;
                var cached = session.Find(key);
                include[i] = cached is not null && MustRespond(cached, outcomes[i]);
                if (include[i] && outcomes[i].RecordsBytes > 0)
                {
                    session.MoveToEnd(key);
                }
            }

            return (session.Id, ErrorCode.None);
        }
    }

    public bool Remove(int sessionId)
    {
        lock (_lock)
        {
            if (!_sessions.TryGetValue(sessionId, out var session))
            {
                return false;
            }

            RemoveLocked(session);
            return true;
        }
    }

    /// <summary>Kafka's CachedPartition.maybeUpdateResponseData: new records, a moved high watermark or log start, an error, a divergence.</summary>
    private static bool MustRespond(CachedPartition cached, FetchPartitionOutcome outcome)
    {
        bool respond = outcome.RecordsBytes > 0 || outcome.Diverging;
        if (cached.HighWatermark != outcome.HighWatermark)
        {
            respond = true;
            cached.HighWatermark = outcome.HighWatermark;
        }

        if (cached.LogStartOffset != outcome.LogStartOffset)
        {
            respond = true;
            cached.LogStartOffset = outcome.LogStartOffset;
        }

        if (outcome.Error != ErrorCode.None)
        {
            // Sent again once the error is gone.
            cached.HighWatermark = -1;
            respond = true;
        }

        return respond;
    }

    private int TryCreate(FetchContext context, ReadOnlySpan<FetchPartitionOutcome> outcomes, long nowMs)
    {
        lock (_lock)
        {
            int size = context.Partitions.Count;
            if (_sessions.Count >= _maxEntries && !TryEvictLocked(context.Privileged, size, nowMs))
            {
                return InvalidSessionId;
            }

            int id;
            do
            {
                id = _random.Next(1, int.MaxValue);
            }
            while (_sessions.ContainsKey(id));

            var session = new FetchSession(id, context.Privileged, context.UsesTopicIds, nowMs, NextEpoch(InitialEpoch));
            for (int i = 0; i < size; i++)
            {
                var (key, request) = context.Partitions[i];
                if (session.Find(key) is not null)
                {
                    continue;
                }

                session.Add(new CachedPartition(key, request)
                {
                    HighWatermark = outcomes[i].Error == ErrorCode.None ? outcomes[i].HighWatermark : -1,
                    LogStartOffset = outcomes[i].LogStartOffset,
                });
            }

            _sessions[id] = session;
            TouchLocked(session, nowMs);
            return id;
        }
    }

    private bool TryEvictLocked(bool privileged, int size, long nowMs)
    {
        if (_lastUsed.Count == 0)
        {
            return false;
        }

        var (lastUsedMs, oldest) = _lastUsed.Min;
        if (nowMs - lastUsedMs > _evictionMs)
        {
            RemoveLocked(_sessions[oldest]);
            Evictions++;
            return true;
        }

        var candidates = privileged ? _evictableByPrivileged : _evictableByAll;
        if (candidates.Count == 0)
        {
            return false;
        }

        var least = candidates.Min;
        if ((privileged, size, 0).CompareTo(least) < 0)
        {
            return false;
        }

        RemoveLocked(_sessions[least.Id]);
        Evictions++;
        return true;
    }

    private void TouchLocked(FetchSession session, long nowMs)
    {
        _lastUsed.Remove((session.LastUsedMs, session.Id));
        session.LastUsedMs = nowMs;
        _lastUsed.Add((nowMs, session.Id));
        if (session.CachedSize >= 0)
        {
            var oldKey = (session.Privileged, session.CachedSize, session.Id);
            _evictableByAll.Remove(oldKey);
            _evictableByPrivileged.Remove(oldKey);
            _partitions -= session.CachedSize;
        }

        session.CachedSize = session.Count;
        var key = (session.Privileged, session.CachedSize, session.Id);
        bool old = nowMs - session.CreationMs > _evictionMs;
        if (!session.Privileged || old)
        {
            _evictableByPrivileged.Add(key);
        }

        if (old)
        {
            _evictableByAll.Add(key);
        }

        _partitions += session.CachedSize;
    }

    private void RemoveLocked(FetchSession session)
    {
        _lastUsed.Remove((session.LastUsedMs, session.Id));
        var key = (session.Privileged, session.CachedSize, session.Id);
        _evictableByAll.Remove(key);
        _evictableByPrivileged.Remove(key);
        if (_sessions.Remove(session.Id))
        {
            _partitions -= Math.Max(session.CachedSize, 0);
        }

        session.CachedSize = -1;
    }
}
