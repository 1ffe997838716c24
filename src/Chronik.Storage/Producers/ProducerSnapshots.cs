namespace Chronik.Storage.Producers;

/// <summary>
/// The producer-state snapshot files of one partition directory and their offsets (the snapshot half of Kafka's
/// ProducerStateManager). A snapshot is written when a segment rolls (at the new segment's base offset) and at a
/// clean shutdown (at the log end); it goes when its segment is deleted, when truncation passes below it, or when
/// it fails to read. Not thread-safe: the owning log calls it under its lock.
/// </summary>
internal sealed class ProducerSnapshots
{
    private readonly string _directory;
    private readonly SortedSet<long> _offsets;

    public ProducerSnapshots(string directory, IEnumerable<long> offsets)
    {
        _directory = directory;
        _offsets = [.. offsets];
    }

    /// <summary>The offset of the newest snapshot, or -1.</summary>
    public long Latest => _offsets.Count == 0 ? -1 : _offsets.Max;

    public IReadOnlyCollection<long> Offsets => _offsets;

    public void Write(long offset, ProducerStateManager state, bool sync)
    {
        ProducerSnapshotFile.Write(ProducerSnapshotFile.PathFor(_directory, offset), state.Entries, sync);
        _offsets.Add(offset);
    }

    /// <summary>
    /// Loads the newest readable snapshot at or below <paramref name="offset"/> into <paramref name="state"/>
    /// (which must be empty), deleting those that fail to read. Returns its offset, or -1 when there is none.
    /// </summary>
    public long LoadLatestAtOrBelow(long offset, ProducerStateManager state, Func<ProducerState, bool> keep)
    {
        while (_offsets.GetViewBetween(long.MinValue, offset) is { Count: > 0 } candidates)
        {
            long candidate = candidates.Max;
            if (ProducerSnapshotFile.TryRead(ProducerSnapshotFile.PathFor(_directory, candidate), keep, state.Load))
            {
                return candidate;
            }

            state.Clear();
            Delete(candidate);
        }

        return -1;
    }

    /// <summary>Deletes the snapshots above <paramref name="offset"/> (truncation removed what they describe).</summary>
    public void DeleteAbove(long offset)
    {
        foreach (long stale in _offsets.GetViewBetween(offset + 1, long.MaxValue).ToArray())
        {
            Delete(stale);
        }
    }

    /// <summary>Deletes the snapshots below <paramref name="offset"/> (the segments they belong to were deleted).</summary>
    public void DeleteBelow(long offset)
    {
        if (offset <= long.MinValue + 1)
        {
            return;
        }

        foreach (long old in _offsets.GetViewBetween(long.MinValue, offset - 1).ToArray())
        {
            Delete(old);
        }
    }

    public void DeleteAll()
    {
        foreach (long offset in _offsets.ToArray())
        {
            Delete(offset);
        }
    }

    /// <summary>
    /// Kafka's removeStraySnapshots: a snapshot whose offset is no segment's base offset is deleted, except the
    /// newest one when it lies beyond the last segment's base (the one a clean shutdown wrote at the log end).
    /// </summary>
    public void RemoveStrays(IReadOnlyCollection<long> segmentBaseOffsets, long lastSegmentBaseOffset)
    {
        var bases = segmentBaseOffsets as ISet<long> ?? new HashSet<long>(segmentBaseOffsets);
        long latest = Latest;
        foreach (long offset in _offsets.ToArray())
        {
            if (!bases.Contains(offset) && !(offset == latest && offset > lastSegmentBaseOffset))
            {
                Delete(offset);
            }
        }
    }

    private void Delete(long offset)
    {
        _offsets.Remove(offset);
        try
        {
            File.Delete(ProducerSnapshotFile.PathFor(_directory, offset));
        }
        catch (DirectoryNotFoundException)
        {
            // The partition directory is gone (deleted log): nothing to remove.
        }
    }
}
