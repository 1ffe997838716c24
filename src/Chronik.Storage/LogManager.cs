using System.Collections.Concurrent;
using System.Diagnostics;
using Chronik.Storage.Checkpoints;
using Chronik.Storage.Cleaner;
using Chronik.Storage.Durability;
using Chronik.Storage.Files;
using Chronik.Storage.Recovery;

namespace Chronik.Storage;

/// <summary>What opening the logs directory found.</summary>
/// <param name="CleanShutdown">True when the previous run closed cleanly (nothing was scanned).</param>
/// <param name="Partitions">Logs opened.</param>
/// <param name="SegmentsRecovered">Segments scanned batch by batch (those at or after a recovery point).</param>
/// <param name="BytesTruncated">Bytes cut off torn or corrupt tails (and the segments after them).</param>
/// <param name="IndexesRebuilt">Segments whose missing indexes were rebuilt.</param>
/// <param name="Elapsed">Time to open everything.</param>
public sealed record RecoveryReport(bool CleanShutdown, int Partitions, int SegmentsRecovered, long BytesTruncated, int IndexesRebuilt, TimeSpan Elapsed);

/// <summary>
/// All partition logs of one data directory (Kafka's LogManager): opens and recovers them at start-up, creates
/// and deletes them, and runs what they share: the group-commit <see cref="LogFlusher"/>, the bounded cache of
/// open files, checkpoints, retention, idle-index release and the <see cref="LogCleaner"/>.
/// <para>
/// Files: data-dir/logs/ holds one directory per partition (&lt;topic&gt;-&lt;partition&gt;: segments and
/// leader-epoch-checkpoint) and, like a Kafka log dir, the checkpoints of all partitions:
/// recovery-point-offset-checkpoint, replication-offset-checkpoint (high watermarks), log-start-offset-checkpoint,
/// cleaner-offset-checkpoint, plus .kafka_cleanshutdown after a clean close.
/// </para>
/// </summary>
public sealed class LogManager : IDisposable
{
    public const string LogsDirectoryName = "logs";
    public const string CleanShutdownFileName = ".kafka_cleanshutdown";
    public const string RecoveryPointCheckpointName = "recovery-point-offset-checkpoint";
    public const string HighWatermarkCheckpointName = "replication-offset-checkpoint";
    public const string LogStartOffsetCheckpointName = "log-start-offset-checkpoint";
    public const string CleanerOffsetCheckpointName = "cleaner-offset-checkpoint";
    private const string DeletedDirectorySuffix = "-delete";

    private readonly ConcurrentDictionary<TopicPartition, PartitionLog> _logs = new();
    private readonly LogManagerOptions _options;
    private readonly LogServices _services;
    private readonly FileHandleCache _files;
    private readonly LogFlusher _flusher;
    private readonly object _checkpointLock = new();
    private readonly object _createLock = new();
    private readonly CancellationTokenSource _stop = new();
    private Task? _housekeeping;
    private int _logStartDirty;
    private bool _disposed;

    private LogManager(LogManagerOptions options, string logsDirectory, Dictionary<TopicPartition, long> cleanerCheckpoints)
    {
        _options = options;
        LogsDirectory = logsDirectory;
        _files = new FileHandleCache(options.MaxOpenFiles);
        _services = new LogServices(_files, options.Time)
        {
            LogStartOffsetChanged = () => Interlocked.Exchange(ref _logStartDirty, 1),
            ProducerIdExpirationMs = options.ProducerIdExpirationMs,
            TransactionVerificationEnabled = options.TransactionVerificationEnabled,
        };
        _flusher = new LogFlusher(logsDirectory, options.FlushStrategy, options.FlushParallelism, options.FileSystemSyncThreshold, options.Time, _services.ReportFailure);
        _services.Flusher = _flusher;
        _services.Metrics = new StorageMetrics(this);
        _flusher.RoundCompleted = elapsed => _services.Metrics.FlushRound.Record(elapsed.TotalMilliseconds);
        Cleaner = new LogCleaner(options.Cleaner, _services, () => Logs, cleanerCheckpoints);
        _services.LogTruncated = Cleaner.OnTruncated;
        Recovery = new RecoveryReport(true, 0, 0, 0, 0, TimeSpan.Zero);
    }

    /// <summary>data-dir/logs.</summary>
    public string LogsDirectory { get; }

    /// <summary>What start-up found and did.</summary>
    public RecoveryReport Recovery { get; private set; }

    /// <summary>A snapshot of the open logs.</summary>
    public IReadOnlyCollection<PartitionLog> Logs => [.. _logs.Values];

    public LogCleaner Cleaner { get; }

    public FlushStatistics FlushStatistics => _flusher.Statistics;

    /// <summary>Segment files open right now (bounded by <see cref="LogManagerOptions.MaxOpenFiles"/> plus those in use).</summary>
    public int OpenFileCount => _files.OpenCount;

    /// <summary>Segment files opened since start (a fast-growing count means the open-file bound is too small).</summary>
    public long FilesOpenedTotal => _files.OpenedTotal;

    /// <summary>The I/O failure that took the directory offline, or null.</summary>
    public Exception? Failure => _services.Failure;

    /// <summary>Opens (and after a crash, recovers) every partition log under data-dir/logs, then starts the background work.</summary>
    public static LogManager Open(LogManagerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var started = Stopwatch.StartNew();
        string logsDirectory = Path.Combine(Path.GetFullPath(options.DataDirectory), LogsDirectoryName);
        Directory.CreateDirectory(logsDirectory);
        var cleanerCheckpoints = OffsetCheckpointFile.Read(Path.Combine(logsDirectory, CleanerOffsetCheckpointName));
        var manager = new LogManager(options, logsDirectory, cleanerCheckpoints);
        try
        {
            manager.LoadLogs(started);
        }
        catch
        {
            manager.Dispose();
            throw;
        }

        manager._housekeeping = Task.Run(manager.HousekeepingAsync);
        manager.Cleaner.Start();
        return manager;
    }

    /// <summary>
    /// The log of <paramref name="topicPartition"/>, created empty (at offset 0) if it does not exist. A given
    /// <paramref name="config"/> also replaces the config of an existing log (logs found at start-up get
    /// <see cref="LogManagerOptions.DefaultConfig"/> until the broker says otherwise).
    /// </summary>
    public PartitionLog GetOrCreateLog(TopicPartition topicPartition, LogConfig? config = null)
    {
        if (_logs.TryGetValue(topicPartition, out var log))
        {
            if (config is not null && !ReferenceEquals(config, log.Config) && config != log.Config)
            {
                log.Config = config;
            }

            return log;
        }

        if (!TopicPartition.IsValidTopicName(topicPartition.Topic) || topicPartition.Partition < 0)
        {
            throw new ArgumentException($"'{topicPartition}' is not a valid topic partition", nameof(topicPartition));
        }

        lock (_createLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_logs.TryGetValue(topicPartition, out log))
            {
                if (config is not null)
                {
                    log.Config = config;
                }

                return log;
            }

            string directory = Path.Combine(LogsDirectory, topicPartition.DirectoryName);
            Directory.CreateDirectory(directory);
            log = LogLoader.Load(topicPartition, directory, config ?? _options.DefaultConfig, _services, cleanShutdown: false, null, null, null, deferSync: false, out _);
            log.MarkNewDirectory();
            _logs[topicPartition] = log;
            return log;
        }
    }

    public PartitionLog? GetLog(TopicPartition topicPartition) => _logs.TryGetValue(topicPartition, out var log) ? log : null;

    /// <summary>
    /// Deletes a partition's log (topic deletion or reassignment away): it stops taking requests at once, its
    /// directory is renamed to &lt;name&gt;.&lt;id&gt;-delete and removed in the background (and at the next start).
    /// </summary>
    public bool DeleteLog(TopicPartition topicPartition)
    {
        if (!_logs.TryRemove(topicPartition, out var log))
        {
            return false;
        }

        log.CloseForDeletion();
        Cleaner.Forget(topicPartition);
        string renamed = $"{log.Directory}.{Guid.NewGuid():N}{DeletedDirectorySuffix}";
        Directory.Move(log.Directory, renamed);
        FileSync.SyncDirectory(LogsDirectory);
        _ = Task.Run(() => DeleteDirectory(renamed));
        return true;
    }

    /// <summary>Writes the recovery point, high watermark, log start and cleaner checkpoints of every log.</summary>
    public void WriteCheckpoints()
    {
        lock (_checkpointLock)
        {
            var logs = Logs;
            var recoveryPoints = new List<KeyValuePair<TopicPartition, long>>(logs.Count);
            var highWatermarks = new List<KeyValuePair<TopicPartition, long>>(logs.Count);
            var logStarts = new List<KeyValuePair<TopicPartition, long>>(logs.Count);
            foreach (var log in logs)
            {
                recoveryPoints.Add(new(log.TopicPartition, log.RecoveryPoint));
                highWatermarks.Add(new(log.TopicPartition, log.HighWatermark));
                logStarts.Add(new(log.TopicPartition, log.LogStartOffset));
            }

            OffsetCheckpointFile.Write(Path.Combine(LogsDirectory, RecoveryPointCheckpointName), recoveryPoints);
            OffsetCheckpointFile.Write(Path.Combine(LogsDirectory, HighWatermarkCheckpointName), highWatermarks);
            OffsetCheckpointFile.Write(Path.Combine(LogsDirectory, LogStartOffsetCheckpointName), logStarts);
            OffsetCheckpointFile.Write(Path.Combine(LogsDirectory, CleanerOffsetCheckpointName), Cleaner.CheckpointSnapshot());
        }
    }

    /// <summary>Applies retention to every log now; returns the segments deleted.</summary>
    public int RunRetention()
    {
        int deleted = 0;
        foreach (var log in Logs)
        {
            deleted += log.DeleteOldSegments();
        }

        return deleted;
    }

    /// <summary>Removes expired producer state from every log (producer.id.expiration.ms); returns how many producers went.</summary>
    public int RemoveExpiredProducers()
    {
        int removed = 0;
        foreach (var log in Logs)
        {
            removed += log.RemoveExpiredProducers();
        }

        return removed;
    }

    /// <summary>Drops the in-memory indexes of segments unused for <paramref name="idleFor"/>; returns how many.</summary>
    public int UnloadIdleIndexes(TimeSpan idleFor)
    {
        long idleSince = Environment.TickCount64 - (long)idleFor.TotalMilliseconds;
        int unloaded = 0;
        foreach (var log in Logs)
        {
            unloaded += log.UnloadIdleIndexes(idleSince);
        }

        return unloaded;
    }

    /// <summary>
    /// Clean shutdown: stops the background work, fsyncs and closes every log, writes the checkpoints and the
    /// clean-shutdown marker (so the next start scans nothing).
    /// </summary>
    public void Dispose()
    {
        lock (_createLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _stop.Cancel();
        try
        {
            _housekeeping?.Wait();
        }
        catch (AggregateException e) when (e.InnerExceptions.All(x => x is OperationCanceledException))
        {
        }

        Cleaner.Dispose();
        _flusher.Dispose();
        bool clean = Failure is null;

        // One syncfs makes every log durable at once; without it (not Linux) each file is fsynced as it closes.
        bool fileSystemSync = FileSync.FileSystemSyncAvailable;
        try
        {
            foreach (var log in Logs)
            {
                log.Close(sync: !fileSystemSync);
            }

            if (fileSystemSync)
            {
                FileSync.SyncFileSystem(LogsDirectory);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _services.ReportFailure(e);
            clean = false;
        }

        if (clean)
        {
            WriteCheckpoints();
        }

        _services.ReleaseRetired(all: true);
        _services.Metrics.Dispose();
        _files.Dispose();
        if (clean && Failure is null)
        {
            using (File.Create(Path.Combine(LogsDirectory, CleanShutdownFileName)))
            {
            }

            FileSync.SyncDirectory(LogsDirectory);
        }

        _stop.Dispose();
    }

    private void LoadLogs(Stopwatch started)
    {
        string marker = Path.Combine(LogsDirectory, CleanShutdownFileName);
        bool clean = File.Exists(marker);
        var recoveryPoints = OffsetCheckpointFile.Read(Path.Combine(LogsDirectory, RecoveryPointCheckpointName));
        var highWatermarks = OffsetCheckpointFile.Read(Path.Combine(LogsDirectory, HighWatermarkCheckpointName));
        var logStarts = OffsetCheckpointFile.Read(Path.Combine(LogsDirectory, LogStartOffsetCheckpointName));
        var directories = new List<(TopicPartition Tp, string Path)>();
        foreach (var directory in new DirectoryInfo(LogsDirectory).EnumerateDirectories())
        {
            if (directory.Name.EndsWith(DeletedDirectorySuffix, StringComparison.Ordinal))
            {
                DeleteDirectory(directory.FullName);
            }
            else if (TopicPartition.TryParseDirectoryName(directory.Name, out var tp))
            {
                directories.Add((tp, directory.FullName));
            }
        }

        int recovered = 0;
        long truncated = 0;
        int rebuilt = 0;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.RecoveryThreads) };
        Parallel.ForEach(directories, parallel, entry =>
        {
            var config = _options.ConfigFor?.Invoke(entry.Tp) ?? _options.DefaultConfig;
            var log = LogLoader.Load(
                entry.Tp,
                entry.Path,
                config,
                _services,
                clean,
                recoveryPoints.TryGetValue(entry.Tp, out long rp) ? rp : null,
                logStarts.TryGetValue(entry.Tp, out long ls) ? ls : null,
                highWatermarks.TryGetValue(entry.Tp, out long hw) ? hw : null,
                deferSync: FileSync.FileSystemSyncAvailable,
                out var outcome);
            _logs[entry.Tp] = log;
            Interlocked.Add(ref recovered, outcome.SegmentsRecovered);
            Interlocked.Add(ref truncated, outcome.BytesTruncated);
            Interlocked.Add(ref rebuilt, outcome.IndexesRebuilt);
        });

        if (FileSync.FileSystemSyncAvailable && (recovered > 0 || rebuilt > 0))
        {
            // Recovered segments and rebuilt indexes were written without fsync: one syncfs covers them all.
            FileSync.SyncFileSystem(LogsDirectory);
        }

        if (clean)
        {
            File.Delete(marker);
            FileSync.SyncDirectory(LogsDirectory);
        }

        if (!clean && _logs.Count > 0)
        {
            // Recovery made everything durable: record it so a crash soon after does not scan it all again.
            WriteCheckpoints();
        }

        Recovery = new RecoveryReport(clean, _logs.Count, recovered, truncated, rebuilt, started.Elapsed);
    }

    private async Task HousekeepingAsync()
    {
        var time = _options.Time;
        long now = _services.NowMs;
        long nextCheckpoint = now + (long)_options.CheckpointInterval.TotalMilliseconds;
        long nextRetention = now + (long)_options.RetentionCheckInterval.TotalMilliseconds;
        long idleMs = (long)_options.IdleIndexTimeout.TotalMilliseconds;
        long nextIdleSweep = now + idleMs / 2;
        long nextProducerExpiry = now + (long)_options.ProducerIdExpirationCheckInterval.TotalMilliseconds;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.HousekeepingInterval, time, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                now = _services.NowMs;
                _services.ReleaseRetired(all: false);
                if (now >= nextCheckpoint || Interlocked.Exchange(ref _logStartDirty, 0) == 1)
                {
                    WriteCheckpoints();
                    nextCheckpoint = now + (long)_options.CheckpointInterval.TotalMilliseconds;
                }

                if (now >= nextRetention)
                {
                    RunRetention();
                    nextRetention = now + (long)_options.RetentionCheckInterval.TotalMilliseconds;
                }

                if (now >= nextProducerExpiry)
                {
                    RemoveExpiredProducers();
                    nextProducerExpiry = now + (long)_options.ProducerIdExpirationCheckInterval.TotalMilliseconds;
                }

                if (now >= nextIdleSweep)
                {
                    UnloadIdleIndexes(_options.IdleIndexTimeout);
                    nextIdleSweep = now + Math.Max(idleMs / 2, 1000);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _services.ReportFailure(e);
            }
            catch (ObjectDisposedException) when (_stop.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private static void DeleteDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Retried at the next start, which deletes every *-delete directory.
        }
    }
}
