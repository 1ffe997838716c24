using Chronik.Storage.Epochs;
using Chronik.Storage.Segments;

namespace Chronik.Storage;

/// <summary>
/// The log of one partition (Kafka's UnifiedLog): an ordered list of <see cref="LogSegment"/>s, the last one
/// active. Offsets: <see cref="LogStartOffset"/> ≤ <see cref="HighWatermark"/> ≤ <see cref="LogEndOffset"/>, and
/// <see cref="RecoveryPoint"/> ≤ <see cref="LogEndOffset"/> is the offset below which everything is fsynced.
/// <para>
/// Concurrency: appends, rolls, truncation and segment deletion run under the log's lock, so the order of
/// appends is fixed when <see cref="Append"/> returns. Reads take no log lock: they use an immutable snapshot
/// of the segment list and the committed sizes, so they run in parallel with appends. Durability is tracked
/// under a second lock shared with the <see cref="Durability.LogFlusher"/> (lock order: log, then flush).
/// </para>
/// Create logs through <see cref="LogManager"/>.
/// </summary>
public sealed partial class PartitionLog
{
    private readonly object _lock = new();
    private readonly LogServices _services;
    private LogSegment[] _segments;
    private LogConfig _config;
    private long _logStartOffset;
    private long _logEndOffset;
    private long _highWatermark;
    private long _rollJitterMs;
    private bool _closed;

    internal PartitionLog(
        TopicPartition topicPartition,
        string directory,
        LogConfig config,
        LogServices services,
        LeaderEpochCache epochs,
        LogSegment[] segments,
        long logStartOffset,
        long logEndOffset,
        long recoveryPoint,
        long highWatermark)
    {
        TopicPartition = topicPartition;
        Directory = directory;
        _config = config;
        _services = services;
        LeaderEpochs = epochs;
        _segments = segments;
        _logStartOffset = logStartOffset;
        _logEndOffset = logEndOffset;
        _recoveryPoint = Math.Min(recoveryPoint, logEndOffset);
        _highWatermark = Math.Clamp(highWatermark, logStartOffset, logEndOffset);
        _rollJitterMs = NewJitter(config);
        _producers = new Producers.ProducerStateManager(topicPartition);
    }

    public TopicPartition TopicPartition { get; }

    /// <summary>The partition directory, data-dir/logs/&lt;topic&gt;-&lt;partition&gt;.</summary>
    public string Directory { get; }

    /// <summary>The topic config in force; setting it applies to the next append, roll, retention or cleaning.</summary>
    public LogConfig Config
    {
        get => Volatile.Read(ref _config);
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            value.Validate();
            lock (_lock)
            {
                Volatile.Write(ref _config, value);
                _rollJitterMs = NewJitter(value);
            }
        }
    }

    /// <summary>Epoch → start offset, for OffsetForLeaderEpoch and follower truncation.</summary>
    public LeaderEpochCache LeaderEpochs { get; }

    /// <summary>The first offset that may be read (advanced by DeleteRecords and retention).</summary>
    public long LogStartOffset => Volatile.Read(ref _logStartOffset);

    /// <summary>The offset the next appended record gets.</summary>
    public long LogEndOffset => Volatile.Read(ref _logEndOffset);

    /// <summary>The replication layer's high watermark; consumers read below it. Checkpointed by the manager.</summary>
    public long HighWatermark => Volatile.Read(ref _highWatermark);

    /// <summary>Every offset below this is on disk (fsynced); crash recovery scans only from here.</summary>
    public long RecoveryPoint => Volatile.Read(ref _recoveryPoint);

    public int SegmentCount => Segments.Length;

    /// <summary>Bytes in all segments.</summary>
    public long Size
    {
        get
        {
            long size = 0;
            foreach (var segment in Segments)
            {
                size += segment.Size;
            }

            return size;
        }
    }

    /// <summary>Index memory currently loaded by this log's segments (0 when idle).</summary>
    public long IndexMemoryBytes
    {
        get
        {
            long bytes = 0;
            foreach (var segment in Segments)
            {
                bytes += segment.IndexMemoryBytes;
            }

            return bytes;
        }
    }

    internal LogSegment[] Segments => Volatile.Read(ref _segments);

    internal LogServices Services => _services;

    internal object SyncRoot => _lock;

    /// <summary>
    /// A new log: the next flush round fsyncs its directory and the logs directory holding it (one fsync of the
    /// logs directory serves every partition created since the previous round). Its first acknowledged append
    /// waits for that round, so an acknowledged record is never in a directory a crash could lose.
    /// </summary>
    internal void MarkNewDirectory()
    {
        MarkDirectoryDirty();
        Interlocked.Exchange(ref _parentDirectoryDirty, 1);
    }

    /// <summary>
    /// Sets the high watermark (the replication layer's decision), clamped to [log start, log end]. A single
    /// node should not expose data that is not yet durable: it passes min(log end, <see cref="RecoveryPoint"/>).
    /// </summary>
    public void UpdateHighWatermark(long offset)
    {
        lock (_lock)
        {
            Volatile.Write(ref _highWatermark, Math.Clamp(offset, LogStartOffset, LogEndOffset));
            _producers.OnHighWatermarkUpdated(HighWatermark);
            RefreshFirstUnstableOffsetLocked();
        }
    }

    /// <summary>OffsetForLeaderEpoch: the largest epoch ≤ <paramref name="epoch"/> and its end offset.</summary>
    public (int Epoch, long EndOffset) EndOffsetForEpoch(int epoch) => LeaderEpochs.EndOffsetFor(epoch, LogEndOffset);

    public override string ToString() => $"log {TopicPartition} [{LogStartOffset}, {LogEndOffset}) hw {HighWatermark} recovery point {RecoveryPoint}";

    /// <summary>
    /// Writes indexes and closes the files (clean shutdown). With <paramref name="sync"/> each file is fsynced;
    /// without, the caller makes the whole directory durable with one syncfs before it checkpoints.
    /// </summary>
    internal void Close(bool sync = true)
    {
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            foreach (var segment in Segments)
            {
                if (sync)
                {
                    segment.Sync();
                }

                segment.Close(sync);
            }

            // Kafka snapshots producer state at a clean shutdown, so the next start replays nothing.
            SnapshotProducerStateLocked(LogEndOffset, sync);
            if (sync)
            {
                Files.FileSync.SyncDirectory(Directory);
            }

            lock (_flushLock)
            {
                Volatile.Write(ref _recoveryPoint, LogEndOffset);
                FailWaitersLocked(new ObjectDisposedException(ToString(), "the log was closed"));
            }
        }
    }

    /// <summary>Stops the log without syncing (its directory is about to be deleted); readers keep working on retired segments.</summary>
    internal void CloseForDeletion()
    {
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            foreach (var segment in Segments)
            {
                _services.RetireLater(segment.Retire(deleteFiles: false), Config.FileDeleteDelayMs);
            }

            lock (_flushLock)
            {
                FailWaitersLocked(new StorageException(Protocol.Wire.ErrorCode.NotLeaderOrFollower, $"{TopicPartition} was deleted"));
            }
        }
    }

    /// <summary>Unloads the indexes of segments not used since <paramref name="idleSinceTicks"/>; returns how many.</summary>
    internal int UnloadIdleIndexes(long idleSinceTicks)
    {
        int unloaded = 0;
        foreach (var segment in Segments)
        {
            if (segment.UnloadIndexesIfIdle(idleSinceTicks))
            {
                unloaded++;
            }
        }

        return unloaded;
    }

    private void ThrowIfClosedLocked()
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        if (_services.Failure is { } failure)
        {
            throw new StorageException(Protocol.Wire.ErrorCode.KafkaStorageError, $"the log directory failed earlier: {failure.Message}", failure);
        }
    }

    private static long NewJitter(LogConfig config) =>
        config.SegmentJitterMs > 0 ? Random.Shared.NextInt64(Math.Min(config.SegmentJitterMs, config.SegmentMs)) : 0;

    /// <summary>Index of the last segment whose base offset is ≤ <paramref name="offset"/> (0 if none).</summary>
    internal static int FloorSegment(LogSegment[] segments, long offset)
    {
        int lo = 0;
        int hi = segments.Length - 1;
        int found = 0;
        while (lo <= hi)
        {
            int mid = (int)((uint)(lo + hi) >> 1);
            if (segments[mid].BaseOffset <= offset)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found;
    }
}
