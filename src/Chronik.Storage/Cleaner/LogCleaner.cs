using System.Buffers;
using Chronik.Protocol.Records;
using Chronik.Storage.Files;
using Chronik.Storage.Records;
using Chronik.Storage.Segments;

namespace Chronik.Storage.Cleaner;

/// <summary>What one compaction pass over a log did.</summary>
public sealed record CleanResult(
    TopicPartition TopicPartition,
    long FirstDirtyOffset,
    long CleanedUpTo,
    int SegmentsCleaned,
    int SegmentsRewritten,
    long BytesBefore,
    long BytesAfter,
    long RecordsDropped);

/// <summary>Counters of the cleaner since start.</summary>
public readonly record struct CleanerStatistics(long Passes, long SegmentsRewritten, long BytesRead, long BytesWritten, long RecordsDropped, TimeSpan Throttled, long Failures);

/// <summary>
/// Background compaction of logs with cleanup.policy=compact (Kafka's LogCleaner, one cleaner thread). A pass
/// over a log: (1) a header walk over the cleanable range collects transaction markers and each producer's
/// last batch; (2) the dirty section (from the cleaner checkpoint up to the first uncleanable offset) is read
/// into an <see cref="OffsetMap"/> of key → latest offset, stopping early when the map is full; (3) every
/// inactive segment from the log start up to where the map reaches is rewritten through a
/// <see cref="CompactionFilter"/> into a .cleaned file, fsynced, and swapped in by
/// <see cref="PartitionLog.ReplaceSegment"/>; (4) the checkpoint moves to where the map reached. Segments keep
/// their base offsets and are not merged. Reads and writes are throttled to
/// <see cref="LogCleanerOptions.IoMaxBytesPerSecond"/>.
/// </summary>
public sealed class LogCleaner : IDisposable
{
    private const int FlushChunk = 1024 * 1024;

    private readonly LogCleanerOptions _options;
    private readonly LogServices _services;
    private readonly Func<IReadOnlyCollection<PartitionLog>> _logs;
    private readonly object _lock = new();
    private readonly Dictionary<TopicPartition, long> _checkpoints;
    private readonly Dictionary<TopicPartition, long> _deleteHorizons = [];
    private readonly HashSet<TopicPartition> _uncleanable = [];
    private readonly IoThrottler _throttler;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _passLock = new();
    private Task? _loop;
    private long _passes;
    private long _segmentsRewritten;
    private long _bytesRead;
    private long _bytesWritten;
    private long _recordsDropped;
    private long _failures;

    internal LogCleaner(LogCleanerOptions options, LogServices services, Func<IReadOnlyCollection<PartitionLog>> logs, Dictionary<TopicPartition, long> checkpoints)
    {
        _options = options;
        _services = services;
        _logs = logs;
        _checkpoints = checkpoints;
        _throttler = new IoThrottler(options.IoMaxBytesPerSecond, services.Time);
    }

    public CleanerStatistics Statistics
    {
        get
        {
            lock (_lock)
            {
                return new CleanerStatistics(_passes, _segmentsRewritten, _bytesRead, _bytesWritten, _recordsDropped, _throttler.Throttled, _failures);
            }
        }
    }

    /// <summary>The first dirty offset per log (the cleaner-offset-checkpoint content).</summary>
    internal Dictionary<TopicPartition, long> CheckpointSnapshot()
    {
        lock (_lock)
        {
            return new Dictionary<TopicPartition, long>(_checkpoints);
        }
    }

    /// <summary>The log was truncated to <paramref name="offset"/>: nothing at or above it counts as cleaned any more.</summary>
    internal void OnTruncated(TopicPartition topicPartition, long offset)
    {
        lock (_lock)
        {
            if (_checkpoints.TryGetValue(topicPartition, out long checkpoint) && checkpoint > offset)
            {
                _checkpoints[topicPartition] = offset;
            }
        }
    }

    internal void Forget(TopicPartition topicPartition)
    {
        lock (_lock)
        {
            _checkpoints.Remove(topicPartition);
            _deleteHorizons.Remove(topicPartition);
            _uncleanable.Remove(topicPartition);
        }
    }

    internal void Start()
    {
        if (_options.Enabled)
        {
            _loop = Task.Factory.StartNew(RunAsync, _stop.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        }
    }

    /// <summary>Cleans the compacted log that needs it most; null when none does.</summary>
    public CleanResult? CleanOnce()
    {
        long now = _services.NowMs;
        PartitionLog? best = null;
        double bestPriority = -1;
        foreach (var log in _logs())
        {
            var config = log.Config;
            if (!config.Compact)
            {
                continue;
            }

            lock (_lock)
            {
                if (_uncleanable.Contains(log.TopicPartition))
                {
                    continue;
                }
            }

            var range = ComputeRange(log, config, now);
            long? horizon;
            lock (_lock)
            {
                horizon = _deleteHorizons.TryGetValue(log.TopicPartition, out long h) ? h : null;
            }

            if (CleanerPlanner.NeedsCleaning(range, config, horizon, now) && CleanerPlanner.Priority(range) > bestPriority)
            {
                best = log;
                bestPriority = CleanerPlanner.Priority(range);
            }
        }

        return best is null ? null : Clean(best);
    }

    /// <summary>Runs one compaction pass over <paramref name="log"/> now, whatever its dirty ratio.</summary>
    public CleanResult Clean(PartitionLog log)
    {
        lock (_passLock)
        {
            try
            {
                return CleanLocked(log);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
            {
                Interlocked.Increment(ref _failures);
                throw;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Kafka marks a log it cannot clean as uncleanable rather than stopping the cleaner.
                lock (_lock)
                {
                    _uncleanable.Add(log.TopicPartition);
                }

                Interlocked.Increment(ref _failures);
                throw;
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _loop?.Wait();
        }
        catch (AggregateException e) when (e.InnerExceptions.All(x => x is OperationCanceledException))
        {
        }

        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            CleanResult? result = null;
            try
            {
                result = CleanOnce();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Counted in the statistics; an I/O failure is retried after the backoff, anything else
                // left the log marked uncleanable.
            }

            if (result is null || result.SegmentsCleaned == 0)
            {
                try
                {
                    await Task.Delay(_options.Backoff, _services.Time, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private CleanableRange ComputeRange(PartitionLog log, LogConfig config, long now)
    {
        var segments = log.Segments;
        var summaries = new CleanerSegment[segments.Length];
        for (int i = 0; i < segments.Length; i++)
        {
            var s = segments[i];
            long largest = config.MinCompactionLagMs > 0 ? s.LargestTimestamp : long.MinValue;
            long first = config.MaxCompactionLagMs != long.MaxValue && i < segments.Length - 1 ? s.FirstBatchTimestamp : -1;
            summaries[i] = new CleanerSegment(s.BaseOffset, s.Size, largest, first);
        }

        long? checkpoint;
        lock (_lock)
        {
            checkpoint = _checkpoints.TryGetValue(log.TopicPartition, out long c) ? c : null;
        }

        return CleanerPlanner.Compute(summaries, log.LogStartOffset, log.LogEndOffset, log.LastStableOffset, checkpoint, config, now);
    }

    private CleanResult CleanLocked(PartitionLog log)
    {
        var config = log.Config;
        long now = _services.NowMs;
        var range = ComputeRange(log, config, now);
        var segments = log.Segments;
        var tp = log.TopicPartition;
        if (range.FirstUncleanableOffset <= log.LogStartOffset || segments.Length < 2)
        {
            return new CleanResult(tp, range.FirstDirtyOffset, range.FirstDirtyOffset, 0, 0, 0, 0, 0);
        }

        // Segments holding offsets below the first uncleanable offset; never the active one.
        var cleanable = new List<LogSegment>();
        for (int i = 0; i < segments.Length - 1 && segments[i].BaseOffset < range.FirstUncleanableOffset; i++)
        {
            cleanable.Add(segments[i]);
        }

        var transactions = new TransactionOutcomes();
        var lastOfProducer = new Dictionary<long, long>();
        ScanHeaders(cleanable, range.FirstUncleanableOffset, transactions, lastOfProducer);
        var map = new OffsetMap(_options.MaxKeysPerPass);
        long end = BuildOffsetMap(cleanable, range, transactions, map);
        var filter = new CompactionFilter(map, transactions, lastOfProducer, now, config.DeleteRetentionMs);

        int cleaned = 0;
        int rewritten = 0;
        long before = 0;
        long after = 0;
        foreach (var segment in cleanable)
        {
            if (segment.BaseOffset >= end)
            {
                break;
            }

            before += segment.Size;
            long size = CleanSegment(log, segment, filter, out bool replaced);
            after += size;
            cleaned++;
            rewritten += replaced ? 1 : 0;
        }

        lock (_lock)
        {
            _checkpoints[tp] = Math.Max(end, range.FirstDirtyOffset);
            if (filter.EarliestDeleteHorizon is { } horizon)
            {
                _deleteHorizons[tp] = horizon;
            }
            else
            {
                _deleteHorizons.Remove(tp);
            }

            _passes++;
            _segmentsRewritten += rewritten;
            _recordsDropped += filter.RecordsDropped;
        }

        return new CleanResult(tp, range.FirstDirtyOffset, end, cleaned, rewritten, before, after, filter.RecordsDropped);
    }

    private void ScanHeaders(List<LogSegment> segments, long endOffset, TransactionOutcomes transactions, Dictionary<long, long> lastOfProducer)
    {
        foreach (var segment in segments)
        {
            using var lease = _services.Files.Acquire(segment.File);
            using var reader = new SegmentReader(lease.Handle, segment.Size, 256 * 1024);
            long position = 0;
            while (reader.TryReadHeader(position, out var info) && info.BaseOffset < endOffset)
            {
                Throttle(RecordBatchHeader.Size);
                if (info.ProducerId >= 0)
                {
                    lastOfProducer[info.ProducerId] = info.LastOffset;
                }

                if (info.IsControl)
                {
                    if (ControlRecords.TryReadBatchType(reader.ReadBatch(info), out var type) && type is ControlRecordType.Abort or ControlRecordType.Commit)
                    {
                        transactions.AddMarker(info.ProducerId, info.BaseOffset, type == ControlRecordType.Commit);
                    }
                }

                position = info.End;
            }
        }
    }

    /// <summary>Indexes the dirty section; returns the offset up to which it got (the end of the section unless the map filled).</summary>
    private long BuildOffsetMap(List<LogSegment> segments, in CleanableRange range, TransactionOutcomes transactions, OffsetMap map)
    {
        foreach (var segment in segments)
        {
            using var lease = _services.Files.Acquire(segment.File);
            using var reader = new SegmentReader(lease.Handle, segment.Size, 256 * 1024);
            long position = 0;
            while (reader.TryReadHeader(position, out var info) && info.BaseOffset < range.FirstUncleanableOffset)
            {
                position = info.End;
                if (info.LastOffset < range.FirstDirtyOffset)
                {
                    continue;
                }

                if (map.Count + Math.Max(info.RecordCount, 0) > map.Capacity && map.Count > 0)
                {
                    return info.BaseOffset;
                }

                Throttle(info.Size);
                map.CoverUpTo(info.LastOffset + 1);
                if (info.IsControl || (info.IsTransactional && transactions.OutcomeOf(info.ProducerId, info.BaseOffset) != TransactionOutcome.Committed))
                {
                    continue;
                }

                if (!RecordBatchRecords.TryOpen(reader.ReadBatch(info), BatchValidator.MaxUncompressedBytes, out var records))
                {
                    continue;
                }

                using (records)
                {
                    // Keys up to a malformed record are indexed; the filter keeps such a batch whole.
                    var recordReader = records.GetEnumerator();
                    while (recordReader.TryReadNext(out var record) == RecordReadStatus.Record)
                    {
                        if (!record.IsKeyNull)
                        {
                            map.Put(record.Key, record.Offset);
                        }
                    }
                }
            }
        }

        return Math.Max(range.FirstUncleanableOffset, range.FirstDirtyOffset);
    }

    /// <summary>Filters one segment into a .cleaned file and swaps it in if anything changed; returns the resulting size.</summary>
    private long CleanSegment(PartitionLog log, LogSegment segment, CompactionFilter filter, out bool replaced)
    {
        replaced = false;
        string cleanedPath = segment.File.Path + SegmentFiles.CleanedSuffix;
        var output = new ArrayBufferWriter<byte>(FlushChunk + 64 * 1024);
        bool changed = false;
        bool complete;
        long written = 0;
        int size = segment.Size;
        using (var cleanedHandle = File.OpenHandle(cleanedPath, FileMode.Create, FileAccess.ReadWrite))
        {
            using (var lease = _services.Files.Acquire(segment.File))
            using (var reader = new SegmentReader(lease.Handle, size, 256 * 1024))
            {
                long position = 0;
                while (reader.TryReadHeader(position, out var info))
                {
                    Throttle(info.Size);
                    var batch = reader.ReadBatch(info);
                    var fate = filter.Filter(batch, info, output);
                    if (fate == BatchFate.Keep)
                    {
                        output.Write(batch);
                    }
                    else
                    {
                        changed = true;
                    }

                    if (output.WrittenCount >= FlushChunk)
                    {
                        written += Flush(cleanedHandle, output, written);
                    }

                    position = info.End;
                }

                // A walk that stops before the end met bytes it cannot frame: leave such a segment alone.
                complete = position == size;
            }

            written += Flush(cleanedHandle, output, written);
            changed &= complete;
            if (changed)
            {
                FileSync.DataSync(cleanedHandle);
            }
        }

        if (!changed)
        {
            File.Delete(cleanedPath);
            return size;
        }

        replaced = log.ReplaceSegment(segment, cleanedPath, (int)written) is not null;
        return replaced ? written : size;
    }

    private long Flush(Microsoft.Win32.SafeHandles.SafeFileHandle handle, ArrayBufferWriter<byte> output, long position)
    {
        int count = output.WrittenCount;
        if (count == 0)
        {
            return 0;
        }

        RandomAccess.Write(handle, output.WrittenSpan, position);
        output.ResetWrittenCount();
        Throttle(count, written: true);
        return count;
    }

    private void Throttle(long bytes, bool written = false)
    {
        lock (_lock)
        {
            if (written)
            {
                _bytesWritten += bytes;
            }
            else
            {
                _bytesRead += bytes;
            }
        }

        var delay = _throttler.Record(bytes);
        if (delay > TimeSpan.Zero)
        {
            _stop.Token.WaitHandle.WaitOne(delay);
        }
    }
}
