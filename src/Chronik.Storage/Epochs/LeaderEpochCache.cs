using System.Globalization;
using Chronik.Storage.Checkpoints;

namespace Chronik.Storage.Epochs;

/// <summary>A leader epoch and the first offset written in it.</summary>
public readonly record struct EpochEntry(int Epoch, long StartOffset);

/// <summary>
/// The partition's leader-epoch cache (Kafka's LeaderEpochFileCache, KIP-101/KIP-279): for each leader epoch
/// the first offset appended in it, checkpointed in the partition directory as leader-epoch-checkpoint. It
/// answers OffsetForLeaderEpoch, which a follower uses to find where its log diverges from the leader's.
/// Entries are strictly increasing in both epoch and start offset; a new entry removes any that conflict.
/// Changes are written to the checkpoint at once (rare: they happen on leader changes, truncation and
/// DeleteRecords); recovery also rebuilds entries from the batches it scans, as Kafka does.
/// </summary>
public sealed class LeaderEpochCache
{
    public const int UndefinedEpoch = -1;
    public const long UndefinedEpochOffset = -1;
    public const string FileName = "leader-epoch-checkpoint";

    private readonly object _lock = new();
    private readonly List<EpochEntry> _entries = [];
    private readonly string _path;

    internal LeaderEpochCache(string directory)
    {
        _path = Path.Combine(directory, FileName);
        var lines = CheckpointFile.TryRead(_path);
        if (lines is null)
        {
            return;
        }

        foreach (string line in lines)
        {
            string[] parts = line.Split(' ');
            if (parts.Length != 2 ||
                !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int epoch) ||
                !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long start))
            {
                _entries.Clear();
                return;
            }

            AssignLocked(new EpochEntry(epoch, start));
        }
    }

    /// <summary>A copy of the entries, oldest first.</summary>
    public IReadOnlyList<EpochEntry> Entries
    {
        get
        {
            lock (_lock)
            {
                return [.. _entries];
            }
        }
    }

    /// <summary>The latest epoch with data, or null when the cache is empty.</summary>
    public int? LatestEpoch
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count == 0 ? null : _entries[^1].Epoch;
            }
        }
    }

    /// <summary>Records that <paramref name="epoch"/> starts at <paramref name="startOffset"/>, dropping conflicting later entries.</summary>
    public void Assign(int epoch, long startOffset)
    {
        lock (_lock)
        {
            if (AssignLocked(new EpochEntry(epoch, startOffset)))
            {
                WriteLocked();
            }
        }
    }

    /// <summary>
    /// OffsetForLeaderEpoch: the largest epoch ≤ <paramref name="requestedEpoch"/> and the offset where it ends
    /// (the start of the next epoch, or <paramref name="logEndOffset"/> for the latest). Unknown epochs answer
    /// (<see cref="UndefinedEpoch"/>, <see cref="UndefinedEpochOffset"/>), as Kafka does.
    /// </summary>
    public (int Epoch, long EndOffset) EndOffsetFor(int requestedEpoch, long logEndOffset)
    {
        lock (_lock)
        {
            if (requestedEpoch == UndefinedEpoch || _entries.Count == 0)
            {
                return (UndefinedEpoch, UndefinedEpochOffset);
            }

            if (_entries[^1].Epoch == requestedEpoch)
            {
                return (requestedEpoch, logEndOffset);
            }

            int higher = _entries.FindIndex(e => e.Epoch > requestedEpoch);
            if (higher < 0)
            {
                return (UndefinedEpoch, UndefinedEpochOffset);
            }

            return higher == 0
                ? (requestedEpoch, _entries[0].StartOffset)
                : (_entries[higher - 1].Epoch, _entries[higher].StartOffset);
        }
    }

    /// <summary>The epoch of the batch at <paramref name="offset"/>, or null when no entry covers it.</summary>
    public int? EpochForOffset(long offset)
    {
        lock (_lock)
        {
            int? previous = null;
            foreach (var entry in _entries)
            {
                if (entry.StartOffset == offset)
                {
                    return entry.Epoch;
                }

                if (entry.StartOffset > offset)
                {
                    return previous;
                }

                previous = entry.Epoch;
            }

            return previous;
        }
    }

    /// <summary>Removes entries starting at or after <paramref name="endOffset"/> (the log was truncated there).</summary>
    public void TruncateFromEnd(long endOffset)
    {
        lock (_lock)
        {
            if (endOffset < 0 || _entries.Count == 0 || _entries[^1].StartOffset < endOffset)
            {
                return;
            }

            _entries.RemoveAll(e => e.StartOffset >= endOffset);
            WriteLocked();
        }
    }

    /// <summary>
    /// Drops entries wholly before <paramref name="startOffset"/> (the log start moved): the last entry starting
    /// at or before it is kept, moved to start exactly there.
    /// </summary>
    public void TruncateFromStart(long startOffset)
    {
        lock (_lock)
        {
            int removed = 0;
            while (removed < _entries.Count && _entries[removed].StartOffset <= startOffset)
            {
                removed++;
            }

            if (removed == 0 || (removed == 1 && _entries[0].StartOffset == startOffset))
            {
                return;
            }

            var kept = _entries[removed - 1] with { StartOffset = startOffset };
            _entries.RemoveRange(0, removed);
            _entries.Insert(0, kept);
            WriteLocked();
        }
    }

    /// <summary>Removes every entry (the log restarted at a new offset).</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _entries.Clear();
            WriteLocked();
        }
    }

    /// <summary>Applies entries found by recovery without writing each one; <see cref="Flush"/> writes once.</summary>
    internal bool AssignWithoutFlush(int epoch, long startOffset)
    {
        lock (_lock)
        {
            return AssignLocked(new EpochEntry(epoch, startOffset));
        }
    }

    internal void Flush()
    {
        lock (_lock)
        {
            WriteLocked();
        }
    }

    private bool AssignLocked(EpochEntry entry)
    {
        if (entry.Epoch < 0 || entry.StartOffset < 0)
        {
            return false;
        }

        if (_entries.Count > 0)
        {
            var latest = _entries[^1];
            if (entry.Epoch == latest.Epoch && entry.StartOffset >= latest.StartOffset)
            {
                return false;
            }
        }

        while (_entries.Count > 0 && (_entries[^1].Epoch >= entry.Epoch || _entries[^1].StartOffset >= entry.StartOffset))
        {
            _entries.RemoveAt(_entries.Count - 1);
        }

        _entries.Add(entry);
        return true;
    }

    private void WriteLocked()
    {
        var lines = new List<string>(_entries.Count);
        foreach (var entry in _entries)
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"{entry.Epoch} {entry.StartOffset}"));
        }

        CheckpointFile.Write(_path, lines);
    }
}
