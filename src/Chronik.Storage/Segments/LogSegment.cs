using Chronik.Protocol.Records;
using Chronik.Protocol.Wire;
using Chronik.Storage.Files;
using Chronik.Storage.Transactions;

namespace Chronik.Storage.Segments;

/// <summary>
/// One segment of a partition log: the .log file holding batches exactly as appended, its sparse
/// <see cref="OffsetIndex"/> and <see cref="TimeIndex"/>. Appends come from the owning log under its lock (one
/// writer); reads run concurrently and see a batch once <see cref="Size"/> covers it. The size is published
/// before index entries are added, so every index entry a reader finds points inside the size it reads next.
/// </summary>
internal sealed partial class LogSegment
{
    private readonly object _lock = new();
    private readonly FileHandleCache _files;
    private readonly OffsetIndex _offsetIndex;
    private readonly TimeIndex _timeIndex;
    private readonly int _indexIntervalBytes;
    private int _size;
    private int _bytesSinceLastIndexEntry;
    private long _maxTimestamp = RecordBatchHeader.NoTimestamp;
    private long _offsetOfMaxTimestamp;
    private bool _maxTimestampKnown;
    private long _rollingBasedTimestamp = RecordBatchHeader.NoTimestamp;
    private bool _rollingTimestampKnown;
    private bool _retired;
    private bool _indexesDurable;
    private volatile bool _active;
    private long _lastAccess = Environment.TickCount64;

    private LogSegment(string directory, long baseOffset, LogConfig config, FileHandleCache files, int size, long createdMs, bool active)
    {
        DirectoryPath = directory;
        BaseOffset = baseOffset;
        _files = files;
        File = new CachedFile(SegmentFiles.LogPath(directory, baseOffset));
        _offsetIndex = new OffsetIndex(SegmentFiles.IndexPath(directory, baseOffset), baseOffset, config.SegmentIndexBytes);
        _timeIndex = new TimeIndex(SegmentFiles.TimeIndexPath(directory, baseOffset), baseOffset, config.SegmentIndexBytes);
        TransactionIndex = new TransactionIndex(SegmentFiles.TransactionIndexPath(directory, baseOffset));
        _indexIntervalBytes = config.IndexIntervalBytes;
        _size = size;
        CreatedMs = createdMs;
        _active = active;
    }

    public long BaseOffset { get; }

    public string DirectoryPath { get; }

    public CachedFile File { get; }

    /// <summary>The aborted transactions whose markers are in this segment (.txnindex).</summary>
    public TransactionIndex TransactionIndex { get; }

    /// <summary>When this segment object was created (the fallback for segment.ms rolling, as Kafka's).</summary>
    public long CreatedMs { get; }

    /// <summary>Committed bytes; batches below this size are complete and readable.</summary>
    public int Size => Volatile.Read(ref _size);

    /// <summary>False once the segment was rolled; only the last segment of a log is active.</summary>
    public bool IsActive => _active;

    /// <summary>True for a rolled segment whose indexes were not yet written durably by a flush round.</summary>
    public bool NeedsIndexSync => !IsActive && !Volatile.Read(ref _indexesDurable) && !Volatile.Read(ref _retired);

    /// <summary>Bytes of index memory currently loaded (0 for an idle segment).</summary>
    public int IndexMemoryBytes
    {
        get
        {
            lock (_lock)
            {
                return _offsetIndex.MemoryBytes + _timeIndex.MemoryBytes;
            }
        }
    }

    public bool IndexesLoaded
    {
        get
        {
            lock (_lock)
            {
                return _offsetIndex.Loaded;
            }
        }
    }

    /// <summary>Creates the files of a new, empty segment.</summary>
    public static LogSegment Create(string directory, long baseOffset, LogConfig config, FileHandleCache files, long nowMs)
    {
        using (System.IO.File.OpenHandle(SegmentFiles.LogPath(directory, baseOffset), FileMode.CreateNew, FileAccess.ReadWrite))
        {
        }

        // The index files are created by their first write (at roll, idle release, flush of a rolled segment or
        // close); until then a crash finds them missing, and the segment holding the log end is recovered anyway.
        var segment = new LogSegment(directory, baseOffset, config, files, 0, nowMs, active: true);
        segment._offsetIndex.Reset();
        segment._timeIndex.Reset();
        segment._maxTimestampKnown = true;
        segment._rollingTimestampKnown = true;
        return segment;
    }

    /// <summary>Describes an existing segment of <paramref name="size"/> bytes; nothing is read yet.</summary>
    /// <summary>
    /// Its indexes count as durable: they were synced when it rolled or at the clean shutdown, and recovery
    /// rebuilds any that are missing or fail the sanity check.
    /// </summary>
    public static LogSegment Open(string directory, long baseOffset, LogConfig config, FileHandleCache files, int size, long nowMs, bool active) =>
        new(directory, baseOffset, config, files, size, nowMs, active) { _indexesDurable = true };

    /// <summary>
    /// Writes <paramref name="batches"/> (whole batches with their final offsets) at the end of the file and
    /// indexes them. Called by the owning log under its lock.
    /// </summary>
    public void Append(ReadOnlySpan<byte> batches)
    {
        int start = _size;
        try
        {
            using var lease = _files.Acquire(File);
            RandomAccess.Write(lease.Handle, batches, start);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryCutBackTo(start);
            throw new StorageException(ErrorCode.KafkaStorageError, $"writing to {File.Path} failed: {e.Message}", e);
        }

        Volatile.Write(ref _size, start + batches.Length);
        _lastAccess = Environment.TickCount64;
        lock (_lock)
        {
            // Loading (or rebuilding) must not see the batches just written, or they would be indexed twice.
            EnsureIndexesLoadedLocked(start);
            int position = 0;
            while (position < batches.Length)
            {
                var batch = batches[position..];
                int size = RecordBatchHeader.TotalSize(batch);
                TrackBatchLocked(RecordBatchHeader.LastOffset(batch), RecordBatchHeader.MaxTimestamp(batch), start + position, size);
                position += size;
            }
        }
    }

    /// <summary>True when the offset or time index has no room for another entry (Kafka rolls then).</summary>
    public bool IndexFull
    {
        get
        {
            lock (_lock)
            {
                EnsureIndexesLoadedLocked(Size);
                return _offsetIndex.IsFull || _timeIndex.IsFull;
            }
        }
    }

    /// <summary>The segment's max batch timestamp and the last offset of the batch carrying it (-1 if none).</summary>
    public TimestampOffset MaxTimestampAndOffset
    {
        get
        {
            lock (_lock)
            {
                EnsureMaxTimestampLocked();
                return new TimestampOffset(_maxTimestamp, _offsetOfMaxTimestamp);
            }
        }
    }

    /// <summary>For retention.ms: the max timestamp, or the file's modification time when no batch has one (Kafka's largestTimestamp).</summary>
    public long LargestTimestamp
    {
        get
        {
            long max = MaxTimestampAndOffset.Timestamp;
            if (max >= 0)
            {
                return max;
            }

            try
            {
                return new DateTimeOffset(System.IO.File.GetLastWriteTimeUtc(File.Path)).ToUnixTimeMilliseconds();
            }
            catch (IOException)
            {
                return CreatedMs;
            }
        }
    }

    /// <summary>The max timestamp of the first batch, or -1 (max.compaction.lag.ms measures from it).</summary>
    public long FirstBatchTimestamp
    {
        get
        {
            lock (_lock)
            {
                if (!_rollingTimestampKnown)
                {
                    LoadFirstBatchTimestampLocked();
                }

                return _rollingBasedTimestamp;
            }
        }
    }

    /// <summary>
    /// How long the segment has been filling, for segment.ms: by timestamps when the first batch has one
    /// (the new batch's max timestamp minus the first batch's), else by wall clock since creation (Kafka's rule).
    /// </summary>
    public long TimeWaitedForRoll(long nowMs, long messageTimestamp)
    {
        lock (_lock)
        {
            if (!_rollingTimestampKnown)
            {
                LoadFirstBatchTimestampLocked();
            }

            return _rollingBasedTimestamp >= 0 ? messageTimestamp - _rollingBasedTimestamp : nowMs - CreatedMs;
        }
    }

    /// <summary>Makes the data durable; a segment no longer active also gets its indexes written and synced once.</summary>
    public void Sync()
    {
        try
        {
            using var lease = _files.Acquire(File);
            FileSync.DataSync(lease.Handle);
            TransactionIndex.Sync();
        }
        catch (FileNotFoundException) when (Volatile.Read(ref _retired))
        {
            // Deleted by truncation or retention while the round ran: there is nothing left to make durable.
            return;
        }

        if (!IsActive && !Volatile.Read(ref _indexesDurable))
        {
            PersistIndexes(sync: true);
            Volatile.Write(ref _indexesDurable, true);
        }
    }

    /// <summary>
    /// Before a syncfs round: writes the indexes of an inactive segment to the page cache so the round makes
    /// them durable. True when it did; pass that to <see cref="MarkSynced"/> afterwards.
    /// </summary>
    public bool PrepareFileSystemSync()
    {
        if (IsActive || Volatile.Read(ref _indexesDurable))
        {
            return false;
        }

        PersistIndexes(sync: false);
        return true;
    }

    /// <summary>After a syncfs round that followed <see cref="PrepareFileSystemSync"/> returning true.</summary>
    public void MarkSynced() => Volatile.Write(ref _indexesDurable, true);

    /// <summary>Writes pending index entries to the page cache (or to disk with <paramref name="sync"/>).</summary>
    public void PersistIndexes(bool sync)
    {
        lock (_lock)
        {
            if (_retired)
            {
                return;
            }

            _offsetIndex.Persist(sync);
            _timeIndex.Persist(sync);
        }
    }

    /// <summary>The segment stops being active: record its final max timestamp in the time index (Kafka's onBecomeInactiveSegment).</summary>
    public void OnBecomeInactive()
    {
        lock (_lock)
        {
            EnsureIndexesLoadedLocked(Size);
            EnsureMaxTimestampLocked();
            _timeIndex.MaybeAppend(_maxTimestamp, _offsetOfMaxTimestamp);
            Volatile.Write(ref _indexesDurable, false);
            _active = false;
        }
    }

    /// <summary>Drops loaded indexes if the segment was not used since <paramref name="idleSinceTicks"/>.</summary>
    public bool UnloadIndexesIfIdle(long idleSinceTicks)
    {
        lock (_lock)
        {
            if (_retired || !_offsetIndex.Loaded || Volatile.Read(ref _lastAccess) > idleSinceTicks)
            {
                return false;
            }

            _offsetIndex.Unload();
            _timeIndex.Unload();
            return true;
        }
    }

    /// <summary>Writes indexes (durably with <paramref name="sync"/>) and closes the file (clean shutdown).</summary>
    public void Close(bool sync = true)
    {
        lock (_lock)
        {
            if (!_retired)
            {
                if (_offsetIndex.Loaded)
                {
                    EnsureMaxTimestampLocked();
                    _timeIndex.MaybeAppend(_maxTimestamp, _offsetOfMaxTimestamp);
                }

                _offsetIndex.Persist(sync);
                _timeIndex.Persist(sync);
            }
        }

        _files.Close(File);
    }

    /// <summary>
    /// Takes the segment out of the log: indexes stay in memory and the file handle stays open through the
    /// returned lease, so fetches that already resolved to this segment still read it; the caller disposes the
    /// lease after file.delete.delay.ms. With <paramref name="deleteFiles"/> the files are unlinked now (the open
    /// handle keeps the bytes alive); without, they were replaced by a cleaned segment.
    /// </summary>
    public HandleLease Retire(bool deleteFiles)
    {
        HandleLease lease;
        lock (_lock)
        {
            if (!_offsetIndex.Loaded)
            {
                if (!_offsetIndex.TryLoad(Size) || !_timeIndex.TryLoad(Size))
                {
                    _offsetIndex.Reset();
                    _timeIndex.Reset();
                }
            }

            Volatile.Write(ref _retired, true);
            lease = _files.Acquire(File);
        }

        _files.Retire(File);
        _files.Close(File);
        if (deleteFiles)
        {
            DeleteFile(File.Path);
            DeleteFile(_offsetIndex.Path);
            DeleteFile(_timeIndex.Path);
            DeleteFile(TransactionIndex.Path);
        }

        return lease;
    }

    /// <summary>After truncation removed the segments behind it, this one is the active segment again.</summary>
    public void Reactivate()
    {
        _active = true;
        Volatile.Write(ref _indexesDurable, false);
    }

    /// <summary>Deletes the index files (a cleaned log file is about to replace this segment's).</summary>
    public void DeleteIndexFiles()
    {
        DeleteFile(_offsetIndex.Path);
        DeleteFile(_timeIndex.Path);
    }

    /// <summary>Loads or rebuilds the indexes and writes them (durably with <paramref name="sync"/>).</summary>
    public void RebuildIndexesDurably(bool sync = true)
    {
        lock (_lock)
        {
            EnsureIndexesLoadedLocked(Size);
            _offsetIndex.Persist(sync);
            _timeIndex.Persist(sync);
            _indexesDurable = true;
        }
    }

    /// <summary>Deletes the files of a segment that no reader can reach (e.g. during recovery).</summary>
    public void DeleteFilesNow()
    {
        _files.Close(File);
        DeleteFile(File.Path);
        DeleteFile(_offsetIndex.Path);
        DeleteFile(_timeIndex.Path);
        TransactionIndex.Delete();
    }

    public override string ToString() => $"segment {BaseOffset} ({Size} bytes) in {DirectoryPath}";

    private static void DeleteFile(string path)
    {
        try
        {
            System.IO.File.Delete(path);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private void TrackBatchLocked(long lastOffset, long maxTimestamp, int position, int size)
    {
        if (position == 0)
        {
            _rollingBasedTimestamp = maxTimestamp;
            _rollingTimestampKnown = true;
        }

        EnsureMaxTimestampLocked();
        if (maxTimestamp > _maxTimestamp)
        {
            _maxTimestamp = maxTimestamp;
            _offsetOfMaxTimestamp = lastOffset;
        }

        if (_bytesSinceLastIndexEntry > _indexIntervalBytes)
        {
            _offsetIndex.Append(lastOffset, position);
            _timeIndex.MaybeAppend(_maxTimestamp, _offsetOfMaxTimestamp);
            _bytesSinceLastIndexEntry = 0;
        }

        _bytesSinceLastIndexEntry += size;
    }

    private void EnsureIndexesLoadedLocked(int size)
    {
        if (_offsetIndex.Loaded && _timeIndex.Loaded)
        {
            return;
        }

        if (_offsetIndex.TryLoad(size) && _timeIndex.TryLoad(size))
        {
            var last = _offsetIndex.LastEntry;
            if (_bytesSinceLastIndexEntry == 0)
            {
                _bytesSinceLastIndexEntry = size - (last?.Position ?? 0);
            }

            return;
        }

        RebuildIndexesLocked(size);
    }

    /// <summary>Rebuilds both indexes by walking the batch headers up to <paramref name="size"/> (data below the recovery point is trusted).</summary>
    private void RebuildIndexesLocked(int size)
    {
        _offsetIndex.Reset();
        _timeIndex.Reset();
        _maxTimestamp = RecordBatchHeader.NoTimestamp;
        _offsetOfMaxTimestamp = BaseOffset;
        _maxTimestampKnown = true;
        _bytesSinceLastIndexEntry = 0;
        using var lease = _files.Acquire(File);
        using var reader = new SegmentReader(lease.Handle, size, 256 * 1024);
        long position = 0;
        while (reader.TryReadHeader(position, out var info))
        {
            TrackBatchLocked(info.LastOffset, info.MaxTimestamp, (int)position, info.Size);
            position = info.End;
        }

        if (!IsActive)
        {
            _timeIndex.MaybeAppend(_maxTimestamp, _offsetOfMaxTimestamp);
        }
    }

    // A segment opened from disk learns its max timestamp from the time index's last entry plus the batches
    // after the last offset index entry (entries of both indexes are added at the same moments).
    private void EnsureMaxTimestampLocked()
    {
        if (_maxTimestampKnown)
        {
            return;
        }

        _maxTimestampKnown = true;
        _maxTimestamp = RecordBatchHeader.NoTimestamp;
        _offsetOfMaxTimestamp = BaseOffset;
        TimestampOffset? lastTime;
        OffsetPosition? lastOffset;
        if (_offsetIndex.Loaded)
        {
            lastTime = _timeIndex.LastEntry;
            lastOffset = _offsetIndex.LastEntry;
        }
        else
        {
            byte[]? rawTime = _timeIndex.ReadLastEntryFromFile();
            byte[]? rawOffset = _offsetIndex.ReadLastEntryFromFile();
            lastTime = rawTime is null ? null : _timeIndex.Parse(rawTime);
            lastOffset = rawOffset is null ? null : _offsetIndex.Parse(rawOffset);
        }

        if (lastTime is { } t)
        {
            _maxTimestamp = t.Timestamp;
            _offsetOfMaxTimestamp = t.Offset;
        }

        int size = Size;
        long position = lastOffset is { } o && o.Position < size ? o.Position : 0;
        using var lease = _files.Acquire(File);
        using var reader = new SegmentReader(lease.Handle, size);
        while (reader.TryReadHeader(position, out var info))
        {
            if (info.MaxTimestamp > _maxTimestamp)
            {
                _maxTimestamp = info.MaxTimestamp;
                _offsetOfMaxTimestamp = info.LastOffset;
            }

            position = info.End;
        }
    }

    private void LoadFirstBatchTimestampLocked()
    {
        _rollingTimestampKnown = true;
        using var lease = _files.Acquire(File);
        using var reader = new SegmentReader(lease.Handle, Size, RecordBatchHeader.Size);
        _rollingBasedTimestamp = reader.TryReadHeader(0, out var info) ? info.MaxTimestamp : RecordBatchHeader.NoTimestamp;
    }

    private void TryCutBackTo(int size)
    {
        try
        {
            using var lease = _files.Acquire(File);
            RandomAccess.SetLength(lease.Handle, size);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The bytes past the committed size are never read; recovery truncates them after a restart.
        }
    }
}
