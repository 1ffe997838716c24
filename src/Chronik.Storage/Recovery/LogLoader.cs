using Chronik.Storage.Epochs;
using Chronik.Storage.Producers;
using Chronik.Storage.Segments;

namespace Chronik.Storage.Recovery;

/// <summary>What opening one partition log did.</summary>
internal readonly record struct LoadOutcome(int SegmentsRecovered, long BytesTruncated, int IndexesRebuilt, int FilesDeleted);

/// <summary>
/// Opens a partition directory following a <see cref="RecoveryPlan"/>: the I/O half of recovery. With
/// <c>deferSync</c> the recovered files are written but not fsynced; the caller syncs the file system once.
/// Producer state is loaded last, from the newest snapshot at or below the recovered log end plus the batches
/// after it (snapshots beyond the end, left by a torn tail, are deleted).
/// </summary>
internal static class LogLoader
{
    public static PartitionLog Load(
        TopicPartition topicPartition,
        string directory,
        LogConfig config,
        LogServices services,
        bool cleanShutdown,
        long? recoveryPoint,
        long? logStartOffset,
        long? highWatermark,
        bool deferSync,
        out LoadOutcome outcome)
    {
        var files = new DirectoryInfo(directory).EnumerateFiles().Select(f => new FoundFile(f.Name, f.Length)).ToList();
        var plan = LogRecoveryPlanner.Plan(files, cleanShutdown, recoveryPoint, logStartOffset);
        foreach (string name in plan.FilesToDelete)
        {
            File.Delete(Path.Combine(directory, name));
        }

        var epochs = new LeaderEpochCache(directory);
        long now = services.NowMs;
        var segments = new List<LogSegment>(plan.Segments.Count + 1);
        for (int i = 0; i < plan.Segments.Count; i++)
        {
            var found = plan.Segments[i];
            if (found.LogSize > int.MaxValue)
            {
                throw new InvalidDataException($"segment {found.BaseOffset} of {topicPartition} is {found.LogSize} bytes, beyond what a segment can hold");
            }

            segments.Add(LogSegment.Open(directory, found.BaseOffset, config, services.Files, (int)found.LogSize, now, active: i == plan.Segments.Count - 1));
        }

        int rebuilt = 0;
        foreach (var segment in segments)
        {
            if (plan.IndexesToRebuild.Contains(segment.BaseOffset))
            {
                segment.RebuildIndexesDurably(sync: !deferSync);
                rebuilt++;
            }
        }

        int recovered = 0;
        long truncatedBytes = 0;
        bool epochsChanged = false;
        long next = -1;
        for (int i = plan.FirstSegmentToRecover; i < segments.Count; i++)
        {
            var result = segments[i].Recover(Math.Max(next, 0), batch =>
            {
                if (batch.PartitionLeaderEpoch >= 0)
                {
                    epochsChanged |= epochs.AssignWithoutFlush(batch.PartitionLeaderEpoch, batch.BaseOffset);
                }
            }, sync: !deferSync);
            recovered++;
            truncatedBytes += result.TruncatedBytes;
            next = result.NextOffset ?? Math.Max(next, segments[i].BaseOffset);
            if (result.TruncatedBytes > 0)
            {
                // Nothing after the first torn or corrupt batch can be trusted (Kafka deletes the later segments too).
                for (int j = segments.Count - 1; j > i; j--)
                {
                    truncatedBytes += segments[j].Size;
                    segments[j].DeleteFilesNow();
                    segments.RemoveAt(j);
                }
            }
        }

        if (plan.CreateSegmentAt is { } createAt)
        {
            segments.Add(LogSegment.Create(directory, createAt, config, services.Files, now));
        }

        var active = segments[^1];
        if (!active.IsActive)
        {
            active.Reactivate();
        }

        long logEnd = plan.FirstSegmentToRecover < plan.Segments.Count && plan.CreateSegmentAt is null
            ? Math.Max(next, active.BaseOffset)
            : active.ReadNextOffset();
        if (epochsChanged)
        {
            epochs.Flush();
        }

        long logStart = Math.Min(plan.LogStartOffset, logEnd);
        epochs.TruncateFromEnd(logEnd);
        epochs.TruncateFromStart(logStart);
        outcome = new LoadOutcome(recovered, truncatedBytes, rebuilt, plan.FilesToDelete.Count);
        var log = new PartitionLog(topicPartition, directory, config, services, epochs, [.. segments], logStart, logEnd, logEnd, highWatermark ?? logStart);
        log.LoadProducerState(ProducerSnapshotFile.Offsets(files.Select(f => f.Name)));
        return log;
    }
}
