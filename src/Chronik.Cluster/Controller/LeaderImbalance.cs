using Chronik.Cluster.Metadata;

namespace Chronik.Cluster.Controller;

/// <summary>
/// Automatic preferred-leader rebalancing (auto.leader.rebalance.enable): which partitions the
/// controller moves back to their preferred replica on its periodic check
/// (leader.imbalance.check.interval.seconds). As Kafka's controller computes it, a broker's imbalance
/// is the share of the partitions it is the preferred replica of that another broker leads; when that
/// share exceeds leader.imbalance.per.broker.percentage, every such partition whose preferred replica
/// could lead now (in the ISR, broker active) is elected back. Partitions being reassigned are left
/// alone: the reassignment decides their replicas and so their preferred leader.
/// </summary>
public static class LeaderImbalance
{
    /// <summary>The partitions to elect their preferred leader for, in topic-name and partition order.</summary>
    public static List<TopicPartitionRef> PartitionsToRebalance(MetadataImage image, int imbalancePercentage)
    {
        var preferredCount = new Dictionary<int, int>();
        var notLeading = new Dictionary<int, List<(TopicPartitionRef Partition, bool CanLead)>>();
        foreach (var (name, topicId) in image.TopicIdsByName)
        {
            foreach (PartitionRegistration p in image.Topics[topicId].Partitions.Values)
            {
                int preferred = p.PreferredLeader;
                if (preferred == PartitionRegistration.NoLeader || p.IsReassigning)
                {
                    continue;
                }

                preferredCount[preferred] = preferredCount.GetValueOrDefault(preferred) + 1;
                if (p.Leader != preferred)
                {
                    bool canLead = p.Isr.Contains(preferred) && image.IsBrokerActive(preferred);
                    if (!notLeading.TryGetValue(preferred, out var list))
                    {
                        notLeading[preferred] = list = [];
                    }

                    list.Add((new TopicPartitionRef(name, p.Partition), canLead));
                }
            }
        }

        var result = new List<TopicPartitionRef>();
        foreach (var (broker, partitions) in notLeading.OrderBy(e => e.Key))
        {
            // Integer arithmetic: imbalance / total > percentage / 100.
            if (partitions.Count * 100L > (long)imbalancePercentage * preferredCount[broker])
            {
                foreach (var (partition, canLead) in partitions)
                {
                    if (canLead)
                    {
                        result.Add(partition);
                    }
                }
            }
        }

        result.Sort((a, b) => a.Topic == b.Topic ? a.Partition.CompareTo(b.Partition) : string.CompareOrdinal(a.Topic, b.Topic));
        return result;
    }
}
