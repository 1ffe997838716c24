namespace Chronik.Broker.Groups.Consumer;

/// <summary>
/// The reconciliation step of the consumer protocol (Kafka's CurrentAssignmentBuilder): moves a member
/// from its current assignment towards the target assignment of the given epoch, one safe step at a time.
/// A partition is given only when no other member owns it (its current epoch is -1, or it is this
/// member's own partition pending revocation); partitions to give up are first revoked (the member stays
/// at its epoch in UnrevokedPartitions until its heartbeat no longer reports them as owned).
/// </summary>
public static class CurrentAssignmentBuilder
{
    /// <param name="member">The member before this heartbeat.</param>
    /// <param name="targetEpoch">The epoch of the target assignment.</param>
    /// <param name="target">The member's target assignment.</param>
    /// <param name="subscribedTopicIds">Topics the member subscribes to now; partitions of others are revoked.</param>
    /// <param name="currentPartitionEpoch">Epoch of the owner of a partition, -1 when free.</param>
    /// <param name="ownedPartitions">What the member reported owning; null when the heartbeat did not say (treated as still owning).</param>
    public static ConsumerGroupMember Build(
        ConsumerGroupMember member,
        int targetEpoch,
        Assignment target,
        IReadOnlySet<Guid> subscribedTopicIds,
        Func<Guid, int, int> currentPartitionEpoch,
        Assignment? ownedPartitions)
    {
        switch (member.State)
        {
            case MemberState.Stable:
                return member.MemberEpoch != targetEpoch
                    ? ComputeNext(member, member.MemberEpoch, targetEpoch, target, subscribedTopicIds, currentPartitionEpoch, ownedPartitions)
                    : member;

            case MemberState.UnrevokedPartitions:
                return OwnsAny(ownedPartitions, member.PartitionsPendingRevocation)
                    ? member
                    : ComputeNext(member, member.MemberEpoch, targetEpoch, target, subscribedTopicIds, currentPartitionEpoch, ownedPartitions);

            case MemberState.UnreleasedPartitions:
                return ComputeNext(member, member.MemberEpoch, targetEpoch, target, subscribedTopicIds, currentPartitionEpoch, ownedPartitions);

            default:
                if (ownedPartitions is null || !ownedPartitions.IsEmpty)
                {
                    throw new GroupCoordinatorException(Protocol.Wire.ErrorCode.FencedMemberEpoch, "The consumer group member is in an unknown state. The member must abandon all its partitions and rejoin.");
                }

                return ComputeNext(member, targetEpoch, targetEpoch, target, subscribedTopicIds, currentPartitionEpoch, ownedPartitions);
        }
    }

    private static bool OwnsAny(Assignment? owned, Assignment revoking)
    {
        if (owned is null)
        {
            return true;
        }

        foreach (var (topicId, partition) in owned.All())
        {
            if (revoking.Contains(topicId, partition))
            {
                return true;
            }
        }

        return false;
    }

    private static ConsumerGroupMember ComputeNext(
        ConsumerGroupMember member,
        int memberEpoch,
        int targetEpoch,
        Assignment target,
        IReadOnlySet<Guid> subscribedTopicIds,
        Func<Guid, int, int> currentPartitionEpoch,
        Assignment? ownedPartitions)
    {
        bool hasUnreleased = false;
        var assigned = new List<(Guid, int)>();
        var revoking = new List<(Guid, int)>();
        var toAssign = new List<(Guid, int)>();
        foreach (Guid topicId in target.TopicIds.Union(member.AssignedPartitions.TopicIds))
        {
            IReadOnlySet<int> targetPartitions = subscribedTopicIds.Contains(topicId) ? target.Partitions(topicId) : new HashSet<int>();
            IReadOnlySet<int> current = member.AssignedPartitions.Partitions(topicId);
            foreach (int partition in current)
            {
                (targetPartitions.Contains(partition) ? assigned : revoking).Add((topicId, partition));
            }

            foreach (int partition in targetPartitions)
            {
                if (current.Contains(partition))
                {
                    continue;
                }

                if (currentPartitionEpoch(topicId, partition) != -1 && !member.PartitionsPendingRevocation.Contains(topicId, partition))
                {
                    hasUnreleased = true;
                }
                else
                {
                    toAssign.Add((topicId, partition));
                }
            }
        }

        Assignment revokingSet = Assignment.From(revoking);
        if (!revokingSet.IsEmpty && OwnsAny(ownedPartitions, revokingSet))
        {
            return member with
            {
                State = MemberState.UnrevokedPartitions,
                PreviousMemberEpoch = member.MemberEpoch,
                MemberEpoch = memberEpoch,
                AssignedPartitions = Assignment.From(assigned),
                PartitionsPendingRevocation = revokingSet,
            };
        }

        assigned.AddRange(toAssign);
        return member with
        {
            State = hasUnreleased ? MemberState.UnreleasedPartitions : MemberState.Stable,
            PreviousMemberEpoch = member.MemberEpoch,
            MemberEpoch = targetEpoch,
            AssignedPartitions = Assignment.From(assigned),
            PartitionsPendingRevocation = Assignment.Empty,
        };
    }
}
