using Chronik.Cluster.Metadata;
using Chronik.Protocol.Wire;

namespace Chronik.Cluster.Controller;

/// <summary>
/// ElectLeaders (KIP-460) as Kafka's ReplicationControlManager decides it. Preferred: the first
/// replica leads when it is in the ISR and on an active broker (PREFERRED_LEADER_NOT_AVAILABLE
/// otherwise, ELECTION_NOT_NEEDED when it already leads). Unclean — only when asked for: a partition
/// without a leader gets one from its ISR if possible, else the first replica on an active broker with
/// an ISR of itself (records the ISR lost; ELIGIBLE_LEADERS_NOT_AVAILABLE when no replica is active,
/// ELECTION_NOT_NEEDED when it has a leader). Without a partition list every partition is tried and
/// only those that needed an election are answered.
/// </summary>
public static class LeaderElectionDecisions
{
    public static ControllerResult<ElectLeadersOutcome> Elect(MetadataImage image, ElectionType type, IReadOnlyList<TopicPartitionRef>? partitions)
    {
        var results = new List<ElectLeadersResult>();
        var records = new List<MetadataRecord>();
        MetadataImage working = image;
        if (partitions is null)
        {
            foreach (var (name, topicId) in image.TopicIdsByName)
            {
                foreach (int index in image.Topics[topicId].Partitions.Keys)
                {
                    ApiError error = ElectOne(ref working, type, new TopicPartitionRef(name, index), records);
                    if (error.Code != ErrorCode.ElectionNotNeeded)
                    {
                        results.Add(new ElectLeadersResult(new TopicPartitionRef(name, index), error));
                    }
                }
            }
        }
        else
        {
            var seen = new HashSet<TopicPartitionRef>();
            foreach (TopicPartitionRef partition in partitions)
            {
                if (seen.Add(partition))
                {
                    results.Add(new ElectLeadersResult(partition, ElectOne(ref working, type, partition, records)));
                }
            }
        }

        return ControllerResult.Of(new ElectLeadersOutcome(ApiError.None, results), records);
    }

    private static ApiError ElectOne(ref MetadataImage image, ElectionType type, TopicPartitionRef target, List<MetadataRecord> records)
    {
        TopicImage? topic = image.GetTopic(target.Topic);
        if (topic is null)
        {
            return new ApiError(ErrorCode.UnknownTopicOrPartition, $"No such topic as {target.Topic}");
        }

        PartitionRegistration? partition = topic.GetPartition(target.Partition);
        if (partition is null)
        {
            return new ApiError(ErrorCode.UnknownTopicOrPartition, $"No such partition as {target}");
        }

        if ((type == ElectionType.Preferred && partition.Leader == partition.PreferredLeader) || (type == ElectionType.Unclean && partition.HasLeader))
        {
            return new ApiError(ErrorCode.ElectionNotNeeded);
        }

        var builder = new PartitionChangeBuilder(image, topic.TopicId, partition)
        {
            Election = type == ElectionType.Preferred ? LeaderElection.Preferred : LeaderElection.Unclean,
        };
        PartitionChangeRecord? change = builder.Build();
        if (change?.Leader is null or PartitionRegistration.NoLeader)
        {
            return type == ElectionType.Preferred
                ? new ApiError(ErrorCode.PreferredLeaderNotAvailable, $"Failed to elect leader for partition {target} under strategy PreferredReplicaPartitionLeaderElectionStrategy")
                : new ApiError(ErrorCode.EligibleLeadersNotAvailable, $"Failed to elect leader for partition {target} under strategy UncleanPartitionLeaderElectionStrategy");
        }

        records.Add(change);
        image = image.Apply(change);
        return ApiError.None;
    }
}
