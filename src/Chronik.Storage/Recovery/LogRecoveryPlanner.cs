using Chronik.Storage.Segments;

namespace Chronik.Storage.Recovery;

/// <summary>A file found in a partition directory.</summary>
internal readonly record struct FoundFile(string Name, long Size);

/// <summary>A segment found on disk: its .log size and which index files exist.</summary>
internal readonly record struct FoundSegment(long BaseOffset, long LogSize, bool HasIndex, bool HasTimeIndex);

/// <summary>What <see cref="LogRecoveryPlanner"/> decided for one partition directory.</summary>
internal sealed record RecoveryPlan(
    IReadOnlyList<string> FilesToDelete,
    IReadOnlyList<FoundSegment> Segments,
    int FirstSegmentToRecover,
    IReadOnlyList<long> IndexesToRebuild,
    long LogStartOffset,
    long? CreateSegmentAt)
{
    /// <summary>Base offsets of the segments recovery scans (CRC-checks), in order.</summary>
    public IEnumerable<long> SegmentsToRecover => Segments.Skip(FirstSegmentToRecover).Select(s => s.BaseOffset);
}

/// <summary>
/// Decides how to open a partition directory, without doing any I/O (Kafka's LogLoader decisions).
/// <list type="bullet">
/// <item>Leftovers of interrupted work are deleted: *.cleaned (an unfinished compaction), *.deleted, *.swap,
/// *.tmp, and index files whose .log is gone.</item>
/// <item>After a clean shutdown nothing is scanned. Otherwise the segment holding the recovery point and all
/// later ones are scanned batch by batch; segments wholly below the recovery point were fsynced and are
/// trusted, which keeps start-up time independent of the log's size. Without a recovery point checkpoint
/// every segment is scanned.</item>
/// <item>Trusted segments whose .index or .timeindex is missing get both rebuilt (a damaged index is found
/// by the sanity check when first loaded and rebuilt then).</item>
/// <item>The log start offset is the checkpointed one, but never below the first segment; a directory
/// without segments gets an empty one at the log start offset.</item>
/// </list>
/// </summary>
internal static class LogRecoveryPlanner
{
    public static RecoveryPlan Plan(IEnumerable<FoundFile> files, bool cleanShutdown, long? recoveryPointCheckpoint, long? logStartOffsetCheckpoint)
    {
        var delete = new List<string>();
        var logs = new SortedDictionary<long, long>();
        var indexes = new HashSet<long>();
        var timeIndexes = new HashSet<long>();
        var indexFiles = new List<(long Base, string Name)>();
        foreach (var file in files)
        {
            if (file.Name.EndsWith(SegmentFiles.CleanedSuffix, StringComparison.Ordinal) ||
                file.Name.EndsWith(SegmentFiles.DeletedSuffix, StringComparison.Ordinal) ||
                file.Name.EndsWith(SegmentFiles.SwapSuffix, StringComparison.Ordinal) ||
                file.Name.EndsWith(SegmentFiles.TempSuffix, StringComparison.Ordinal))
            {
                delete.Add(file.Name);
                continue;
            }

            if (!SegmentFiles.TryParse(file.Name, out long baseOffset, out string suffix))
            {
                continue;
            }

            switch (suffix)
            {
                case SegmentFiles.LogSuffix:
                    logs[baseOffset] = file.Size;
                    break;
                case SegmentFiles.IndexSuffix:
                    indexes.Add(baseOffset);
                    indexFiles.Add((baseOffset, file.Name));
                    break;
                case SegmentFiles.TimeIndexSuffix:
                    timeIndexes.Add(baseOffset);
                    indexFiles.Add((baseOffset, file.Name));
                    break;
                case SegmentFiles.TransactionIndexSuffix:
                    indexFiles.Add((baseOffset, file.Name));
                    break;
            }
        }

        foreach (var (baseOffset, name) in indexFiles)
        {
            if (!logs.ContainsKey(baseOffset))
            {
                delete.Add(name);
            }
        }

        var segments = logs.Select(kv => new FoundSegment(kv.Key, kv.Value, indexes.Contains(kv.Key), timeIndexes.Contains(kv.Key))).ToList();
        long firstBase = segments.Count > 0 ? segments[0].BaseOffset : 0;
        long logStart = Math.Max(logStartOffsetCheckpoint ?? firstBase, segments.Count > 0 ? firstBase : 0);
        if (segments.Count == 0)
        {
            return new RecoveryPlan(delete, segments, 0, [], logStart, logStart);
        }

        int firstToRecover = segments.Count;
        if (!cleanShutdown)
        {
            firstToRecover = recoveryPointCheckpoint is { } point ? FloorIndex(segments, point) : 0;
        }

        var rebuild = new List<long>();
        for (int i = 0; i < firstToRecover; i++)
        {
            if (!segments[i].HasIndex || !segments[i].HasTimeIndex)
            {
                rebuild.Add(segments[i].BaseOffset);
            }
        }

        return new RecoveryPlan(delete, segments, firstToRecover, rebuild, logStart, null);
    }

    private static int FloorIndex(List<FoundSegment> segments, long offset)
    {
        int found = 0;
        for (int i = 0; i < segments.Count; i++)
        {
            if (segments[i].BaseOffset <= offset)
            {
                found = i;
            }
        }

        return found;
    }
}
