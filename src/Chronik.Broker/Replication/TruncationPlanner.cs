namespace Chronik.Broker.Replication;

/// <summary>Where a follower truncates, and whether that settles it (false: ask the leader again with the now latest epoch).</summary>
public readonly record struct TruncationPoint(long Offset, bool Completed);

/// <summary>
/// Where a follower's log diverges from the leader's (KIP-101, KIP-279; Kafka's getOffsetTruncationState). The leader
/// answered, for the epoch the follower asked about — by OffsetForLeaderEpoch, or as the diverging_epoch of a Fetch
/// response (KIP-595, Fetch v12+) — with the largest epoch it knows at or below that one and the offset where that
/// epoch ends in its log. The follower keeps everything up to the end of that epoch in <em>both</em> logs:
/// <list type="bullet">
/// <item>the leader knows no epochs at all (end offset -1): keep what is committed, the follower's high watermark;</item>
/// <item>the leader's epoch is undefined but its offset is not (very old protocol): the leader's offset;</item>
/// <item>the follower knows that epoch: the smaller of the two end offsets;</item>
/// <item>the follower does not know that epoch but an earlier one: the end of its own largest epoch below it — an
/// intermediate point, after which it asks again;</item>
/// <item>the follower knows no epoch that early: the leader's offset.</item>
/// </list>
/// Never beyond the follower's log end. Pure.
/// </summary>
public static class TruncationPlanner
{
    /// <param name="leaderEpoch">The epoch the leader answered with (-1 undefined).</param>
    /// <param name="leaderEndOffset">Where that epoch ends on the leader (-1 undefined).</param>
    /// <param name="logEndOffset">The follower's log end offset.</param>
    /// <param name="highWatermark">The follower's high watermark.</param>
    /// <param name="localEndOffsetForEpoch">The follower's own OffsetForLeaderEpoch: largest epoch ≤ the argument and its end, (-1, -1) when unknown.</param>
    public static TruncationPoint Plan(int leaderEpoch, long leaderEndOffset, long logEndOffset, long highWatermark, Func<int, (int Epoch, long EndOffset)> localEndOffsetForEpoch)
    {
        if (leaderEndOffset < 0)
        {
            return new TruncationPoint(Math.Min(highWatermark, logEndOffset), true);
        }

        if (leaderEpoch < 0)
        {
            return new TruncationPoint(Math.Min(leaderEndOffset, logEndOffset), true);
        }

        var (localEpoch, localEnd) = localEndOffsetForEpoch(leaderEpoch);
        if (localEpoch < 0 || localEnd < 0)
        {
            return new TruncationPoint(Math.Min(leaderEndOffset, logEndOffset), true);
        }

        return localEpoch != leaderEpoch
            ? new TruncationPoint(Math.Min(localEnd, logEndOffset), false)
            : new TruncationPoint(Math.Min(Math.Min(localEnd, leaderEndOffset), logEndOffset), true);
    }
}
