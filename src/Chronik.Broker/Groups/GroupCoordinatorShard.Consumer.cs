using System.Text.RegularExpressions;
using Chronik.Broker.Groups.Classic;
using Chronik.Broker.Groups.Consumer;
using Chronik.Broker.Groups.Records;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Groups;

/// <summary>
/// The KIP-848 consumer protocol: ConsumerGroupHeartbeat (join, heartbeat, leave, static members),
/// the target assignment computed by a server-side assignor on every group epoch bump, reconciliation of
/// each member towards it, session and rebalance timeouts, and ConsumerGroupDescribe.
/// </summary>
public sealed partial class GroupCoordinatorShard
{
    public ConsumerGroupHeartbeatResponse ConsumerGroupHeartbeat(GroupRequestContext context, ConsumerGroupHeartbeatRequest request)
    {
        try
        {
            ValidateConsumerHeartbeat(context, request);
            return request.MemberEpoch is ConsumerGroupMember.LeaveGroupMemberEpoch or ConsumerGroupMember.LeaveGroupStaticMemberEpoch
                ? ConsumerGroupLeave(request)
                : ConsumerGroupJoinOrHeartbeat(context, request);
        }
        catch (GroupCoordinatorException ex)
        {
            return new ConsumerGroupHeartbeatResponse { ErrorCode = (short)ex.Error, ErrorMessage = ex.Message, MemberId = request.MemberId, MemberEpoch = request.MemberEpoch };
        }
    }

    public ConsumerGroupDescribeResponse.DescribedGroup ConsumerGroupDescribe(string groupId, bool includeAuthorizedOperations)
    {
        if (GetGroup(groupId) is not ConsumerGroup group || group.IsDead)
        {
            return new ConsumerGroupDescribeResponse.DescribedGroup
            {
                GroupId = groupId,
                ErrorCode = (short)ErrorCode.GroupIdNotFound,
                ErrorMessage = GetGroup(groupId) is null ? $"Group {groupId} not found." : $"Group {groupId} is not a consumer group.",
            };
        }

        MetadataImage image = _image();
        var described = new ConsumerGroupDescribeResponse.DescribedGroup
        {
            GroupId = groupId,
            GroupState = group.StateName,
            GroupEpoch = group.GroupEpoch,
            AssignmentEpoch = group.AssignmentEpoch,
            AssignorName = group.PreferredServerAssignor(_options.ConsumerGroupAssignors[0]),
            AuthorizedOperations = includeAuthorizedOperations ? GroupAuthorizedOperations : int.MinValue,
        };
        foreach (ConsumerGroupMember member in group.Members.Values.OrderBy(m => m.MemberId, StringComparer.Ordinal))
        {
            described.Members.Add(new ConsumerGroupDescribeResponse.Member
            {
                MemberId = member.MemberId,
                InstanceId = member.InstanceId,
                RackId = member.RackId,
                MemberEpoch = member.MemberEpoch,
                ClientId = member.ClientId,
                ClientHost = member.ClientHost,
                SubscribedTopicNames = [.. member.SubscribedTopicNames],
                SubscribedTopicRegex = member.SubscribedTopicRegex,
                Assignment = DescribeAssignment(image, member.AssignedPartitions),
                TargetAssignment = DescribeAssignment(image, group.TargetOf(member.MemberId)),
            });
        }

        return described;
    }

    private static ConsumerGroupDescribeResponse.Assignment DescribeAssignment(MetadataImage image, Assignment assignment)
    {
        var described = new ConsumerGroupDescribeResponse.Assignment();
        foreach (Guid topicId in assignment.TopicIds.Order())
        {
            described.TopicPartitions.Add(new ConsumerGroupDescribeResponse.TopicPartitions
            {
                TopicId = topicId,
                TopicName = image.GetTopic(topicId)?.Name ?? "",
                Partitions = [.. assignment.Partitions(topicId)],
            });
        }

        return described;
    }

    private static string ConsumerSessionKey(string groupId, string memberId) => $"consumer-session/{groupId}/{memberId}";

    private static string ConsumerRebalanceKey(string groupId, string memberId) => $"consumer-rebalance/{groupId}/{memberId}";

    /// <summary>Kafka's throwIfConsumerGroupHeartbeatRequestIsInvalid.</summary>
    private void ValidateConsumerHeartbeat(GroupRequestContext context, ConsumerGroupHeartbeatRequest request)
    {
        if (request.GroupId.Length == 0)
        {
            throw new GroupCoordinatorException(ErrorCode.InvalidRequest, "GroupId can't be empty.");
        }

        if (request.InstanceId is { Length: 0 })
        {
            throw new GroupCoordinatorException(ErrorCode.InvalidRequest, "InstanceId can't be empty.");
        }

        if (request.RackId is { Length: 0 })
        {
            throw new GroupCoordinatorException(ErrorCode.InvalidRequest, "RackId can't be empty.");
        }

        if (request.MemberEpoch < ConsumerGroupMember.LeaveGroupStaticMemberEpoch)
        {
            throw new GroupCoordinatorException(ErrorCode.InvalidRequest, "MemberEpoch is invalid.");
        }

        if (request.MemberEpoch != 0 && request.MemberId.Length == 0)
        {
            throw new GroupCoordinatorException(ErrorCode.InvalidRequest, "MemberId can't be empty.");
        }

        if (request.MemberEpoch == 0)
        {
            if (request.RebalanceTimeoutMs == -1)
            {
                throw new GroupCoordinatorException(ErrorCode.InvalidRequest, "RebalanceTimeoutMs must be provided in first request.");
            }

            if (request.TopicPartitions is not { Count: 0 })
            {
                throw new GroupCoordinatorException(ErrorCode.InvalidRequest, "TopicPartitions must be empty when (re-)joining.");
            }

            if (request.SubscribedTopicNames is null && request.SubscribedTopicRegex is null)
            {
                throw new GroupCoordinatorException(ErrorCode.InvalidRequest, "SubscribedTopicNames or SubscribedTopicRegex must be set in first request.");
            }
        }

        if (request.MemberEpoch == ConsumerGroupMember.LeaveGroupStaticMemberEpoch && request.InstanceId is null)
        {
            throw new GroupCoordinatorException(ErrorCode.InvalidRequest, "InstanceId can't be null.");
        }

        if (request.ServerAssignor is { } assignor && !_options.ConsumerGroupAssignors.Contains(assignor))
        {
            throw new GroupCoordinatorException(ErrorCode.UnsupportedAssignor, $"ServerAssignor {assignor} is not supported. Supported assignors: {string.Join(", ", _options.ConsumerGroupAssignors)}.");
        }

        if (context.ApiVersion >= 1 && request.SubscribedTopicRegex is { Length: > 0 } regex && CompileRegex(regex) is null)
        {
            throw new GroupCoordinatorException(ErrorCode.InvalidRegularExpression, $"SubscribedTopicRegex `{regex}` is not a valid regular expression.");
        }
    }

    private ConsumerGroupHeartbeatResponse ConsumerGroupLeave(ConsumerGroupHeartbeatRequest request)
    {
        if (GetGroup(request.GroupId) is not ConsumerGroup group)
        {
            throw new GroupCoordinatorException(ErrorCode.UnknownMemberId, $"Group {request.GroupId} has no member {request.MemberId}.");
        }

        ConsumerGroupMember member;
        if (request.InstanceId is { } instanceId)
        {
            member = group.StaticMemberId(instanceId) is { } staticId ? group.GetMember(staticId)! : throw new GroupCoordinatorException(ErrorCode.UnknownMemberId, $"Instance id {instanceId} is unknown.");
            if (member.MemberId != request.MemberId)
            {
                throw new GroupCoordinatorException(ErrorCode.FencedInstanceId, $"Static member {request.MemberId} with instance id {instanceId} was fenced by member {member.MemberId}.");
            }
        }
        else
        {
            member = group.GetMember(request.MemberId) ?? throw new GroupCoordinatorException(ErrorCode.UnknownMemberId, $"Member {request.MemberId} is not a member of group {request.GroupId}.");
        }

        if (request.MemberEpoch == ConsumerGroupMember.LeaveGroupStaticMemberEpoch)
        {
            // A static member leaving temporarily keeps its partitions until it returns or its session expires.
            WriteAndReplay(new ConsumerGroupCurrentMemberAssignmentRecord(group.GroupId, member.MemberId, (member with
            {
                MemberEpoch = ConsumerGroupMember.LeaveGroupStaticMemberEpoch,
                PartitionsPendingRevocation = Assignment.Empty,
            }).ToCurrentAssignment()));
            Timers.Cancel(ConsumerRebalanceKey(group.GroupId, member.MemberId));
        }
        else
        {
            FenceConsumerMember(group, member);
        }

        return new ConsumerGroupHeartbeatResponse { MemberId = request.MemberId, MemberEpoch = request.MemberEpoch };
    }

    private ConsumerGroupHeartbeatResponse ConsumerGroupJoinOrHeartbeat(GroupRequestContext context, ConsumerGroupHeartbeatRequest request)
    {
        bool joining = request.MemberEpoch == 0;
        Group? existing = GetGroup(request.GroupId);
        if (existing is ClassicGroup classic && !(joining && classic.IsEmpty && classic.PendingJoinMembers.Count == 0))
        {
            throw new GroupCoordinatorException(ErrorCode.GroupIdNotFound, $"Group {request.GroupId} is not a consumer group.");
        }

        if (existing is null && !joining)
        {
            throw new GroupCoordinatorException(ErrorCode.UnknownMemberId, $"Group {request.GroupId} has no member {request.MemberId}.");
        }

        var group = existing as ConsumerGroup;
        string memberId = request.MemberId.Length == 0 ? NewMemberId("").TrimStart('-') : request.MemberId;
        ConsumerGroupMember? replacedStatic = null;
        ConsumerGroupMember? member = group?.GetMember(memberId);
        if (request.InstanceId is { } instanceId)
        {
            ConsumerGroupMember? current = group?.StaticMemberId(instanceId) is { } staticId ? group.GetMember(staticId) : null;
            if (joining)
            {
                if (current is not null && current.MemberId != memberId)
                {
                    if (current.MemberEpoch != ConsumerGroupMember.LeaveGroupStaticMemberEpoch)
                    {
                        throw new GroupCoordinatorException(ErrorCode.UnreleasedInstanceId, $"Static member {current.MemberId} with instance id {instanceId} is not released yet.");
                    }

                    replacedStatic = current;
                }
            }
            else
            {
                if (member is null || current is null)
                {
                    throw new GroupCoordinatorException(ErrorCode.UnknownMemberId, $"Instance id {instanceId} is unknown.");
                }

                if (current.MemberId != memberId)
                {
                    throw new GroupCoordinatorException(ErrorCode.FencedInstanceId, $"Static member {memberId} with instance id {instanceId} was fenced by member {current.MemberId}.");
                }
            }
        }

        Assignment? owned = request.TopicPartitions is null ? null : Assignment.From(request.TopicPartitions.Select(t => new KeyValuePair<Guid, IEnumerable<int>>(t.TopicId, t.Partitions)));
        if (!joining)
        {
            if (member is null)
            {
                throw new GroupCoordinatorException(ErrorCode.UnknownMemberId, $"Member {memberId} is not a member of group {request.GroupId}.");
            }

            ThrowIfMemberEpochIsInvalid(member, request.MemberEpoch, owned);
        }
        else if (member is null && (group?.Members.Count ?? 0) >= _options.ConsumerGroupMaxSize)
        {
            throw new GroupCoordinatorException(ErrorCode.GroupMaxSizeReached, $"The consumer group has reached its maximum capacity of {_options.ConsumerGroupMaxSize} members.");
        }

        // Validation is over: from here on records are written.
        if (existing is ClassicGroup emptyClassic)
        {
            // An empty classic group (only offsets) becomes a consumer group; its offsets stay.
            if (emptyClassic.GenerationId > 0 || emptyClassic.GroupProtocolType is not null)
            {
                WriteAndReplay(new GroupMetadataRecord(request.GroupId, null));
            }

            _groups.Remove(request.GroupId);
        }

        if (group is null)
        {
            group = ConsumerGroupFor(request.GroupId);
            WriteAndReplay(new ConsumerGroupMetadataRecord(group.GroupId, 0, 0));
        }

        if (replacedStatic is not null)
        {
            member = ReplaceConsumerStaticMember(group, replacedStatic, memberId);
        }

        ConsumerGroupMember before = member ?? ConsumerGroupMember.Create(memberId);
        ConsumerGroupMember updated = before with
        {
            InstanceId = request.InstanceId ?? before.InstanceId,
            RackId = request.RackId ?? before.RackId,
            ClientId = context.ClientId,
            ClientHost = context.ClientHost,
            SubscribedTopicNames = request.SubscribedTopicNames is { } names ? [.. names] : before.SubscribedTopicNames,
            SubscribedTopicRegex = request.SubscribedTopicRegex ?? before.SubscribedTopicRegex,
            RebalanceTimeoutMs = request.RebalanceTimeoutMs != -1 ? request.RebalanceTimeoutMs : before.RebalanceTimeoutMs,
            ServerAssignor = request.ServerAssignor ?? before.ServerAssignor,
        };
        bool bumpEpoch = member is null || !updated.SameSubscription(before);
        if (member is null || !updated.SameMetadata(before))
        {
            WriteAndReplay(new ConsumerGroupMemberMetadataRecord(group.GroupId, memberId, updated.ToMetadata()));
        }

        MetadataImage image = _image();
        long metadataHash = SubscriptionMetadataHash(group, image);
        if (bumpEpoch || metadataHash != group.MetadataHash)
        {
            WriteAndReplay(new ConsumerGroupMetadataRecord(group.GroupId, group.GroupEpoch + 1, metadataHash));
        }

        if (group.GroupEpoch > group.AssignmentEpoch)
        {
            UpdateTargetAssignment(group, image);
        }

        ConsumerGroupMember current2 = group.GetMember(memberId)!;
        ConsumerGroupMember reconciled = CurrentAssignmentBuilder.Build(
            current2,
            group.AssignmentEpoch,
            group.TargetOf(memberId),
            SubscribedTopicIds(current2, image),
            group.CurrentPartitionEpoch,
            owned);
        if (!reconciled.SameAssignmentState(current2))
        {
            WriteAndReplay(new ConsumerGroupCurrentMemberAssignmentRecord(group.GroupId, memberId, reconciled.ToCurrentAssignment()));
        }

        if (reconciled.State == MemberState.UnrevokedPartitions)
        {
            if (!Timers.IsScheduled(ConsumerRebalanceKey(group.GroupId, memberId)) || reconciled.MemberEpoch != current2.MemberEpoch)
            {
                ScheduleConsumerRebalanceTimeout(group.GroupId, memberId, reconciled.MemberEpoch, reconciled.RebalanceTimeoutMs);
            }
        }
        else
        {
            Timers.Cancel(ConsumerRebalanceKey(group.GroupId, memberId));
        }

        ScheduleConsumerSessionTimeout(group.GroupId, memberId);
        var response = new ConsumerGroupHeartbeatResponse
        {
            MemberId = memberId,
            MemberEpoch = reconciled.MemberEpoch,
            HeartbeatIntervalMs = _options.ConsumerGroupHeartbeatIntervalMs,
        };

        // The assignment goes out on a full request (joining, or after an error the client resends
        // everything) and whenever it changed; otherwise the client keeps what it has.
        bool fullRequest = joining || (request.RebalanceTimeoutMs != -1 && (request.SubscribedTopicNames is not null || request.SubscribedTopicRegex is not null) && request.TopicPartitions is not null);
        if (fullRequest || !reconciled.AssignedPartitions.Equals(before.AssignedPartitions))
        {
            response.Assignment = new ConsumerGroupHeartbeatResponse.AssignmentData();
            foreach (Guid topicId in reconciled.AssignedPartitions.TopicIds.Order())
            {
                response.Assignment.TopicPartitions.Add(new ConsumerGroupHeartbeatResponse.TopicPartitions
                {
                    TopicId = topicId,
                    Partitions = [.. reconciled.AssignedPartitions.Partitions(topicId)],
                });
            }
        }

        return response;
    }

    private static void ThrowIfMemberEpochIsInvalid(ConsumerGroupMember member, int receivedEpoch, Assignment? owned)
    {
        if (receivedEpoch > member.MemberEpoch)
        {
            throw new GroupCoordinatorException(ErrorCode.FencedMemberEpoch, $"The consumer group member has a greater member epoch ({receivedEpoch}) than the one known by the group coordinator ({member.MemberEpoch}). The member must abandon all its partitions and rejoin.");
        }

        // The previous epoch is accepted with a subset of the current partitions: the response carrying the bump may have been lost.
        if (receivedEpoch < member.MemberEpoch && (receivedEpoch != member.PreviousMemberEpoch || owned is null || !owned.IsSubsetOf(member.AssignedPartitions)))
        {
            throw new GroupCoordinatorException(ErrorCode.FencedMemberEpoch, $"The consumer group member has a smaller member epoch ({receivedEpoch}) than the one known by the group coordinator ({member.MemberEpoch}). The member must abandon all its partitions and rejoin.");
        }
    }

    /// <summary>A static member returning under a new member id takes over the old one's assignment (no rebalance).</summary>
    private ConsumerGroupMember ReplaceConsumerStaticMember(ConsumerGroup group, ConsumerGroupMember old, string newMemberId)
    {
        Assignment target = group.TargetOf(old.MemberId);
        RemoveConsumerMemberRecords(group, old.MemberId);
        ConsumerGroupMember replacement = old with { MemberId = newMemberId, MemberEpoch = 0, PreviousMemberEpoch = 0, State = MemberState.Stable, PartitionsPendingRevocation = Assignment.Empty };
        WriteAndReplay(new ConsumerGroupMemberMetadataRecord(group.GroupId, newMemberId, replacement.ToMetadata()));
        WriteAndReplay(new ConsumerGroupTargetAssignmentMemberRecord(group.GroupId, newMemberId, target));
        WriteAndReplay(new ConsumerGroupCurrentMemberAssignmentRecord(group.GroupId, newMemberId, replacement.ToCurrentAssignment()));
        return group.GetMember(newMemberId)!;
    }

    private void RemoveConsumerMemberRecords(ConsumerGroup group, string memberId)
    {
        WriteAndReplay(new ConsumerGroupCurrentMemberAssignmentRecord(group.GroupId, memberId, null));
        WriteAndReplay(new ConsumerGroupTargetAssignmentMemberRecord(group.GroupId, memberId, null));
        WriteAndReplay(new ConsumerGroupMemberMetadataRecord(group.GroupId, memberId, null));
        Timers.Cancel(ConsumerSessionKey(group.GroupId, memberId));
        Timers.Cancel(ConsumerRebalanceKey(group.GroupId, memberId));
    }

    /// <summary>Removes a member (left, session expired, revocation timed out) and bumps the group epoch so the others rebalance.</summary>
    private void FenceConsumerMember(ConsumerGroup group, ConsumerGroupMember member)
    {
        RemoveConsumerMemberRecords(group, member.MemberId);
        WriteAndReplay(new ConsumerGroupMetadataRecord(group.GroupId, group.GroupEpoch + 1, SubscriptionMetadataHash(group, _image())));
    }

    private void ScheduleConsumerSessionTimeout(string groupId, string memberId) =>
        Timers.Schedule(ConsumerSessionKey(groupId, memberId), NowMs + _options.ConsumerGroupSessionTimeoutMs, () =>
        {
            if (GetGroup(groupId) is ConsumerGroup group && group.GetMember(memberId) is { } member)
            {
                FenceConsumerMember(group, member);
            }
        });

    private void ScheduleConsumerRebalanceTimeout(string groupId, string memberId, int memberEpoch, int rebalanceTimeoutMs) =>
        Timers.Schedule(ConsumerRebalanceKey(groupId, memberId), NowMs + Math.Max(rebalanceTimeoutMs, 0), () =>
        {
            if (GetGroup(groupId) is ConsumerGroup group && group.GetMember(memberId) is { State: MemberState.UnrevokedPartitions } member && member.MemberEpoch == memberEpoch)
            {
                FenceConsumerMember(group, member);
            }
        });

    /// <summary>Runs the group's assignor and writes the members' new targets, then the new assignment epoch.</summary>
    private void UpdateTargetAssignment(ConsumerGroup group, MetadataImage image)
    {
        var members = new Dictionary<string, AssignmentMember>(StringComparer.Ordinal);
        var counts = new Dictionary<Guid, int>();
        foreach (ConsumerGroupMember member in group.Members.Values)
        {
            HashSet<Guid> topicIds = SubscribedTopicIds(member, image);
            foreach (Guid topicId in topicIds)
            {
                counts[topicId] = image.GetTopic(topicId)!.Partitions.Count;
            }

            members[member.MemberId] = new AssignmentMember(topicIds, member.RackId, group.TargetOf(member.MemberId));
        }

        IConsumerGroupAssignor assignor = ConsumerGroupAssignors.Find(group.PreferredServerAssignor(_options.ConsumerGroupAssignors[0])) ?? UniformAssignor.Instance;
        IReadOnlyDictionary<string, Assignment> assignment = assignor.Assign(new AssignmentSpec(members, counts));
        foreach (string memberId in members.Keys.Order(StringComparer.Ordinal))
        {
            Assignment target = assignment.GetValueOrDefault(memberId) ?? Assignment.Empty;
            if (!target.Equals(group.TargetOf(memberId)) || !group.TargetAssignment.ContainsKey(memberId))
            {
                WriteAndReplay(new ConsumerGroupTargetAssignmentMemberRecord(group.GroupId, memberId, target));
            }
        }

        WriteAndReplay(new ConsumerGroupTargetAssignmentMetadataRecord(group.GroupId, group.GroupEpoch));
    }

    /// <summary>The ids of the existing topics a member subscribes to, by name or by its regular expression.</summary>
    private static HashSet<Guid> SubscribedTopicIds(ConsumerGroupMember member, MetadataImage image)
    {
        var ids = new HashSet<Guid>();
        foreach (string name in member.SubscribedTopicNames)
        {
            if (image.GetTopic(name) is { } topic)
            {
                ids.Add(topic.TopicId);
            }
        }

        if (member.SubscribedTopicRegex is { Length: > 0 } pattern && CompileRegex(pattern) is { } regex)
        {
            foreach (var (name, id) in image.TopicIdsByName)
            {
                if (!name.StartsWith("__", StringComparison.Ordinal) && regex.IsMatch(name))
                {
                    ids.Add(id);
                }
            }
        }

        return ids;
    }

    /// <summary>A hash of the subscribed topics' ids, names and partition counts: a change bumps the group epoch (KIP-1101).</summary>
    private static long SubscriptionMetadataHash(ConsumerGroup group, MetadataImage image)
    {
        var topics = new SortedSet<Guid>();
        foreach (ConsumerGroupMember member in group.Members.Values)
        {
            topics.UnionWith(SubscribedTopicIds(member, image));
        }

        if (topics.Count == 0)
        {
            return 0;
        }

        var hash = new System.IO.Hashing.XxHash64();
        Span<byte> buffer = stackalloc byte[20];
        foreach (Guid topicId in topics)
        {
            TopicImage topic = image.GetTopic(topicId)!;
            topicId.TryWriteBytes(buffer);
            BitConverter.TryWriteBytes(buffer[16..], topic.Partitions.Count);
            hash.Append(buffer);
            hash.Append(System.Text.Encoding.UTF8.GetBytes(topic.Name));
        }

        long value = (long)hash.GetCurrentHashAsUInt64();
        return value == 0 ? 1 : value;
    }

    /// <summary>Kafka matches the whole topic name (RE2J matches()); a pattern that does not compile is null.</summary>
    private static Regex? CompileRegex(string pattern)
    {
        try
        {
            return new Regex($"^(?:{pattern})$", RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
