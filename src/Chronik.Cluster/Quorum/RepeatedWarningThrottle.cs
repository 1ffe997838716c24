namespace Chronik.Cluster.Quorum;

/// <summary>What to do with one warning (see <see cref="RepeatedWarningThrottle.Decide"/>).</summary>
internal enum WarningAction
{
    /// <summary>Log it as it is, exception and stack trace included: the first of its kind in a window.</summary>
    Log,

    /// <summary>Drop it: an identical warning was logged less than a window ago (it is counted).</summary>
    Suppress,

    /// <summary>Log it once more, with the number of identical warnings dropped since the last one that was logged.</summary>
    LogSummary,
}

/// <summary>The verdict on one warning: for <see cref="WarningAction.LogSummary"/>, how many were dropped over how long.</summary>
internal readonly record struct WarningVerdict(WarningAction Action, int Suppressed, TimeSpan Since);

/// <summary>
/// Decides which repeats of an identical warning (same category, event id and formatted message) are logged: the
/// first one, then none for <see cref="Window"/>, then — if it still recurs — one more that carries the number
/// dropped in between, and so on. A warning that recurs less often than once per window is always logged in full.
/// <para>
/// Why: DotNext's Raft logs "Cluster member X is unavailable" with a stack trace on every failed heartbeat (about
/// every 100 ms per unreachable peer), which buries everything else while a node is down; one line per window per
/// peer keeps the information (which member, since when, how often, the error) without the flood.
/// </para>
/// State is bounded: at most <see cref="Capacity"/> distinct warnings are tracked; when full, those not seen for a
/// whole window are forgotten, and a warning that still finds no room is logged untracked (never dropped).
/// Thread-safe; no I/O; the clock is injected.
/// </summary>
internal sealed class RepeatedWarningThrottle
{
    public const int DefaultCapacity = 1024;

    public static readonly TimeSpan DefaultWindow = TimeSpan.FromSeconds(30);

    private readonly TimeProvider _time;
    private readonly Dictionary<WarningKey, Entry> _entries = [];
    private readonly Lock _lock = new();

    public RepeatedWarningThrottle(TimeProvider time, TimeSpan? window = null, int capacity = DefaultCapacity)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        TimeSpan length = window ?? DefaultWindow;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(length, TimeSpan.Zero, nameof(window));
        _time = time;
        Window = length;
        Capacity = capacity;
    }

    public TimeSpan Window { get; }

    public int Capacity { get; }

    /// <summary>Distinct warnings currently tracked (never more than <see cref="Capacity"/>).</summary>
    public int TrackedCount
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Records one occurrence of a warning and says whether and how to log it.</summary>
    public WarningVerdict Decide(string category, int eventId, string message)
    {
        long now = _time.GetTimestamp();
        var key = new WarningKey(category, eventId, message);
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var entry))
            {
                TimeSpan since = _time.GetElapsedTime(entry.LastLogged, now);
                entry.LastSeen = now;
                if (since < Window)
                {
                    entry.Suppressed++;
                    return new WarningVerdict(WarningAction.Suppress, 0, TimeSpan.Zero);
                }

                int suppressed = entry.Suppressed;
                entry.LastLogged = now;
                entry.Suppressed = 0;
                return suppressed == 0
                    ? new WarningVerdict(WarningAction.Log, 0, TimeSpan.Zero)
                    : new WarningVerdict(WarningAction.LogSummary, suppressed, since);
            }

            if (_entries.Count >= Capacity)
            {
                ForgetQuietLocked(now);
            }

            if (_entries.Count < Capacity)
            {
                _entries[key] = new Entry { LastLogged = now, LastSeen = now };
            }

            return new WarningVerdict(WarningAction.Log, 0, TimeSpan.Zero);
        }
    }

    /// <summary>Drops the warnings not seen for a whole window: the condition behind them has passed.</summary>
    private void ForgetQuietLocked(long now)
    {
        List<WarningKey>? quiet = null;
        foreach (var (key, entry) in _entries)
        {
            if (_time.GetElapsedTime(entry.LastSeen, now) >= Window)
            {
                (quiet ??= []).Add(key);
            }
        }

        if (quiet is not null)
        {
            foreach (var key in quiet)
            {
                _entries.Remove(key);
            }
        }
    }

    private readonly record struct WarningKey(string Category, int EventId, string Message);

    private sealed class Entry
    {
        public long LastLogged;
        public long LastSeen;
        public int Suppressed;
    }
}
