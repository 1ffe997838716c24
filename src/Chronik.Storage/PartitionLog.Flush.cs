using Chronik.Protocol.Wire;
using Chronik.Storage.Durability;
using Chronik.Storage.Segments;

namespace Chronik.Storage;

public sealed partial class PartitionLog
{
    // Guarded by _flushLock (taken after _lock when both are needed).
    private readonly object _flushLock = new();
    private long _recoveryPoint;
    private TaskCompletionSource? _nextFlush;
    private TaskCompletionSource? _inFlight;
    private long _inFlightTarget;
    private bool _flushQueued;
    private long _unflushedMessages;
    private bool _deadlineArmed;
    private int _directoryDirty;
    private int _parentDirectoryDirty;

    /// <summary>
    /// Phase two of an append: completes when the record at <paramref name="offset"/> (an offset this log
    /// returned from an append) is durable as the topic's flush policy defines it. With the default policy
    /// that is after the group fsync covering it; with explicit flush.messages / flush.ms it completes at once,
    /// as Kafka acknowledges from the page cache. Faults with <see cref="StorageException"/> (KafkaStorageError
    /// when the fsync failed, NotLeaderOrFollower when the log was truncated below the offset first).
    /// </summary>
    public ValueTask WaitForDurabilityAsync(long offset, CancellationToken cancellationToken = default) =>
        Config.FsyncBeforeAck ? WaitForFlushAsync(offset, cancellationToken) : ValueTask.CompletedTask;

    /// <summary>Completes when every offset up to and including <paramref name="offset"/> is fsynced, whatever the policy.</summary>
    public ValueTask WaitForFlushAsync(long offset, CancellationToken cancellationToken = default)
    {
        if (offset < Volatile.Read(ref _recoveryPoint))
        {
            return ValueTask.CompletedTask;
        }

        Task task;
        lock (_flushLock)
        {
            if (offset < _recoveryPoint)
            {
                return ValueTask.CompletedTask;
            }

            if (offset >= LogEndOffset)
            {
                return ValueTask.FromException(new StorageException(ErrorCode.NotLeaderOrFollower, $"offset {offset} of {TopicPartition} is not in the log (log end offset {LogEndOffset}); it was truncated"));
            }

            if (_inFlight is not null && offset < _inFlightTarget)
            {
                task = _inFlight.Task;
            }
            else
            {
                _nextFlush ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                task = _nextFlush.Task;
                RequestFlushLocked();
            }
        }

        return new ValueTask(cancellationToken.CanBeCanceled ? task.WaitAsync(cancellationToken) : task);
    }

    /// <summary>Fsyncs everything appended so far and waits for it (for shutdown paths and tests).</summary>
    public ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        long end = LogEndOffset;
        if (end > RecoveryPoint)
        {
            return WaitForFlushAsync(end - 1, cancellationToken);
        }

        lock (_flushLock)
        {
            if (Volatile.Read(ref _directoryDirty) == 0)
            {
                return ValueTask.CompletedTask;
            }

            _nextFlush ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            RequestFlushLocked();
            return new ValueTask(_nextFlush.Task);
        }
    }

    /// <summary>
    /// Called by the flusher when a round starts: fixes the target (the current log end offset; every byte
    /// below it is written), the segments holding unflushed data below it, and the waiters this round serves.
    /// Null when there is nothing to do.
    /// </summary>
    internal FlushTicket? BeginFlush()
    {
        lock (_flushLock)
        {
            _flushQueued = false;
            long target = LogEndOffset;
            bool directory = Interlocked.Exchange(ref _directoryDirty, 0) != 0;
            bool parent = Interlocked.Exchange(ref _parentDirectoryDirty, 0) != 0;
            if (target <= _recoveryPoint && _nextFlush is null && !directory && !parent)
            {
                return null;
            }

            // Segments with data in [recovery point, target), plus rolled segments whose indexes are not durable
            // yet (their data may have been flushed just before they rolled).
            var segments = Segments;
            long point = _recoveryPoint;
            int from = FloorSegment(segments, point);
            while (from > 0 && segments[from - 1].NeedsIndexSync)
            {
                from--;
            }

            var toSync = new List<LogSegment>(segments.Length - from);
            for (int i = from; i < segments.Length; i++)
            {
                long nextBase = i + 1 < segments.Length ? segments[i + 1].BaseOffset : long.MaxValue;
                bool unflushedData = target > point && segments[i].BaseOffset < target && nextBase > point;
                if (unflushedData || segments[i].NeedsIndexSync)
                {
                    toSync.Add(segments[i]);
                }
            }

            _inFlight = _nextFlush;
            _nextFlush = null;
            _inFlightTarget = target;
            _unflushedMessages = 0;
            _deadlineArmed = false;
            string[] directories = (directory, parent) switch
            {
                (true, true) => [Directory, Path.GetDirectoryName(Directory)!],
                (true, false) => [Directory],
                (false, true) => [Path.GetDirectoryName(Directory)!],
                _ => [],
            };
            return new FlushTicket(this, target, [.. toSync], directories);
        }
    }

    /// <summary>Called by the flusher when the round's syncs finished (or failed with <paramref name="error"/>).</summary>
    internal void CompleteFlush(FlushTicket ticket, Exception? error)
    {
        TaskCompletionSource? waiters;
        lock (_flushLock)
        {
            if (error is null)
            {
                long point = Math.Min(ticket.TargetOffset, LogEndOffset);
                if (point > _recoveryPoint)
                {
                    Volatile.Write(ref _recoveryPoint, point);
                }
            }
            else
            {
                Interlocked.Exchange(ref _directoryDirty, 1);
                if (ticket.DirectoriesToSync.Count > 0 && ticket.DirectoriesToSync[^1] != Directory)
                {
                    Interlocked.Exchange(ref _parentDirectoryDirty, 1);
                }
            }

            waiters = _inFlight;
            _inFlight = null;
            _inFlightTarget = 0;
        }

        if (error is null)
        {
            waiters?.TrySetResult();
        }
        else
        {
            waiters?.TrySetException(new StorageException(ErrorCode.KafkaStorageError, $"fsync of {TopicPartition} failed: {error.Message}", error));
        }
    }

    /// <summary>Flush bookkeeping after an append, under the log lock: which policy asks for which round.</summary>
    private void AfterAppendLocked(LogConfig config, int records, long now)
    {
        lock (_flushLock)
        {
            if (config.FsyncBeforeAck)
            {
                // Also without a waiter (acks=0): the data is fsynced in the next round regardless.
                RequestFlushLocked();
                return;
            }

            _unflushedMessages += records;
            if (config.FlushMessages is { } messages && _unflushedMessages >= messages)
            {
                RequestFlushLocked();
            }
            else if (config.FlushMs is { } ms && !_deadlineArmed)
            {
                _deadlineArmed = true;
                _services.Flusher.RequestBy(this, now + ms);
            }
        }
    }

    private void RequestFlushLocked()
    {
        if (!_flushQueued)
        {
            _flushQueued = true;
            _services.Flusher.Request(this);
        }
    }

    /// <summary>A segment was created, renamed or deleted: the next round also fsyncs the directory.</summary>
    private void MarkDirectoryDirty() => Interlocked.Exchange(ref _directoryDirty, 1);

    /// <summary>After truncation, under both locks: no waiter may complete for data that is gone.</summary>
    private void FailWaitersLocked(Exception error)
    {
        _nextFlush?.TrySetException(error);
        _inFlight?.TrySetException(error);
        _nextFlush = null;
        _inFlight = null;
        _inFlightTarget = 0;
    }
}
