namespace Chronik.Storage.Durability;

/// <summary>
/// A few dedicated threads that run the fsyncs of one flush round in parallel. On ext4 concurrent fsyncs of
/// different files share journal commits, so a round over 16 files takes about as long as two or three
/// sequential fsyncs. Threads rather than the thread pool: they block in the kernel and must not starve
/// continuations. The calling thread works too.
/// </summary>
internal sealed class ParallelSync : IDisposable
{
    private readonly Thread[] _threads;
    private readonly SemaphoreSlim _start = new(0);
    private readonly object _lock = new();
    private Round? _round;
    private volatile bool _stopping;

    public ParallelSync(int degree, string name)
    {
        _threads = new Thread[Math.Max(0, degree - 1)];
        for (int i = 0; i < _threads.Length; i++)
        {
            _threads[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"{name}-{i}" };
            _threads[i].Start();
        }
    }

    /// <summary>Runs every action once, in parallel, and returns each one's exception (null when it succeeded).</summary>
    public Exception?[] Run(IReadOnlyList<Action> work)
    {
        if (work.Count <= 1 || _threads.Length == 0)
        {
            var errors = new Exception?[work.Count];
            for (int i = 0; i < work.Count; i++)
            {
                errors[i] = Invoke(work[i]);
            }

            return errors;
        }

        lock (_lock)
        {
            var round = new Round(work);
            Volatile.Write(ref _round, round);
            _start.Release(Math.Min(_threads.Length, work.Count - 1));
            round.Drain();
            round.Done.Wait();
            Volatile.Write(ref _round, null);
            return round.Errors;
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _start.Release(_threads.Length);
        foreach (var thread in _threads)
        {
            thread.Join();
        }

        _start.Dispose();
    }

    private void WorkerLoop()
    {
        while (true)
        {
            _start.Wait();
            if (_stopping)
            {
                return;
            }

            // A worker woken late may find the round over (null or already drained): nothing to do then.
            Volatile.Read(ref _round)?.Drain();
        }
    }

    private static Exception? Invoke(Action action)
    {
        try
        {
            action();
            return null;
        }
        catch (Exception e)
        {
            // Reported to the round's waiters; a worker thread must survive anything.
            return e;
        }
    }

    // Its event is never disposed: the last worker may still be inside Set() when the caller wakes up.
    private sealed class Round(IReadOnlyList<Action> work)
    {
        private int _next;
        private int _remaining = work.Count;

        public Exception?[] Errors { get; } = new Exception?[work.Count];

        public ManualResetEventSlim Done { get; } = new(false);

        public void Drain()
        {
            while (true)
            {
                int i = Interlocked.Increment(ref _next) - 1;
                if (i >= work.Count)
                {
                    return;
                }

                Errors[i] = Invoke(work[i]);
                if (Interlocked.Decrement(ref _remaining) == 0)
                {
                    Done.Set();
                }
            }
        }
    }
}
