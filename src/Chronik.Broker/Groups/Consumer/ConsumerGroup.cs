using Chronik.Broker.Groups.Records;

namespace Chronik.Broker.Groups.Consumer;

/// <summary>Kafka's ConsumerGroupState names.</summary>
public enum ConsumerGroupState
{
    Empty,
    Assigning,
    Reconciling,
    Stable,
    Dead,
}

/// <summary>
/// A consumer (KIP-848) group (Kafka's ConsumerGroup): the group epoch (bumped whenever the membership or
/// subscriptions change), the target assignment and its epoch, the members with their current
/// assignments, and which member epoch currently owns each partition. Every change arrives as a
/// replayed record, both when loading and when the coordinator writes, so the in-memory state is
/// always exactly what a reload rebuilds.
/// </summary>
public sealed class ConsumerGroup : Group
{
    private readonly Dictionary<string, ConsumerGroupMember> _members = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Assignment> _targetAssignment = new(StringComparer.Ordinal);
    private readonly Dictionary<(Guid TopicId, int Partition), int> _partitionEpochs = [];
    private readonly Dictionary<string, string> _staticMembers = new(StringComparer.Ordinal);
    private long? _emptySinceMs;

    public ConsumerGroup(string groupId, long nowMs)
        : base(groupId)
    {
        _emptySinceMs = nowMs;
    }

    public override GroupType Type => GroupType.Consumer;

    public int GroupEpoch { get; private set; }

    public int AssignmentEpoch { get; private set; }

    /// <summary>Hash of the subscribed topics' metadata when the group epoch was last bumped (KIP-1101).</summary>
    public long MetadataHash { get; private set; }

    public bool Dead { get; set; }

    public IReadOnlyDictionary<string, ConsumerGroupMember> Members => _members;

    public IReadOnlyDictionary<string, Assignment> TargetAssignment => _targetAssignment;

    public ConsumerGroupState State
    {
        get
        {
            if (Dead)
            {
                return ConsumerGroupState.Dead;
            }

            if (_members.Count == 0)
            {
                return ConsumerGroupState.Empty;
            }

            if (GroupEpoch != AssignmentEpoch)
            {
                return ConsumerGroupState.Assigning;
            }

            foreach (ConsumerGroupMember member in _members.Values)
            {
                if (member.MemberEpoch != AssignmentEpoch || member.State != MemberState.Stable)
                {
                    return ConsumerGroupState.Reconciling;
                }
            }

            return ConsumerGroupState.Stable;
        }
    }

    public override string StateName => State.ToString();

    public override string ProtocolType => "consumer";

    public override bool IsEmpty => _members.Count == 0;

    public override bool IsDead => Dead;

    public override long? EmptySinceMs => _members.Count == 0 ? _emptySinceMs : null;

    public ConsumerGroupMember? GetMember(string memberId) => _members.GetValueOrDefault(memberId);

    public string? StaticMemberId(string instanceId) => _staticMembers.GetValueOrDefault(instanceId);

    public Assignment TargetOf(string memberId) => _targetAssignment.GetValueOrDefault(memberId) ?? Assignment.Empty;

    /// <summary>The epoch of the member that owns the partition (assigned or pending revocation), or -1 when free.</summary>
    public int CurrentPartitionEpoch(Guid topicId, int partition) => _partitionEpochs.GetValueOrDefault((topicId, partition), -1);

    /// <summary>Topic names subscribed by any member, ordered.</summary>
    public SortedSet<string> SubscribedTopicNames()
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (ConsumerGroupMember member in _members.Values)
        {
            names.UnionWith(member.SubscribedTopicNames);
        }

        return names;
    }

    public override bool IsSubscribedTo(string topic)
    {
        foreach (ConsumerGroupMember member in _members.Values)
        {
            if (member.SubscribedTopicNames.Contains(topic) || member.SubscribedTopicRegex is not null)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The assignor most members asked for, or <paramref name="defaultAssignor"/> when none did.</summary>
    public string PreferredServerAssignor(string defaultAssignor)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (ConsumerGroupMember member in _members.Values)
        {
            if (member.ServerAssignor is { } name)
            {
                counts[name] = counts.GetValueOrDefault(name) + 1;
            }
        }

        return counts.Count == 0 ? defaultAssignor : counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).First().Key;
    }

    public void ReplayGroupMetadata(ConsumerGroupMetadataRecord record)
    {
        GroupEpoch = record.Epoch ?? GroupEpoch;
        MetadataHash = record.MetadataHash;
    }

    public void ReplayTargetAssignmentMetadata(int assignmentEpoch) => AssignmentEpoch = assignmentEpoch;

    public void ReplayMemberMetadata(string memberId, ConsumerMemberMetadata? metadata, long nowMs)
    {
        if (metadata is null)
        {
            if (_members.Remove(memberId, out ConsumerGroupMember? removed))
            {
                if (removed.InstanceId is { } instanceId && _staticMembers.GetValueOrDefault(instanceId) == memberId)
                {
                    _staticMembers.Remove(instanceId);
                }

                RemovePartitionEpochs(removed);
                if (_members.Count == 0)
                {
                    _emptySinceMs = nowMs;
                }
            }

            return;
        }

        ConsumerGroupMember member = (_members.GetValueOrDefault(memberId) ?? ConsumerGroupMember.Create(memberId)).WithMetadata(metadata);
        _members[memberId] = member;
        if (member.InstanceId is { } id)
        {
            _staticMembers[id] = memberId;
        }

        _emptySinceMs = null;
    }

    public void ReplayTargetAssignment(string memberId, Assignment? partitions)
    {
        if (partitions is null)
        {
            _targetAssignment.Remove(memberId);
        }
        else
        {
            _targetAssignment[memberId] = partitions;
        }
    }

    public void ReplayCurrentAssignment(string memberId, CurrentMemberAssignment? value)
    {
        if (!_members.TryGetValue(memberId, out ConsumerGroupMember? member))
        {
            if (value is null)
            {
                return;
            }

            member = ConsumerGroupMember.Create(memberId);
        }

        RemovePartitionEpochs(member);
        ConsumerGroupMember updated = value is null
            ? member.WithCurrentAssignment(new CurrentMemberAssignment(ConsumerGroupMember.LeaveGroupMemberEpoch, ConsumerGroupMember.LeaveGroupMemberEpoch, MemberState.Stable, Assignment.Empty, Assignment.Empty))
            : member.WithCurrentAssignment(value);
        _members[memberId] = updated;
        AddPartitionEpochs(updated);
    }

    private void RemovePartitionEpochs(ConsumerGroupMember member)
    {
        foreach (var tp in member.AssignedPartitions.All())
        {
            _partitionEpochs.Remove(tp);
        }

        foreach (var tp in member.PartitionsPendingRevocation.All())
        {
            _partitionEpochs.Remove(tp);
        }
    }

    private void AddPartitionEpochs(ConsumerGroupMember member)
    {
        foreach (var tp in member.AssignedPartitions.All())
        {
            _partitionEpochs[tp] = member.MemberEpoch;
        }

        foreach (var tp in member.PartitionsPendingRevocation.All())
        {
            _partitionEpochs[tp] = member.MemberEpoch;
        }
    }
}
