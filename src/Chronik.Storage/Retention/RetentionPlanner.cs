namespace Chronik.Storage.Retention;

/// <summary>What retention needs to know about a segment.</summary>
internal readonly record struct SegmentSummary(long BaseOffset, long Size, long LargestTimestamp);

/// <summary>Why segments are deleted (the first reason that applied).</summary>
internal enum RetentionReason
{
    None,
    LogStartOffset,
    Size,
    Time,
}

/// <summary>How many leading segments retention deletes.</summary>
internal readonly record struct RetentionDecision(int DeleteCount, RetentionReason Reason);

/// <summary>
/// Kafka's deleteOldSegments as a pure function. Only whole segments are deleted, oldest first, and only
/// while every offset of the segment is below the high watermark (the next segment's base offset, or the log
/// end for the last segment, is ≤ the high watermark). Three rules apply in order, each to what the previous
/// left: segments wholly below the log start offset (always); with cleanup.policy containing delete, oldest
/// segments while the log exceeds retention.bytes, then segments whose newest timestamp is older than
/// retention.ms. An empty last segment is never deleted; when every segment is deleted the caller rolls a
/// new empty one first.
/// </summary>
internal static class RetentionPlanner
{
    /// <param name="logStartOnly">Apply only the log-start rule (after DeleteRecords, which must not also run retention).</param>
    public static RetentionDecision Plan(IReadOnlyList<SegmentSummary> segments, long logEndOffset, long highWatermark, long logStartOffset, LogConfig config, long nowMs, bool logStartOnly = false)
    {
        int deleted = 0;
        var reason = RetentionReason.None;

        int n = Extend(segments, deleted, logEndOffset, highWatermark, (s, next) => next is { } b && b <= logStartOffset);
        if (n > deleted)
        {
            deleted = n;
            reason = RetentionReason.LogStartOffset;
        }

        if (!config.Delete || logStartOnly)
        {
            return new RetentionDecision(deleted, reason);
        }

        if (config.RetentionBytes >= 0)
        {
            long total = 0;
            for (int i = deleted; i < segments.Count; i++)
            {
                total += segments[i].Size;
            }

            long excess = total - config.RetentionBytes;
            if (excess > 0)
            {
                n = Extend(segments, deleted, logEndOffset, highWatermark, (s, _) =>
                {
                    if (excess - s.Size < 0)
                    {
                        return false;
                    }

                    excess -= s.Size;
                    return true;
                });
                if (n > deleted)
                {
                    deleted = n;
                    reason = reason == RetentionReason.None ? RetentionReason.Size : reason;
                }
            }
        }

        if (config.RetentionMs >= 0)
        {
            n = Extend(segments, deleted, logEndOffset, highWatermark, (s, _) => nowMs - s.LargestTimestamp > config.RetentionMs);
            if (n > deleted)
            {
                deleted = n;
                reason = reason == RetentionReason.None ? RetentionReason.Time : reason;
            }
        }

        return new RetentionDecision(deleted, reason);
    }

    private static int Extend(IReadOnlyList<SegmentSummary> segments, int from, long logEndOffset, long highWatermark, Func<SegmentSummary, long?, bool> predicate)
    {
        int i = from;
        while (i < segments.Count)
        {
            var segment = segments[i];
            long? nextBase = i + 1 < segments.Count ? segments[i + 1].BaseOffset : null;
            bool lastAndEmpty = nextBase is null && segment.Size == 0;
            bool belowHighWatermark = highWatermark >= (nextBase ?? logEndOffset);
            if (lastAndEmpty || !belowHighWatermark || !predicate(segment, nextBase))
            {
                break;
            }

            i++;
        }

        return i;
    }
}
