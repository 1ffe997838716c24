using Chronik.Broker.Groups.Classic;
using Chronik.Broker.Groups.Consumer;
using Chronik.Broker.Groups.Records;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Groups;

/// <summary>ListGroups, DescribeGroups, DeleteGroups: what admin clients see of the groups.</summary>
public sealed partial class GroupCoordinatorShard
{
    /// <summary>Kafka's group ACL operations READ (3), DELETE (6) and DESCRIBE (8) as a KIP-430 bit set: no authorizer yet, all allowed.</summary>
    public const int GroupAuthorizedOperations = (1 << 3) | (1 << 6) | (1 << 8);

    /// <summary>Groups matching the filters (lower-case state names and type names; empty = all).</summary>
    public IEnumerable<ListGroupsResponse.ListedGroup> ListGroups(IReadOnlyCollection<string> states, IReadOnlyCollection<string> types)
    {
        foreach (Group group in _groups.Values.OrderBy(g => g.GroupId, StringComparer.Ordinal))
        {
            if (group.IsDead
                || (states.Count > 0 && !states.Contains(group.StateName.ToLowerInvariant()))
                || (types.Count > 0 && !types.Contains(Group.TypeName(group.Type))))
            {
                continue;
            }

            yield return new ListGroupsResponse.ListedGroup
            {
                GroupId = group.GroupId,
                ProtocolType = group.ProtocolType,
                GroupState = group.StateName,
                GroupType = Group.TypeName(group.Type),
            };
        }
    }

    /// <summary>
    /// DescribeGroups of one group. A missing group (or one of the consumer protocol, which DescribeGroups
    /// v0-5 cannot show) is "Dead" without error, as Kafka answers. Metadata and assignments are only
    /// shown in Stable, where they are consistent.
    /// </summary>
    public DescribeGroupsResponse.DescribedGroup DescribeGroup(string groupId, bool includeAuthorizedOperations)
    {
        var described = new DescribeGroupsResponse.DescribedGroup
        {
            GroupId = groupId,
            GroupState = nameof(ClassicGroupState.Dead),
            ProtocolType = "",
            ProtocolData = "",
            AuthorizedOperations = includeAuthorizedOperations ? GroupAuthorizedOperations : int.MinValue,
        };
        if (GetGroup(groupId) is not ClassicGroup group || group.IsDead)
        {
            return described;
        }

        bool stable = group.State == ClassicGroupState.Stable;
        described.GroupState = group.StateName;
        described.ProtocolType = group.GroupProtocolType ?? "";
        described.ProtocolData = stable ? group.ProtocolName ?? "" : "";
        foreach (ClassicGroupMember member in group.Members.Values.OrderBy(m => m.JoinSequence))
        {
            described.Members.Add(new DescribeGroupsResponse.DescribedGroupMember
            {
                MemberId = member.MemberId,
                GroupInstanceId = member.GroupInstanceId,
                ClientId = member.ClientId,
                ClientHost = member.ClientHost,
                MemberMetadata = stable && group.ProtocolName is { } protocol ? member.Metadata(protocol) ?? [] : [],
                MemberAssignment = stable ? member.Assignment : [],
            });
        }

        return described;
    }

    /// <summary>DeleteGroups of one group: only empty groups; their offsets go too.</summary>
    public ErrorCode DeleteGroup(string groupId)
    {
        if (groupId.Length == 0)
        {
            return ErrorCode.InvalidGroupId;
        }

        Group? group = GetGroup(groupId);
        if (group is null || group.IsDead)
        {
            return ErrorCode.GroupIdNotFound;
        }

        if (!group.IsEmpty)
        {
            return ErrorCode.NonEmptyGroup;
        }

        foreach (var (topic, partition, _) in Offsets.OffsetsOf(groupId).ToList())
        {
            WriteAndReplay(new OffsetCommitRecord(groupId, topic, partition, null));
        }

        DeleteGroupRecords(group);
        return ErrorCode.None;
    }

    /// <summary>Tombstones for an empty group's own records; the group is gone afterwards.</summary>
    private void DeleteGroupRecords(Group group)
    {
        switch (group)
        {
            case ClassicGroup classic:
                classic.TransitionTo(ClassicGroupState.Dead, NowMs);
                Timers.CancelAll(JoinKey(group.GroupId));
                Timers.CancelAll(SyncKey(group.GroupId));
                WriteAndReplay(new GroupMetadataRecord(group.GroupId, null));
                _groups.Remove(group.GroupId);
                break;

            case ConsumerGroup consumer:
                DeleteConsumerGroupRecords(consumer);
                break;
        }
    }

    private void DeleteConsumerGroupRecords(ConsumerGroup group)
    {
        WriteAndReplay(new ConsumerGroupTargetAssignmentMetadataRecord(group.GroupId, null));
        WriteAndReplay(new ConsumerGroupMetadataRecord(group.GroupId, null));
        group.Dead = true;
        _groups.Remove(group.GroupId);
    }
}
