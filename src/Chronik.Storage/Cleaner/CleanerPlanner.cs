namespace Chronik.Storage.Cleaner;

/// <summary>What the cleaner needs to know about a segment; the last one in a list is the active segment.</summary>
internal readonly record struct CleanerSegment(long BaseOffset, long Size, long LargestTimestamp, long FirstBatchTimestamp);

/// <summary>
/// The part of a compacted log one pass may clean: [log start, <see cref="FirstUncleanableOffset"/>), of which
/// [<see cref="FirstDirtyOffset"/>, <see cref="FirstUncleanableOffset"/>) was never cleaned.
/// </summary>
internal readonly record struct CleanableRange(long FirstDirtyOffset, long FirstUncleanableOffset, long CleanBytes, long DirtyBytes, bool MaxLagExceeded)
{
    public double DirtyRatio => CleanBytes + DirtyBytes == 0 ? 0 : (double)DirtyBytes / (CleanBytes + DirtyBytes);
}

/// <summary>
/// Kafka's LogCleanerManager decisions as pure functions: where the dirty section starts (the cleaner
/// checkpoint, reset to the log start when out of range), where cleaning must stop (the active segment, the
/// last stable offset — nothing of an undecided transaction is cleaned —, the first segment younger than
/// min.compaction.lag.ms), the dirty ratio, and whether max.compaction.lag.ms forces a pass.
/// </summary>
internal static class CleanerPlanner
{
    public static CleanableRange Compute(IReadOnlyList<CleanerSegment> segments, long logStartOffset, long logEndOffset, long lastStableOffset, long? checkpoint, LogConfig config, long nowMs)
    {
        long firstDirty = checkpoint ?? logStartOffset;
        if (firstDirty < logStartOffset || firstDirty > logEndOffset)
        {
            firstDirty = logStartOffset;
        }

        long activeBase = segments[^1].BaseOffset;
        long firstUncleanable = Math.Min(activeBase, lastStableOffset);
        if (config.MinCompactionLagMs > 0)
        {
            for (int i = 0; i < segments.Count - 1; i++)
            {
                if (NextBase(segments, i, logEndOffset) > firstDirty && segments[i].LargestTimestamp > nowMs - config.MinCompactionLagMs)
                {
                    firstUncleanable = Math.Min(firstUncleanable, segments[i].BaseOffset);
                    break;
                }
            }
        }

        firstUncleanable = Math.Max(firstUncleanable, firstDirty);
        long clean = 0;
        long dirty = 0;
        long earliestDirtyTimestamp = long.MaxValue;
        for (int i = 0; i < segments.Count; i++)
        {
            long start = segments[i].BaseOffset;
            long end = NextBase(segments, i, logEndOffset);
            if (start < firstDirty)
            {
                clean += segments[i].Size;
            }

            if (start < firstUncleanable && end > firstDirty && i < segments.Count - 1)
            {
                dirty += segments[i].Size;
                if (segments[i].FirstBatchTimestamp >= 0)
                {
                    earliestDirtyTimestamp = Math.Min(earliestDirtyTimestamp, segments[i].FirstBatchTimestamp);
                }
            }
        }

        bool maxLag = dirty > 0 && earliestDirtyTimestamp != long.MaxValue && config.MaxCompactionLagMs != long.MaxValue
            && nowMs - earliestDirtyTimestamp > config.MaxCompactionLagMs;
        return new CleanableRange(firstDirty, firstUncleanable, clean, dirty, maxLag);
    }

    /// <summary>Whether a log with this range should be cleaned now.</summary>
    public static bool NeedsCleaning(in CleanableRange range, LogConfig config, long? earliestDeleteHorizon, long nowMs) =>
        (range.DirtyBytes > 0 && (range.DirtyRatio >= config.MinCleanableDirtyRatio || range.MaxLagExceeded))
        || (earliestDeleteHorizon is { } horizon && horizon <= nowMs && range.FirstUncleanableOffset > 0);

    /// <summary>Priority among logs that need cleaning: forced by max lag first, then by dirty ratio.</summary>
    public static double Priority(in CleanableRange range) => (range.MaxLagExceeded ? 2 : 0) + range.DirtyRatio;

    private static long NextBase(IReadOnlyList<CleanerSegment> segments, int i, long logEndOffset) =>
        i + 1 < segments.Count ? segments[i + 1].BaseOffset : logEndOffset;
}
