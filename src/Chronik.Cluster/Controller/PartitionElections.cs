using System.Collections.Immutable;
using Chronik.Cluster.Metadata;

namespace Chronik.Cluster.Controller;

/// <summary>
/// Leader and ISR changes when a broker leaves or returns (Kafka's handleBrokerFenced /
/// handleBrokerUnfenced). Only ISR members may lead (unclean leader election is off): a partition whose
/// ISR has no live member keeps its last ISR member recorded and goes leaderless (-1) until that
/// broker returns.
/// </summary>
public static class PartitionElections
{
    /// <summary>
    /// Records that take <paramref name="brokerId"/> out of every ISR and, where it led, elect the first
    /// live replica (in assignment order) of the remaining ISR, leader epoch + 1.
    /// </summary>
    public static List<MetadataRecord> BrokerLeaving(MetadataImage image, int brokerId)
    {
        var records = new List<MetadataRecord>();
        foreach (Guid topicId in image.TopicIdsByName.Values)
        {
            TopicImage topic = image.Topics[topicId];
            foreach (PartitionRegistration p in topic.Partitions.Values)
            {
                bool inIsr = p.Isr.Contains(brokerId);
                if (!inIsr && p.Leader != brokerId)
                {
                    continue;
                }

                ImmutableArray<int> isr = p.Isr.Remove(brokerId);
                if (isr.IsEmpty)
                {
                    // The last in-sync replica stays recorded so it can lead again when it returns.
                    isr = p.Isr;
                }

                int? leader = null;
                if (p.Leader == brokerId)
                {
                    leader = ElectFromIsr(image, p.Replicas, isr, excluded: brokerId);
                }

                bool isrChanged = !isr.SequenceEqual(p.Isr);
                if (isrChanged || leader.HasValue)
                {
                    records.Add(new PartitionChangeRecord(topicId, p.Partition, Isr: isrChanged ? isr : null, Leader: leader));
                }
            }
        }

        return records;
    }

    /// <summary>Records that give leaderless partitions whose ISR holds <paramref name="brokerId"/> a leader again.</summary>
    public static List<MetadataRecord> BrokerReturning(MetadataImage image, int brokerId)
    {
        var records = new List<MetadataRecord>();
        foreach (Guid topicId in image.TopicIdsByName.Values)
        {
            foreach (PartitionRegistration p in image.Topics[topicId].Partitions.Values)
            {
                if (p.HasLeader || !p.Isr.Contains(brokerId))
                {
                    continue;
                }

                int leader = ElectFromIsr(image, p.Replicas, p.Isr, excluded: -1, alsoLive: brokerId);
                if (leader != PartitionRegistration.NoLeader)
                {
                    records.Add(new PartitionChangeRecord(topicId, p.Partition, Leader: leader));
                }
            }
        }

        return records;
    }

    /// <summary>First replica, in assignment order, that is in the ISR and live; -1 when none is.</summary>
    public static int ElectFromIsr(MetadataImage image, ImmutableArray<int> replicas, ImmutableArray<int> isr, int excluded, int alsoLive = -1)
    {
        foreach (int replica in replicas)
        {
            if (replica != excluded && isr.Contains(replica) && (replica == alsoLive || image.IsBrokerActive(replica)))
            {
                return replica;
            }
        }

        return PartitionRegistration.NoLeader;
    }
}
