using Chronik.Protocol.Wire;
using Chronik.Storage.Retention;
using Chronik.Storage.Segments;

namespace Chronik.Storage;

public sealed partial class PartitionLog
{
    /// <summary>
    /// Removes every record at or above <paramref name="offset"/> (replication: a follower truncates to the
    /// leader-epoch boundary). As in Kafka, a batch containing the offset goes entirely and the log end becomes
    /// <paramref name="offset"/>. The shortened segment is fsynced; the high watermark, recovery point and
    /// epoch cache follow; pending durability waiters fail with NotLeaderOrFollower.
    /// </summary>
    public void TruncateTo(long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        lock (_lock)
        {
            ThrowIfClosedLocked();
            if (offset >= LogEndOffset)
            {
                return;
            }

            var segments = Segments;
            if (segments[0].BaseOffset > offset)
            {
                TruncateFullyAndStartAtLocked(offset);
                return;
            }

            int keep = FloorSegment(segments, offset) + 1;
            long delay = Config.FileDeleteDelayMs;
            for (int i = keep; i < segments.Length; i++)
            {
                _services.RetireLater(segments[i].Retire(deleteFiles: true), delay);
            }

            var remaining = segments[..keep];
            var active = remaining[^1];
            active.TruncateTo(offset);
            active.TransactionIndex.TruncateTo(offset);
            if (!active.IsActive)
            {
                active.Reactivate();
            }

            Volatile.Write(ref _segments, remaining);
            Volatile.Write(ref _logEndOffset, offset);
            Volatile.Write(ref _highWatermark, Math.Min(HighWatermark, offset));
            if (LogStartOffset > offset)
            {
                Volatile.Write(ref _logStartOffset, offset);
            }

            LeaderEpochs.TruncateFromEnd(offset);
            _snapshots.DeleteAbove(offset);
            ReloadProducerStateLocked(offset);
            _services.LogTruncated?.Invoke(TopicPartition, offset);
            MarkDirectoryDirty();
            lock (_flushLock)
            {
                Volatile.Write(ref _recoveryPoint, Math.Min(_recoveryPoint, offset));
                FailWaitersLocked(new StorageException(ErrorCode.NotLeaderOrFollower, $"{TopicPartition} was truncated to {offset}"));
            }
        }
    }

    /// <summary>
    /// Deletes everything and restarts the log empty at <paramref name="offset"/> (a follower far behind a
    /// leader whose log start is past its end). Clears the epoch cache.
    /// </summary>
    public void TruncateFullyAndStartAt(long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        lock (_lock)
        {
            ThrowIfClosedLocked();
            TruncateFullyAndStartAtLocked(offset);
        }
    }

    /// <summary>
    /// DeleteRecords: advances the log start offset to <paramref name="offset"/>, which may not exceed the high
    /// watermark (else OffsetOutOfRange), and deletes the segments wholly below it. Returns the new log start
    /// offset (the low watermark of the response).
    /// </summary>
    public long DeleteRecordsBefore(long offset)
    {
        lock (_lock)
        {
            ThrowIfClosedLocked();
            if (offset < 0 || offset > HighWatermark)
            {
                throw new StorageException(ErrorCode.OffsetOutOfRange, $"cannot delete records of {TopicPartition} before {offset}: the high watermark is {HighWatermark}");
            }

            if (offset <= LogStartOffset)
            {
                return LogStartOffset;
            }

            Volatile.Write(ref _logStartOffset, offset);
            LeaderEpochs.TruncateFromStart(offset);
            _producers.OnLogStartOffsetIncremented(offset);
            RefreshFirstUnstableOffsetLocked();
            DeleteOldSegmentsLocked(_services.NowMs, logStartOnly: true);
            _services.LogStartOffsetChanged?.Invoke();
            return LogStartOffset;
        }
    }

    /// <summary>Applies retention (see <see cref="RetentionPlanner"/>); returns the number of segments deleted.</summary>
    public int DeleteOldSegments()
    {
        lock (_lock)
        {
            if (_closed)
            {
                return 0;
            }

            return DeleteOldSegmentsLocked(_services.NowMs, logStartOnly: false);
        }
    }

    /// <summary>
    /// Swaps a compacted copy in for <paramref name="old"/>: the cleaned file (fsynced by the cleaner) is renamed
    /// over the segment's .log after its index files are deleted, so a crash at any step leaves either segment
    /// with its indexes missing (rebuilt at start-up), never an index pointing into the wrong file. Neither the
    /// directory nor the new indexes are fsynced: if a power loss undoes the rename the old, uncompacted segment
    /// is just as valid, and indexes are rebuilt when missing or insane. Null when the segment left the log
    /// meanwhile (truncation, retention); the cleaned file is then discarded.
    /// </summary>
    internal LogSegment? ReplaceSegment(LogSegment old, string cleanedPath, int cleanedSize)
    {
        LogSegment replacement;
        lock (_lock)
        {
            var segments = Segments;
            int index = Array.IndexOf(segments, old);
            if (_closed || index < 0 || old.IsActive)
            {
                File.Delete(cleanedPath);
                return null;
            }

            var lease = old.Retire(deleteFiles: false);
            old.DeleteIndexFiles();
            File.Move(cleanedPath, old.File.Path, overwrite: true);
            replacement = LogSegment.Open(Directory, old.BaseOffset, Config, _services.Files, cleanedSize, _services.NowMs, active: false);
            var updated = (LogSegment[])segments.Clone();
            updated[index] = replacement;
            Volatile.Write(ref _segments, updated);
            _services.RetireLater(lease, Config.FileDeleteDelayMs);
        }

        replacement.RebuildIndexesDurably(sync: false);
        return replacement;
    }

    private int DeleteOldSegmentsLocked(long now, bool logStartOnly)
    {
        var config = Config;
        var segments = Segments;
        var summaries = new SegmentSummary[segments.Length];
        for (int i = 0; i < segments.Length; i++)
        {
            // Only segments retention may look at pay for their timestamp (it reads the time index).
            long largest = config.Delete && config.RetentionMs >= 0 && !logStartOnly ? segments[i].LargestTimestamp : long.MaxValue;
            summaries[i] = new SegmentSummary(segments[i].BaseOffset, segments[i].Size, largest);
        }

        var decision = RetentionPlanner.Plan(summaries, LogEndOffset, HighWatermark, LogStartOffset, config, now, logStartOnly);
        if (decision.DeleteCount == 0)
        {
            return 0;
        }

        if (decision.DeleteCount == segments.Length)
        {
            RollLocked(LogEndOffset, now);
            segments = Segments;
        }

        for (int i = 0; i < decision.DeleteCount; i++)
        {
            _services.RetireLater(segments[i].Retire(deleteFiles: true), config.FileDeleteDelayMs);
        }

        // The new log start is published before the shorter segment list: a reader that sees the list also
        // sees the start, so it never serves a later batch for an offset that was just deleted.
        var remaining = segments[decision.DeleteCount..];
        bool startMoved = remaining[0].BaseOffset > LogStartOffset;
        if (startMoved)
        {
            Volatile.Write(ref _logStartOffset, remaining[0].BaseOffset);
        }

        Volatile.Write(ref _segments, remaining);
        _snapshots.DeleteBelow(remaining[0].BaseOffset);
        if (startMoved)
        {
            LeaderEpochs.TruncateFromStart(LogStartOffset);
            _producers.OnLogStartOffsetIncremented(LogStartOffset);
            RefreshFirstUnstableOffsetLocked();
            _services.LogStartOffsetChanged?.Invoke();
        }

        if (HighWatermark < LogStartOffset)
        {
            Volatile.Write(ref _highWatermark, LogStartOffset);
        }

        MarkDirectoryDirty();
        return decision.DeleteCount;
    }

    private void TruncateFullyAndStartAtLocked(long offset)
    {
        long delay = Config.FileDeleteDelayMs;
        foreach (var segment in Segments)
        {
            _services.RetireLater(segment.Retire(deleteFiles: true), delay);
        }

        var fresh = LogSegment.Create(Directory, offset, Config, _services.Files, _services.NowMs);
        Volatile.Write(ref _segments, [fresh]);
        Volatile.Write(ref _logEndOffset, offset);
        Volatile.Write(ref _logStartOffset, offset);
        Volatile.Write(ref _highWatermark, offset);
        LeaderEpochs.Clear();
        _producers.Clear();
        _snapshots.DeleteAll();
        RefreshFirstUnstableOffsetLocked();
        _services.LogTruncated?.Invoke(TopicPartition, offset);
        MarkDirectoryDirty();
        lock (_flushLock)
        {
            Volatile.Write(ref _recoveryPoint, offset);
            FailWaitersLocked(new StorageException(ErrorCode.NotLeaderOrFollower, $"{TopicPartition} was truncated fully and restarted at {offset}"));
        }

        _services.LogStartOffsetChanged?.Invoke();
    }
}
