using Chronik.Protocol.Records;
using Chronik.Storage.Files;
using Chronik.Storage.Records;

namespace Chronik.Storage.Segments;

/// <summary>A run of whole batches inside one segment file.</summary>
internal readonly record struct SegmentSlice(bool Found, long Position, int Length, long FirstOffset);

/// <summary>Sees one stored batch during a walk; <paramref name="reader"/> can read its bytes (<see cref="SegmentReader.ReadBatch"/>).</summary>
internal delegate void BatchVisitor(in BatchInfo info, SegmentReader reader);

/// <summary>What recovering one segment found.</summary>
internal readonly record struct SegmentRecovery(int ValidBytes, long TruncatedBytes, long? NextOffset, bool Corrupt);

internal sealed partial class LogSegment
{
    /// <summary>
    /// Finds whole batches starting with the one holding <paramref name="startOffset"/> (or the first after it):
    /// as many as fit in <paramref name="maxBytes"/>, all with offsets below <paramref name="maxOffsetExclusive"/>;
    /// with <paramref name="minOneBatch"/> the first batch is returned even if larger (KIP-74). Not found means
    /// this segment holds no batch at or after the offset; found with length 0 means the limits cut everything.
    /// </summary>
    public SegmentSlice Read(long startOffset, int maxBytes, long maxOffsetExclusive, bool minOneBatch)
    {
        _lastAccess = Environment.TickCount64;
        OffsetPosition start;
        int size;
        lock (_lock)
        {
            size = Size;
            EnsureIndexesLoadedLocked(size);
            start = _offsetIndex.Lookup(startOffset);
        }

        using var lease = _files.Acquire(File);
        using var reader = new SegmentReader(lease.Handle, size);
        if (!TryFindBatch(reader, start.Position, startOffset, out var first))
        {
            return default;
        }

        if (first.LastOffset >= maxOffsetExclusive)
        {
            return new SegmentSlice(true, first.Position, 0, first.BaseOffset);
        }

        long maxEnd = Math.Min(first.Position + (long)maxBytes, size);
        OffsetPosition byPosition;
        OffsetPosition byOffset;
        lock (_lock)
        {
            EnsureIndexesLoadedLocked(size);
            byPosition = _offsetIndex.LookupByPosition(maxEnd);
            byOffset = _offsetIndex.Lookup(maxOffsetExclusive - 1);
        }

        // Every batch before an index entry's position ends before it, and the batch at a Lookup(limit - 1)
        // position ends below the limit, so both bounds hold for all batches before the smaller position.
        long end = Math.Max(first.Position, Math.Min(byPosition.Position, byOffset.Position));
        while (reader.TryReadHeader(end, out var info) && info.End <= maxEnd && info.LastOffset < maxOffsetExclusive)
        {
            end = info.End;
        }

        if (end == first.Position)
        {
            if (!minOneBatch)
            {
                return new SegmentSlice(true, first.Position, 0, first.BaseOffset);
            }

            end = first.End;
        }

        return new SegmentSlice(true, first.Position, (int)(end - first.Position), first.BaseOffset);
    }

    /// <summary>The first batch whose last offset is ≥ <paramref name="offset"/>, if this segment has one.</summary>
    public bool TryFindBatch(long offset, out BatchInfo batch)
    {
        OffsetPosition start;
        int size;
        lock (_lock)
        {
            size = Size;
            EnsureIndexesLoadedLocked(size);
            start = _offsetIndex.Lookup(offset);
        }

        using var lease = _files.Acquire(File);
        using var reader = new SegmentReader(lease.Handle, size);
        return TryFindBatch(reader, start.Position, offset, out batch);
    }

    /// <summary>
    /// Walks the batches whose last offset is ≥ <paramref name="fromOffset"/> and whose base offset is below
    /// <paramref name="toOffsetExclusive"/>, in order (rebuilding producer state reads headers only, and the records
    /// of control batches).
    /// </summary>
    public void VisitBatches(long fromOffset, long toOffsetExclusive, BatchVisitor visitor)
    {
        OffsetPosition start;
        int size;
        lock (_lock)
        {
            size = Size;
            EnsureIndexesLoadedLocked(size);
            start = _offsetIndex.Lookup(fromOffset);
        }

        using var lease = _files.Acquire(File);
        using var reader = new SegmentReader(lease.Handle, size);
        long position = start.Position;
        while (reader.TryReadHeader(position, out var info) && info.BaseOffset < toOffsetExclusive)
        {
            if (info.LastOffset >= fromOffset)
            {
                visitor(info, reader);
            }

            position = info.End;
        }
    }

    /// <summary>Copies file bytes into <paramref name="destination"/>; the range must lie within the segment.</summary>
    public void CopyTo(long position, Span<byte> destination)
    {
        using var lease = _files.Acquire(File);
        int copied = 0;
        while (copied < destination.Length)
        {
            int n = RandomAccess.Read(lease.Handle, destination[copied..], position + copied);
            if (n == 0)
            {
                throw new IOException($"{File.Path} ended at {position + copied} inside a read of {destination.Length} bytes at {position}");
            }

            copied += n;
        }
    }

    /// <summary>
    /// Removes every batch whose last offset is ≥ <paramref name="offset"/> (the batch holding the offset goes
    /// too, as in Kafka) and fsyncs the shortened file. Returns the bytes removed.
    /// </summary>
    public long TruncateTo(long offset)
    {
        int oldSize = Size;
        if (!TryFindBatch(offset, out var first))
        {
            return 0;
        }

        int newSize = (int)first.Position;
        using (var lease = _files.Acquire(File))
        {
            RandomAccess.SetLength(lease.Handle, newSize);
            FileSync.DataSync(lease.Handle);
        }

        Volatile.Write(ref _size, newSize);
        lock (_lock)
        {
            EnsureIndexesLoadedLocked(newSize);
            _offsetIndex.TruncateTo(offset);
            _offsetIndex.TruncateToPosition(newSize);
            _timeIndex.TruncateTo(offset);
            _maxTimestampKnown = false;
            EnsureMaxTimestampLocked();
            _bytesSinceLastIndexEntry = newSize - (_offsetIndex.LastEntry?.Position ?? 0);
            if (newSize == 0)
            {
                _rollingBasedTimestamp = RecordBatchHeader.NoTimestamp;
                _rollingTimestampKnown = true;
            }

            _offsetIndex.Persist(sync: false);
            _timeIndex.Persist(sync: false);
            Volatile.Write(ref _indexesDurable, false);
        }

        return oldSize - newSize;
    }

    /// <summary>
    /// The first record at or after <paramref name="startingOffset"/> whose timestamp is ≥ <paramref name="timestamp"/>
    /// (Kafka's segment search for ListOffsets), record-exact; for a LogAppendTime batch, or one whose records
    /// cannot be read, the batch's base offset (or the starting offset) and max timestamp.
    /// </summary>
    public TimestampOffset? FindOffsetByTimestamp(long timestamp, long startingOffset)
    {
        _lastAccess = Environment.TickCount64;
        OffsetPosition start;
        int size;
        lock (_lock)
        {
            size = Size;
            EnsureIndexesLoadedLocked(size);
            var fromTime = _timeIndex.Lookup(timestamp);
            start = _offsetIndex.Lookup(Math.Max(fromTime.Offset, startingOffset));
        }

        using var lease = _files.Acquire(File);
        using var reader = new SegmentReader(lease.Handle, size);
        long position = start.Position;
        while (reader.TryReadHeader(position, out var info))
        {
            if (info.MaxTimestamp >= timestamp && info.LastOffset >= startingOffset)
            {
                return FindRecordByTimestamp(reader.ReadBatch(info), info, timestamp, startingOffset);
            }

            position = info.End;
        }

        return null;
    }

    /// <summary>The offset after the last batch, found from the last index entry (opening a cleanly closed log).</summary>
    public long ReadNextOffset()
    {
        int size = Size;
        OffsetPosition? last;
        lock (_lock)
        {
            if (_offsetIndex.Loaded)
            {
                last = _offsetIndex.LastEntry;
            }
            else
            {
                byte[]? raw = _offsetIndex.ReadLastEntryFromFile();
                last = raw is null ? null : _offsetIndex.Parse(raw);
            }
        }

        using var lease = _files.Acquire(File);
        using var reader = new SegmentReader(lease.Handle, size);
        long position = last is { } entry && entry.Position < size ? entry.Position : 0;
        long next = BaseOffset;
        if (!reader.TryReadHeader(position, out _))
        {
            position = 0;
        }

        while (reader.TryReadHeader(position, out var info))
        {
            next = info.LastOffset + 1;
            position = info.End;
        }

        _bytesSinceLastIndexEntry = size - (int)(last?.Position ?? 0);
        return next;
    }

    /// <summary>
    /// Crash recovery of this segment: checks every batch (header sanity, offsets strictly increasing from
    /// <paramref name="minOffset"/>, CRC), rebuilds both indexes, truncates the file at the first batch that is
    /// torn or corrupt, and makes the result durable. <paramref name="onBatch"/> sees every valid batch (the
    /// leader-epoch cache is rebuilt from them).
    /// </summary>
    /// <param name="sync">False when the caller makes everything durable at once afterwards (one syncfs).</param>
    public SegmentRecovery Recover(long minOffset, Action<BatchInfo>? onBatch, bool sync = true)
    {
        lock (_lock)
        {
            _offsetIndex.Reset();
            _timeIndex.Reset();
            _maxTimestamp = RecordBatchHeader.NoTimestamp;
            _offsetOfMaxTimestamp = BaseOffset;
            _maxTimestampKnown = true;
            _rollingTimestampKnown = false;
            _bytesSinceLastIndexEntry = 0;

            using var lease = _files.Acquire(File);
            long fileLength = RandomAccess.GetLength(lease.Handle);
            long position = 0;
            long next = Math.Max(minOffset, BaseOffset);
            long? nextOffset = null;
            var status = StoredBatchStatus.Valid;
            using (var reader = new SegmentReader(lease.Handle, Math.Min(fileLength, int.MaxValue), 1024 * 1024))
            {
                while (position < reader.Limit)
                {
                    status = reader.Validate(position, next, BaseOffset, out var info);
                    if (status != StoredBatchStatus.Valid)
                    {
                        break;
                    }

                    TrackBatchLocked(info.LastOffset, info.MaxTimestamp, (int)position, info.Size);
                    onBatch?.Invoke(info);
                    next = info.LastOffset + 1;
                    nextOffset = next;
                    position = info.End;
                }
            }

            long truncated = fileLength - position;
            if (truncated > 0)
            {
                RandomAccess.SetLength(lease.Handle, position);
            }

            _size = (int)position;
            if (!_rollingTimestampKnown)
            {
                _rollingBasedTimestamp = RecordBatchHeader.NoTimestamp;
                _rollingTimestampKnown = true;
            }

            if (!IsActive)
            {
                _timeIndex.MaybeAppend(_maxTimestamp, _offsetOfMaxTimestamp);
            }

            // The bytes survived in the page cache but may never have reached the disk: they are made durable
            // (here, or by the caller's syncfs) before the recovery point moves past them.
            if (sync)
            {
                FileSync.DataSync(lease.Handle);
            }

            _offsetIndex.Persist(sync);
            _timeIndex.Persist(sync);
            _indexesDurable = true;
            return new SegmentRecovery((int)position, truncated, nextOffset, status == StoredBatchStatus.Corrupt && truncated > 0);
        }
    }

    private static bool TryFindBatch(SegmentReader reader, long position, long offset, out BatchInfo batch)
    {
        while (reader.TryReadHeader(position, out batch))
        {
            if (batch.LastOffset >= offset)
            {
                return true;
            }

            position = batch.End;
        }

        return false;
    }

    private static TimestampOffset FindRecordByTimestamp(ReadOnlySpan<byte> batch, in BatchInfo info, long timestamp, long startingOffset)
    {
        var fallback = new TimestampOffset(info.MaxTimestamp, Math.Max(info.BaseOffset, startingOffset));
        if ((info.Attributes & RecordBatchAttributes.LogAppendTime) != 0
            || !RecordBatchRecords.TryOpen(batch, BatchValidator.MaxUncompressedBytes, out var records))
        {
            return fallback;
        }

        using (records)
        {
            var reader = records.GetEnumerator();
            while (reader.TryReadNext(out var record) == RecordReadStatus.Record)
            {
                if (record.Offset >= startingOffset && record.Timestamp >= timestamp)
                {
                    return new TimestampOffset(record.Timestamp, record.Offset);
                }
            }
        }

        return fallback;
    }
}
