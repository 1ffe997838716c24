using Chronik.Protocol.Records;
using Chronik.Protocol.Wire;
using Chronik.Storage.Records;
using Chronik.Storage.Segments;

namespace Chronik.Storage;

public sealed partial class PartitionLog
{
    /// <summary>ListOffsets' special timestamps (Kafka's ListOffsetsRequest constants).</summary>
    public const long LatestTimestamp = -1;

    public const long EarliestTimestamp = -2;

    public const long MaxTimestamp = -3;

    public const long EarliestLocalTimestamp = -4;

    /// <summary>
    /// Whole batches from the one holding <paramref name="startOffset"/> (or the first after it, across
    /// compaction gaps): as many as fit in <paramref name="maxBytes"/>, none with an offset at or above
    /// <paramref name="maxOffsetExclusive"/> (the high watermark for consumers, the log end for followers).
    /// With <paramref name="minOneBatch"/> the first batch is returned even when larger than maxBytes (KIP-74).
    /// A start offset outside [log start, log end] gives <see cref="ErrorCode.OffsetOutOfRange"/>; one in range
    /// but at or past the limit gives an empty result. Records are never decoded.
    /// </summary>
    public LogReadResult Read(long startOffset, int maxBytes, long maxOffsetExclusive = long.MaxValue, bool minOneBatch = true)
    {
        try
        {
            return ReadOnce(startOffset, maxBytes, maxOffsetExclusive, minOneBatch);
        }
        catch (FileNotFoundException)
        {
            // The segment was deleted (with file.delete.delay.ms 0) between taking the snapshot and reading
            // it; a fresh snapshot no longer holds it.
            return ReadOnce(startOffset, maxBytes, maxOffsetExclusive, minOneBatch);
        }
    }

    private LogReadResult ReadOnce(long startOffset, int maxBytes, long maxOffsetExclusive, bool minOneBatch)
    {
        // Log end, then the segment list, then the log start: every offset below that end is in the list,
        // and retention publishes a new log start before it drops segments from the list.
        long end = LogEndOffset;
        var segments = Segments;
        long start = LogStartOffset;
        long hw = HighWatermark;
        if (startOffset < start || startOffset > end || startOffset < segments[0].BaseOffset)
        {
            return new LogReadResult(ErrorCode.OffsetOutOfRange, null, 0, 0, -1, start, end, hw);
        }

        long limit = Math.Min(maxOffsetExclusive, end);
        if (startOffset >= limit || (maxBytes <= 0 && !minOneBatch))
        {
            return new LogReadResult(ErrorCode.None, null, 0, 0, -1, start, end, hw);
        }

        for (int i = FloorSegment(segments, startOffset); i < segments.Length && segments[i].BaseOffset < limit; i++)
        {
            var slice = segments[i].Read(startOffset, Math.Max(maxBytes, 0), limit, minOneBatch);
            if (slice.Found)
            {
                return new LogReadResult(ErrorCode.None, segments[i], slice.Position, slice.Length, slice.Length == 0 ? -1 : slice.FirstOffset, start, end, hw);
            }
        }

        return new LogReadResult(ErrorCode.None, null, 0, 0, -1, start, end, hw);
    }

    /// <summary>
    /// ListOffsets for one partition. A timestamp ≥ 0 finds the first record at or after the log start whose
    /// timestamp is ≥ it (null when none is); <see cref="EarliestTimestamp"/> and <see cref="EarliestLocalTimestamp"/>
    /// give the log start offset, <see cref="LatestTimestamp"/> the log end offset (the broker substitutes the high
    /// watermark or last stable offset by isolation level), <see cref="MaxTimestamp"/> the record with the
    /// largest timestamp (KIP-734). Leader epochs come from the epoch cache.
    /// </summary>
    public TimestampAndOffset? FetchOffsetByTimestamp(long timestamp)
    {
        switch (timestamp)
        {
            case EarliestTimestamp or EarliestLocalTimestamp:
                {
                    long start = LogStartOffset;
                    return new TimestampAndOffset(-1, start, EpochOf(start));
                }

            case LatestTimestamp:
                {
                    long end = LogEndOffset;
                    return new TimestampAndOffset(-1, end, LeaderEpochs.LatestEpoch ?? -1);
                }

            case MaxTimestamp:
                return FindMaxTimestamp();
            case < 0:
                throw new ArgumentOutOfRangeException(nameof(timestamp), timestamp, "not a ListOffsets timestamp");
        }

        long logStart = LogStartOffset;
        foreach (var segment in Segments)
        {
            if (segment.MaxTimestampAndOffset.Timestamp < timestamp)
            {
                continue;
            }

            if (segment.FindOffsetByTimestamp(timestamp, logStart) is { } found)
            {
                return new TimestampAndOffset(found.Timestamp, found.Offset, EpochOf(found.Offset));
            }
        }

        return null;
    }

    private TimestampAndOffset? FindMaxTimestamp()
    {
        LogSegment? best = null;
        long bestTimestamp = -1;
        foreach (var segment in Segments)
        {
            long max = segment.MaxTimestampAndOffset.Timestamp;
            if (max > bestTimestamp)
            {
                best = segment;
                bestTimestamp = max;
            }
        }

        if (best is null)
        {
            return null;
        }

        var shallow = best.MaxTimestampAndOffset;
        if (!best.TryFindBatch(shallow.Offset, out var batch))
        {
            return new TimestampAndOffset(shallow.Timestamp, shallow.Offset, EpochOf(shallow.Offset));
        }

        long offset = OffsetOfMaxTimestamp(best, batch);
        return new TimestampAndOffset(shallow.Timestamp, offset, EpochOf(offset));
    }

    // The record carrying the batch's max timestamp when the records can be read; the batch's base offset
    // otherwise (which is also the answer for LogAppendTime, where every record carries the max).
    private static long OffsetOfMaxTimestamp(LogSegment segment, in BatchInfo batch)
    {
        if ((batch.Attributes & RecordBatchAttributes.LogAppendTime) != 0)
        {
            return batch.BaseOffset;
        }

        byte[] bytes = new byte[batch.Size];
        segment.CopyTo(batch.Position, bytes);
        if (!RecordBatchRecords.TryOpen(bytes, BatchValidator.MaxUncompressedBytes, out var records))
        {
            return batch.BaseOffset;
        }

        using (records)
        {
            var reader = records.GetEnumerator();
            while (reader.TryReadNext(out var record) == RecordReadStatus.Record)
            {
                if (record.Timestamp == batch.MaxTimestamp)
                {
                    return record.Offset;
                }
            }
        }

        return batch.BaseOffset;
    }

    private int EpochOf(long offset) => LeaderEpochs.EpochForOffset(offset) ?? -1;
}
