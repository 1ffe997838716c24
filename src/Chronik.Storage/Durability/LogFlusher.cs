using System.Diagnostics;
using Chronik.Storage.Files;
using Chronik.Storage.Segments;

namespace Chronik.Storage.Durability;

/// <summary>How a flush round makes its files durable.</summary>
public enum FlushStrategy
{
    /// <summary>fdatasync per file, in parallel; one syncfs(2) instead when a round covers many files (Linux).</summary>
    Auto,

    /// <summary>Always fdatasync each file of the round, in parallel.</summary>
    PerFile,

    /// <summary>Always one syncfs(2) of the data directory's file system per round (Linux; elsewhere per file).</summary>
    FileSystem,
}

/// <summary>Counters of the group fsync; <see cref="AverageRoundMicroseconds"/> is the mean time of a round's syncs.</summary>
public readonly record struct FlushStatistics(long Rounds, long LogsFlushed, long FilesSynced, long FileSystemSyncs, long Failures, double AverageRoundMicroseconds);

/// <summary>One partition's share of a flush round, from <see cref="PartitionLog.BeginFlush"/>.</summary>
internal sealed record FlushTicket(PartitionLog Log, long TargetOffset, LogSegment[] Segments, IReadOnlyList<string> DirectoriesToSync);

/// <summary>
/// The group commit shared by every partition of a <see cref="LogManager"/>: one dedicated thread runs flush
/// rounds back to back. A round takes every partition that asked for a flush since the previous round began,
/// notes each one's log end offset, fsyncs the files holding data below it (in parallel, or with a single
/// syncfs when there are many), then advances each partition's recovery point and completes everyone who
/// waited for an offset below it. So one fsync serves every append that arrived while the previous one was in
/// flight, across partitions, and the fsync rate never limits the append rate.
/// Relaxed partitions (explicit flush.messages / flush.ms) ask for a round when their count is reached or
/// their deadline passes; the thread also sleeps until the earliest deadline.
/// </summary>
internal sealed class LogFlusher : IDisposable
{
    private readonly object _lock = new();
    private readonly PriorityQueue<PartitionLog, long> _deadlines = new();
    private readonly Thread _thread;
    private readonly ParallelSync _parallel;
    private readonly FlushStrategy _strategy;
    private readonly int _fileSystemSyncThreshold;
    private readonly string _fileSystemPath;
    private readonly TimeProvider _time;
    private readonly Action<Exception> _onFailure;
    private List<PartitionLog> _pending = [];
    private bool _stopping;
    private long _rounds;
    private long _logsFlushed;
    private long _filesSynced;
    private long _fileSystemSyncs;
    private long _failures;
    private long _roundTicks;

    public LogFlusher(string fileSystemPath, FlushStrategy strategy, int parallelism, int fileSystemSyncThreshold, TimeProvider time, Action<Exception> onFailure)
    {
        _fileSystemPath = fileSystemPath;
        _strategy = strategy;
        _fileSystemSyncThreshold = Math.Max(1, fileSystemSyncThreshold);
        _time = time;
        _onFailure = onFailure;
        _parallel = new ParallelSync(Math.Max(1, parallelism), "chronik-fsync");
        _thread = new Thread(Run) { IsBackground = true, Name = "chronik-flusher" };
        _thread.Start();
    }

    public FlushStatistics Statistics
    {
        get
        {
            lock (_lock)
            {
                double avg = _rounds == 0 ? 0 : _roundTicks * 1_000_000.0 / Stopwatch.Frequency / _rounds;
                return new FlushStatistics(_rounds, _logsFlushed, _filesSynced, _fileSystemSyncs, _failures, avg);
            }
        }
    }

    /// <summary>Told the duration of every round (for the metrics histogram).</summary>
    public Action<TimeSpan>? RoundCompleted { get; set; }

    /// <summary>Queues <paramref name="log"/> for the next round.</summary>
    public void Request(PartitionLog log)
    {
        lock (_lock)
        {
            _pending.Add(log);
            if (_pending.Count == 1)
            {
                Monitor.Pulse(_lock);
            }
        }
    }

    /// <summary>Queues <paramref name="log"/> for the first round after <paramref name="dueMs"/> (flush.ms).</summary>
    public void RequestBy(PartitionLog log, long dueMs)
    {
        lock (_lock)
        {
            _deadlines.Enqueue(log, dueMs);
            Monitor.Pulse(_lock);
        }
    }

    /// <summary>Runs the rounds still queued, then stops the thread.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _stopping = true;
            Monitor.Pulse(_lock);
        }

        _thread.Join();
        _parallel.Dispose();
    }

    private void Run()
    {
        var round = new List<PartitionLog>();
        while (true)
        {
            lock (_lock)
            {
                while (true)
                {
                    long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
                    while (_deadlines.TryPeek(out var log, out long due) && (due <= now || _stopping))
                    {
                        _deadlines.Dequeue();
                        _pending.Add(log);
                    }

                    if (_pending.Count > 0)
                    {
                        break;
                    }

                    if (_stopping)
                    {
                        return;
                    }

                    int timeout = _deadlines.TryPeek(out _, out long next) ? (int)Math.Clamp(next - now, 1, int.MaxValue) : Timeout.Infinite;
                    Monitor.Wait(_lock, timeout);
                }

                (round, _pending) = (_pending, round);
            }

            ExecuteRound(round);
            round.Clear();
        }
    }

    private void ExecuteRound(List<PartitionLog> logs)
    {
        var tickets = new List<FlushTicket>(logs.Count);
        foreach (var log in logs)
        {
            if (log.BeginFlush() is { } ticket)
            {
                tickets.Add(ticket);
            }
        }

        if (tickets.Count == 0)
        {
            return;
        }

        long started = Stopwatch.GetTimestamp();
        int files = 0;
        foreach (var ticket in tickets)
        {
            files += ticket.Segments.Length;
        }

        bool fileSystem = FileSync.FileSystemSyncAvailable &&
            (_strategy == FlushStrategy.FileSystem || (_strategy == FlushStrategy.Auto && files >= _fileSystemSyncThreshold));
        Exception?[] errors;
        try
        {
            errors = fileSystem ? SyncFileSystem(tickets) : SyncEachFile(tickets);
        }
        catch (Exception e)
        {
            // Whatever went wrong, the waiters of this round must hear about it: the thread never dies.
            errors = new Exception?[tickets.Count];
            Array.Fill(errors, e);
        }

        long elapsed = Stopwatch.GetTimestamp() - started;
        RoundCompleted?.Invoke(Stopwatch.GetElapsedTime(started, started + elapsed));

        int failures = 0;
        for (int i = 0; i < tickets.Count; i++)
        {
            if (errors[i] is { } error)
            {
                failures++;
                _onFailure(error);
            }

            tickets[i].Log.CompleteFlush(tickets[i], errors[i]);
        }

        lock (_lock)
        {
            _rounds++;
            _logsFlushed += tickets.Count;
            _filesSynced += files;
            _fileSystemSyncs += fileSystem ? 1 : 0;
            _failures += failures;
            _roundTicks += elapsed;
        }
    }

    private Exception?[] SyncEachFile(List<FlushTicket> tickets)
    {
        var work = new List<Action>();
        var owners = new List<List<int>>();
        var directories = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < tickets.Count; i++)
        {
            foreach (var segment in tickets[i].Segments)
            {
                work.Add(segment.Sync);
                owners.Add([i]);
            }

            // A directory (the logs directory after several partitions were created) is synced once per round.
            foreach (string directory in tickets[i].DirectoriesToSync)
            {
                if (directories.TryGetValue(directory, out int index))
                {
                    owners[index].Add(i);
                    continue;
                }

                directories[directory] = work.Count;
                work.Add(() => FileSync.SyncDirectory(directory));
                owners.Add([i]);
            }
        }

        var results = _parallel.Run(work);
        var errors = new Exception?[tickets.Count];
        for (int i = 0; i < results.Length; i++)
        {
            foreach (int owner in owners[i])
            {
                errors[owner] ??= results[i];
            }
        }

        return errors;
    }

    private Exception?[] SyncFileSystem(List<FlushTicket> tickets)
    {
        var errors = new Exception?[tickets.Count];
        var prepared = new List<LogSegment>();
        try
        {
            foreach (var ticket in tickets)
            {
                foreach (var segment in ticket.Segments)
                {
                    if (segment.PrepareFileSystemSync())
                    {
                        prepared.Add(segment);
                    }
                }
            }

            FileSync.SyncFileSystem(_fileSystemPath);
            foreach (var segment in prepared)
            {
                segment.MarkSynced();
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Array.Fill(errors, e);
        }

        return errors;
    }
}
