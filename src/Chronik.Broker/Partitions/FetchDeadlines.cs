namespace Chronik.Broker.Partitions;

/// <summary>Something that must act at a deadline unless cancelled first (a parked fetch's max_wait_ms).</summary>
public interface IDeadlineTarget
{
    /// <summary>The deadline passed. Called on the timer's thread, outside any lock of <see cref="FetchDeadlines"/>.</summary>
    void OnDeadline();
}

/// <summary>
/// The max_wait_ms deadlines of a broker's parked fetches, on one timer (Kafka's purgatory has one timer per broker
/// too). A timer per fetch cost the runtime's timer thread a wake-up or two per parked fetch, though most fetches are
/// answered by data long before their deadline. Here the timer is re-armed only when a new deadline is earlier than the
/// one it is set for; a fetch answered early just cancels its entry, and cancelled entries are dropped when they reach
/// the head. A deadline fires once the injected clock has reached it, never before.
/// </summary>
public sealed class FetchDeadlines
{
    private readonly TimeProvider _time;
    private readonly long _origin;
    private readonly ITimer _timer;
    private readonly object _lock = new();
    private readonly PriorityQueue<Deadline, long> _queue = new();
    private long _armedFor = long.MaxValue;

    public FetchDeadlines(TimeProvider time)
    {
        _time = time;
        _origin = time.GetTimestamp();
        _timer = time.CreateTimer(static state => ((FetchDeadlines)state!).Expire(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Entries held, cancelled ones not yet dropped included.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>
    /// Calls <paramref name="target"/>'s <see cref="IDeadlineTarget.OnDeadline"/> once <paramref name="delayMs"/> have
    /// passed, unless the returned deadline is cancelled first.
    /// </summary>
    public Deadline Schedule(int delayMs, IDeadlineTarget target)
    {
        var deadline = new Deadline(target);
        lock (_lock)
        {
            long now = Now;
            long due = now + (Math.Max(delayMs, 0) * TimeSpan.TicksPerMillisecond);
            _queue.Enqueue(deadline, due);
            if (due < _armedFor)
            {
                ArmLocked(due, now);
            }
        }

        return deadline;
    }

    /// <summary>The clock in <see cref="TimeSpan"/> ticks since this instance was made.</summary>
    private long Now => _time.GetElapsedTime(_origin).Ticks;

    private void Expire()
    {
        List<IDeadlineTarget>? expired = null;
        lock (_lock)
        {
            long now = Now;
            _armedFor = long.MaxValue;
            while (_queue.TryPeek(out var deadline, out long due))
            {
                if (deadline.IsCancelled)
                {
                    _queue.Dequeue();
                    continue;
                }

                if (due > now)
                {
                    ArmLocked(due, now);
                    break;
                }

                _queue.Dequeue();
                if (deadline.TryClaim() is { } target)
                {
                    (expired ??= []).Add(target);
                }
            }
        }

        if (expired is not null)
        {
            foreach (var target in expired)
            {
                target.OnDeadline();
            }
        }
    }

    private void ArmLocked(long due, long now)
    {
        _armedFor = due;

        // Whole milliseconds, rounded up: timers truncate, and one set short would fire, find nothing due and spin. At
        // least one, so the callback never runs inside Schedule (fetches with max_wait_ms 0 answer without waiting).
        long ms = Math.Max(1, (due - now + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond);
        _timer.Change(TimeSpan.FromMilliseconds(ms), Timeout.InfiniteTimeSpan);
    }

    /// <summary>One scheduled deadline; cancelling it (the fetch was answered) releases the target at once.</summary>
    public sealed class Deadline
    {
        private IDeadlineTarget? _target;

        internal Deadline(IDeadlineTarget target) => _target = target;

        public bool IsCancelled => Volatile.Read(ref _target) is null;

        /// <summary>The deadline will not fire (a no-op once it fired).</summary>
        public void Cancel() => Volatile.Write(ref _target, null);

        internal IDeadlineTarget? TryClaim() => Interlocked.Exchange(ref _target, null);
    }
}
