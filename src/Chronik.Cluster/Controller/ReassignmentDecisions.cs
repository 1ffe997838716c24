using System.Collections.Immutable;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Wire;

namespace Chronik.Cluster.Controller;

/// <summary>
/// Partition reassignment (KIP-455, Kafka's ReplicationControlManager). The state lives in the image:
/// AlterPartitionReassignments sets the replicas to the target followed by the replicas being removed,
/// with <c>adding</c> = target − current and <c>removing</c> = current − target. The new replicas then
/// fetch from the leader and join the ISR through AlterPartition; the change that makes the ISR hold
/// every target replica completes the move (<see cref="PartitionChangeBuilder"/>): the removed
/// replicas leave the replicas and the ISR, and a leader among them hands over to a target replica.
/// A move that adds nothing (a shrink, a reorder) completes at once. A null target cancels: the added
/// replicas are taken out again (NO_REASSIGNMENT_IN_PROGRESS when none runs), and a cancel that would
/// leave the ISR empty needs unclean.leader.election.enable (INVALID_REPLICA_ASSIGNMENT otherwise).
/// A target must be non-empty, without duplicates, on registered brokers (INVALID_REPLICA_ASSIGNMENT).
/// </summary>
public static class ReassignmentDecisions
{
    /// <param name="uncleanAllowed">Whether unclean leader election is enabled for the named topic (topic config or broker default).</param>
    public static ControllerResult<IReadOnlyList<PartitionReassignmentResult>> Alter(
        MetadataImage image, IReadOnlyList<PartitionReassignment> reassignments, Func<string, bool> uncleanAllowed)
    {
        var results = new List<PartitionReassignmentResult>(reassignments.Count);
        var records = new List<MetadataRecord>();
        MetadataImage working = image;
        foreach (PartitionReassignment reassignment in reassignments)
        {
            (ApiError error, PartitionChangeRecord? change) = Decide(working, reassignment, uncleanAllowed);
            if (change is not null)
            {
                records.Add(change);
                working = working.Apply(change);
            }

            results.Add(new PartitionReassignmentResult(reassignment.Partition, error));
        }

        return ControllerResult.Of<IReadOnlyList<PartitionReassignmentResult>>(results, records);
    }

    /// <summary>Running reassignments, of every partition (<paramref name="partitions"/> null) or of the named ones; unknown partitions are skipped.</summary>
    public static IReadOnlyList<OngoingReassignment> List(MetadataImage image, IReadOnlyList<TopicPartitionRef>? partitions)
    {
        var ongoing = new List<OngoingReassignment>();
        if (partitions is null)
        {
            foreach (var (name, topicId) in image.TopicIdsByName)
            {
                foreach (PartitionRegistration p in image.Topics[topicId].Partitions.Values)
                {
                    AddIfReassigning(ongoing, new TopicPartitionRef(name, p.Partition), p);
                }
            }

            return ongoing;
        }

        foreach (TopicPartitionRef partition in partitions.Distinct())
        {
            if (image.GetPartition(partition.Topic, partition.Partition) is { } p)
            {
                AddIfReassigning(ongoing, partition, p);
            }
        }

        return ongoing;
    }

    private static void AddIfReassigning(List<OngoingReassignment> ongoing, TopicPartitionRef partition, PartitionRegistration p)
    {
        if (p.IsReassigning)
        {
            ongoing.Add(new OngoingReassignment(partition, p.Replicas, p.AddingReplicas, p.RemovingReplicas));
        }
    }

    private static (ApiError Error, PartitionChangeRecord? Change) Decide(MetadataImage image, PartitionReassignment reassignment, Func<string, bool> uncleanAllowed)
    {
        TopicPartitionRef target = reassignment.Partition;
        TopicImage? topic = image.GetTopic(target.Topic);
        if (topic is null)
        {
            return (new ApiError(ErrorCode.UnknownTopicOrPartition, $"Unable to find a topic named {target.Topic}."), null);
        }

        PartitionRegistration? partition = topic.GetPartition(target.Partition);
        if (partition is null)
        {
            return (new ApiError(ErrorCode.UnknownTopicOrPartition, $"Unable to find partition {target.Topic}:{target.Partition}."), null);
        }

        return reassignment.Replicas is null
            ? Cancel(image, topic, partition, uncleanAllowed(target.Topic))
            : Change(image, topic, partition, reassignment.Replicas);
    }

    private static (ApiError, PartitionChangeRecord?) Change(MetadataImage image, TopicImage topic, PartitionRegistration partition, IReadOnlyList<int> target)
    {
        ApiError invalid = Validate(image, target);
        if (invalid.IsError)
        {
            return (invalid, null);
        }

        ImmutableArray<int> current = partition.Replicas;
        ImmutableArray<int> removing = [.. current.Where(r => !target.Contains(r)).Order()];
        ImmutableArray<int> adding = [.. target.Where(r => !current.Contains(r)).Order()];
        var builder = new PartitionChangeBuilder(image, topic.TopicId, partition)
        {
            TargetReplicas = [.. target, .. removing],
            TargetAdding = adding,
            TargetRemoving = removing,
        };
        return (ApiError.None, builder.Build());
    }

    /// <summary>Kafka's PartitionReassignmentRevert: drop the added replicas from the replicas and the ISR.</summary>
    private static (ApiError, PartitionChangeRecord?) Cancel(MetadataImage image, TopicImage topic, PartitionRegistration partition, bool uncleanAllowed)
    {
        if (!partition.IsReassigning)
        {
            return (new ApiError(ErrorCode.NoReassignmentInProgress, "No partition reassignment is in progress for this topic or partition."), null);
        }

        ImmutableArray<int> adding = partition.AddingReplicas;
        ImmutableArray<int> original = [.. partition.Replicas.Where(r => !adding.Contains(r))];
        ImmutableArray<int> isr = [.. partition.Isr.Where(r => !adding.Contains(r))];
        if (isr.IsEmpty)
        {
            if (!uncleanAllowed)
            {
                return (new ApiError(ErrorCode.InvalidReplicaAssignment,
                    $"Unable to revert partition assignment for {topic.Name}:{partition.Partition} because it would require an unclean leader election."), null);
            }

            isr = [original[0]];
        }

        var builder = new PartitionChangeBuilder(image, topic.TopicId, partition)
        {
            TargetReplicas = original,
            TargetIsr = isr,
            TargetAdding = [],
            TargetRemoving = [],
        };
        return (ApiError.None, builder.Build());
    }

    private static ApiError Validate(MetadataImage image, IReadOnlyList<int> target)
    {
        if (target.Count == 0)
        {
            return new ApiError(ErrorCode.InvalidReplicaAssignment, "The manual partition assignment includes an empty replica list.");
        }

        var seen = new HashSet<int>();
        foreach (int broker in target)
        {
            if (!seen.Add(broker))
            {
                return new ApiError(ErrorCode.InvalidReplicaAssignment, $"The manual partition assignment includes the broker {broker} more than once.");
            }

            if (image.GetBroker(broker) is null)
            {
                return new ApiError(ErrorCode.InvalidReplicaAssignment, $"The manual partition assignment includes broker {broker}, but no such broker is registered.");
            }
        }

        return ApiError.None;
    }
}
