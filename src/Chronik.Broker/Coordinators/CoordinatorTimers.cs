namespace Chronik.Broker.Coordinators;

/// <summary>
/// Named deadlines of one shard (session expiry, rebalance and join timeouts, offset expiry), with no
/// clock of its own: the runtime arms one real timer for <see cref="NextDeadline"/> and calls
/// <see cref="TakeExpired"/> when it fires; tests call it with virtual time. Scheduling a key again
/// replaces its deadline, as Kafka's coordinator timer does.
/// </summary>
public sealed class CoordinatorTimers
{
    private readonly Dictionary<string, Entry> _byKey = new(StringComparer.Ordinal);
    private readonly PriorityQueue<Entry, (long Deadline, long Sequence)> _queue = new();
    private long _sequence;

    public int Count => _byKey.Count;

    /// <summary>The earliest deadline (ms since the epoch), or null with nothing scheduled.</summary>
    public long? NextDeadline
    {
        get
        {
            while (_queue.TryPeek(out Entry? head, out _))
            {
                if (head.Cancelled)
                {
                    _queue.Dequeue();
                    continue;
                }

                return head.Deadline;
            }

            return null;
        }
    }

    public void Schedule(string key, long deadlineMs, Action callback)
    {
        Cancel(key);
        var entry = new Entry(key, deadlineMs, callback);
        _byKey[key] = entry;
        _queue.Enqueue(entry, (deadlineMs, _sequence++));
    }

    public bool IsScheduled(string key) => _byKey.ContainsKey(key);

    public void Cancel(string key)
    {
        if (_byKey.Remove(key, out Entry? entry))
        {
            entry.Cancelled = true;
        }
    }

    /// <summary>Cancels every timer whose key starts with <paramref name="prefix"/>.</summary>
    public void CancelAll(string prefix)
    {
        foreach (string key in _byKey.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList())
        {
            Cancel(key);
        }
    }

    public void Clear()
    {
        foreach (Entry entry in _byKey.Values)
        {
            entry.Cancelled = true;
        }

        _byKey.Clear();
        _queue.Clear();
    }

    /// <summary>
    /// Removes and returns the callback of the earliest timer due at <paramref name="nowMs"/>, or null.
    /// One at a time, because running a callback may schedule or cancel others.
    /// </summary>
    public Action? TakeExpired(long nowMs)
    {
        while (_queue.TryPeek(out Entry? head, out _))
        {
            if (head.Cancelled)
            {
                _queue.Dequeue();
                continue;
            }

            if (head.Deadline > nowMs)
            {
                return null;
            }

            _queue.Dequeue();
            _byKey.Remove(head.Key);
            return head.Callback;
        }

        return null;
    }

    private sealed class Entry(string key, long deadline, Action callback)
    {
        public string Key { get; } = key;

        public long Deadline { get; } = deadline;

        public Action Callback { get; } = callback;

        public bool Cancelled { get; set; }
    }
}
