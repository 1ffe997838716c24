namespace Chronik.Cluster.Chaos.Checking;

/// <summary>
/// How unavailable the topic looked to the producers. <paramref name="LongestGap"/>: the longest time one
/// partition went without a successful acknowledgement while the producers kept sending to it (they
/// send to every partition all the time, so a gap is time the partition could not take acks=all
/// writes); <paramref name="GapPartition"/> and <paramref name="GapStart"/> say where and when (since the
/// run started). <paramref name="LongestLatency"/>: the longest time an acknowledged record waited
/// between being handed to the client and its delivery report.
/// </summary>
public sealed record AvailabilityFigures(TimeSpan LongestGap, int GapPartition, TimeSpan GapStart, TimeSpan LongestLatency)
{
    /// <summary>
    /// Measures over the window [<paramref name="from"/>, <paramref name="until"/>]: the window's ends
    /// count as acknowledgement points, so a partition silent until the end shows its whole silence.
    /// </summary>
    public static AvailabilityFigures Measure(IEnumerable<ProducerHistory> producers, int partitionCount, TimeSpan from, TimeSpan until)
    {
        var times = new List<TimeSpan>[partitionCount];
        for (int p = 0; p < partitionCount; p++)
        {
            times[p] = [from, until];
        }

        TimeSpan longestLatency = TimeSpan.Zero;
        foreach (ProducerHistory producer in producers)
        {
            foreach (Acknowledgement ack in producer.Acknowledged)
            {
                if (ack.AcknowledgedAt - ack.SentAt > longestLatency)
                {
                    longestLatency = ack.AcknowledgedAt - ack.SentAt;
                }

                if (ack.Partition >= 0 && ack.Partition < partitionCount && ack.AcknowledgedAt > from && ack.AcknowledgedAt < until)
                {
                    times[ack.Partition].Add(ack.AcknowledgedAt);
                }
            }
        }

        TimeSpan longestGap = TimeSpan.Zero;
        int gapPartition = -1;
        TimeSpan gapStart = TimeSpan.Zero;
        for (int p = 0; p < partitionCount; p++)
        {
            times[p].Sort();
            for (int i = 1; i < times[p].Count; i++)
            {
                TimeSpan gap = times[p][i] - times[p][i - 1];
                if (gap > longestGap)
                {
                    longestGap = gap;
                    gapPartition = p;
                    gapStart = times[p][i - 1];
                }
            }
        }

        return new AvailabilityFigures(longestGap, gapPartition, gapStart, longestLatency);
    }
}
