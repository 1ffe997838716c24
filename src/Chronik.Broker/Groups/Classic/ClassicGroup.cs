using Chronik.Broker.Groups.Records;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Groups.Classic;

/// <summary>
/// A classic group's state (Kafka's ClassicGroup): members, generation, selected protocol, leader,
/// static members (KIP-345), members told MEMBER_ID_REQUIRED (KIP-394) and members yet to sync. The
/// transitions themselves live in <see cref="GroupCoordinatorShard"/>; this class keeps the bookkeeping
/// consistent (leader re-election, static mapping, counts).
/// </summary>
public sealed class ClassicGroup : Group
{
    private readonly Dictionary<string, ClassicGroupMember> _members = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _staticMembers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _pendingJoinMembers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _pendingSyncMembers = new(StringComparer.Ordinal);
    private long _joinSequence;

    public ClassicGroup(string groupId, long nowMs)
        : base(groupId)
    {
        CurrentStateTimestampMs = nowMs;
    }

    public override GroupType Type => GroupType.Classic;

    public ClassicGroupState State { get; private set; } = ClassicGroupState.Empty;

    public ClassicGroupState PreviousState { get; private set; } = ClassicGroupState.Empty;

    /// <summary>When the group entered its current state (offsets of an empty group expire from here).</summary>
    public long CurrentStateTimestampMs { get; private set; }

    public int GenerationId { get; set; }

    /// <summary>The members' protocol type ("consumer" for consumers, "connect" ...); null for a group that only stores offsets.</summary>
    public string? GroupProtocolType { get; set; }

    public string? ProtocolName { get; set; }

    public string? LeaderId { get; private set; }

    /// <summary>A member joined while the initial rebalance delay ran (it is extended once more).</summary>
    public bool NewMemberAdded { get; set; }

    public IReadOnlyDictionary<string, ClassicGroupMember> Members => _members;

    public IReadOnlyCollection<string> PendingJoinMembers => _pendingJoinMembers;

    public IReadOnlyCollection<string> PendingSyncMembers => _pendingSyncMembers;

    public override string StateName => State.ToString();

    public override string ProtocolType => GroupProtocolType ?? "";

    public override bool IsEmpty => State == ClassicGroupState.Empty;

    public override bool IsDead => State == ClassicGroupState.Dead;

    public override long? EmptySinceMs => State == ClassicGroupState.Empty ? CurrentStateTimestampMs : null;

    /// <summary>Members whose JoinGroup is waiting.</summary>
    public int AwaitingJoinCount => _members.Values.Count(m => m.IsAwaitingJoin);

    /// <summary>The largest rebalance timeout of the members: how long the join phase waits.</summary>
    public int RebalanceTimeoutMs => _members.Count == 0 ? 0 : _members.Values.Max(m => m.RebalanceTimeoutMs);

    /// <summary>Every member rejoined and nobody told MEMBER_ID_REQUIRED is still expected.</summary>
    public bool HasAllMembersJoined => _members.Count == AwaitingJoinCount && _pendingJoinMembers.Count == 0;

    public bool IsLeader(string memberId) => LeaderId == memberId;

    public bool HasMember(string memberId) => _members.ContainsKey(memberId);

    public ClassicGroupMember? GetMember(string memberId) => _members.GetValueOrDefault(memberId);

    public string? StaticMemberId(string groupInstanceId) => _staticMembers.GetValueOrDefault(groupInstanceId);

    public bool IsPendingJoin(string memberId) => _pendingJoinMembers.Contains(memberId);

    public void AddPendingJoin(string memberId) => _pendingJoinMembers.Add(memberId);

    public bool RemovePendingJoin(string memberId) => _pendingJoinMembers.Remove(memberId);

    public void AddPendingSync(string memberId) => _pendingSyncMembers.Add(memberId);

    public bool RemovePendingSync(string memberId) => _pendingSyncMembers.Remove(memberId);

    public void ClearPendingSync() => _pendingSyncMembers.Clear();

    public long NextJoinSequence() => ++_joinSequence;

    public bool CanRebalance => State is ClassicGroupState.Stable or ClassicGroupState.CompletingRebalance or ClassicGroupState.Empty;

    public void TransitionTo(ClassicGroupState state, long nowMs)
    {
        PreviousState = State;
        State = state;
        CurrentStateTimestampMs = nowMs;
    }

    public void Add(ClassicGroupMember member)
    {
        if (_members.Count == 0)
        {
            GroupProtocolType = member.ProtocolType;
        }

        _members[member.MemberId] = member;
        LeaderId ??= member.MemberId;
        if (member.GroupInstanceId is { } instanceId)
        {
            _staticMembers[instanceId] = member.MemberId;
        }

        _pendingJoinMembers.Remove(member.MemberId);
    }

    /// <summary>Removes a member: a new leader is chosen (the earliest remaining member) and its static mapping goes.</summary>
    public void Remove(string memberId)
    {
        if (!_members.Remove(memberId, out ClassicGroupMember? member))
        {
            return;
        }

        if (member.GroupInstanceId is { } instanceId && _staticMembers.GetValueOrDefault(instanceId) == memberId)
        {
            _staticMembers.Remove(instanceId);
        }

        _pendingSyncMembers.Remove(memberId);
        if (LeaderId == memberId)
        {
            LeaderId = _members.Count == 0 ? null : _members.Values.MinBy(m => m.JoinSequence)!.MemberId;
        }
    }

    /// <summary>
    /// Gives the static member <paramref name="groupInstanceId"/> a new member id (KIP-345): the member
    /// keeps its assignment and place; the old id is gone (its requests are FENCED_INSTANCE_ID).
    /// </summary>
    public ClassicGroupMember ReplaceStaticMember(string groupInstanceId, string oldMemberId, string newMemberId)
    {
        ClassicGroupMember member = _members[oldMemberId];
        _members.Remove(oldMemberId);
        member.MemberId = newMemberId;
        _members[newMemberId] = member;
        _staticMembers[groupInstanceId] = newMemberId;
        if (LeaderId == oldMemberId)
        {
            LeaderId = newMemberId;
        }

        if (_pendingSyncMembers.Remove(oldMemberId))
        {
            _pendingSyncMembers.Add(newMemberId);
        }

        return member;
    }

    /// <summary>Whether members with these protocols may join (same type, at least one protocol in common with every member).</summary>
    public bool SupportsProtocols(string protocolType, IReadOnlyList<ClassicProtocol> protocols)
    {
        if (_members.Count == 0)
        {
            return protocolType.Length > 0 && protocols.Count > 0;
        }

        if (GroupProtocolType != protocolType)
        {
            return false;
        }

        foreach (ClassicProtocol protocol in protocols)
        {
            if (_members.Values.All(m => m.Metadata(protocol.Name) is not null))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The protocol of the next generation: among the protocols every member supports, each member votes
    /// for its most preferred one; most votes wins (ties to the ordinally first name).
    /// </summary>
    public string SelectProtocol()
    {
        ClassicGroupMember first = _members.Values.MinBy(m => m.JoinSequence)!;
        var candidates = first.Protocols.Select(p => p.Name).Where(name => _members.Values.All(m => m.Metadata(name) is not null)).ToList();
        if (candidates.Count == 0)
        {
            throw new InvalidOperationException($"group {GroupId} has no protocol that all members support");
        }

        var votes = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (ClassicGroupMember member in _members.Values)
        {
            string vote = member.Protocols.First(p => candidates.Contains(p.Name)).Name;
            votes[vote] = votes.GetValueOrDefault(vote) + 1;
        }

        return votes.OrderByDescending(v => v.Value).ThenBy(v => v.Key, StringComparer.Ordinal).First().Key;
    }

    /// <summary>The JoinGroup response's member list for the leader: every member with its metadata for the selected protocol.</summary>
    public List<JoinGroupResponse.JoinGroupResponseMember> LeaderMemberList() =>
        _members.Values.OrderBy(m => m.JoinSequence).Select(m => new JoinGroupResponse.JoinGroupResponseMember
        {
            MemberId = m.MemberId,
            GroupInstanceId = m.GroupInstanceId,
            Metadata = m.Metadata(ProtocolName!) ?? [],
        }).ToList();

    public override bool IsSubscribedTo(string topic)
    {
        if (GroupProtocolType != "consumer" || State == ClassicGroupState.Empty)
        {
            return false;
        }

        foreach (ClassicGroupMember member in _members.Values)
        {
            byte[]? metadata = ProtocolName is null ? member.Protocols.FirstOrDefault()?.Metadata : member.Metadata(ProtocolName);
            if (metadata is null || SubscribedTopics(metadata) is not { } topics || topics.Contains(topic))
            {
                // Unknown subscriptions count as subscribed: refusing to delete is the safe answer.
                return true;
            }
        }

        return false;
    }

    /// <summary>The record persisting this group (members with their subscription and assignment).</summary>
    public GroupMetadataRecord ToRecord() => new(
        GroupId,
        new GroupMetadataValue(
            GroupProtocolType ?? "",
            GenerationId,
            ProtocolName,
            LeaderId,
            CurrentStateTimestampMs,
            _members.Values.OrderBy(m => m.JoinSequence).Select(m => new GroupMemberMetadata(
                m.MemberId,
                m.GroupInstanceId,
                m.ClientId,
                m.ClientHost,
                m.RebalanceTimeoutMs,
                m.SessionTimeoutMs,
                ProtocolName is null ? [] : m.Metadata(ProtocolName) ?? [],
                m.Assignment)).ToList()));

    /// <summary>Rebuilds a group from its record (load): Empty without members, else Stable in the stored generation.</summary>
    public static ClassicGroup FromRecord(string groupId, GroupMetadataValue value, long nowMs)
    {
        var group = new ClassicGroup(groupId, value.CurrentStateTimestamp >= 0 ? value.CurrentStateTimestamp : nowMs)
        {
            GenerationId = value.Generation,
            GroupProtocolType = value.ProtocolType.Length == 0 ? null : value.ProtocolType,
            ProtocolName = value.Protocol,
        };
        foreach (GroupMemberMetadata m in value.Members)
        {
            var member = new ClassicGroupMember(
                m.MemberId,
                m.GroupInstanceId,
                m.ClientId,
                m.ClientHost,
                m.RebalanceTimeoutMs,
                m.SessionTimeoutMs,
                value.ProtocolType,
                [new ClassicProtocol(value.Protocol ?? "", m.Subscription)],
                group.NextJoinSequence())
            {
                Assignment = m.Assignment,
            };
            group.Add(member);
        }

        if (value.Leader is { } leader && group.HasMember(leader))
        {
            group.LeaderId = leader;
        }

        group.State = group._members.Count == 0 ? ClassicGroupState.Empty : ClassicGroupState.Stable;
        return group;
    }

    /// <summary>The topics of a consumer-protocol subscription (ConsumerProtocolSubscription), or null when unreadable.</summary>
    public static IReadOnlyList<string>? SubscribedTopics(byte[] metadata)
    {
        try
        {
            var reader = new KafkaReader(metadata);
            short version = reader.ReadInt16();
            var subscription = new ConsumerProtocolSubscription();
            subscription.Read(ref reader, Math.Clamp(version, ConsumerProtocolSubscription.LowestSupportedVersion, ConsumerProtocolSubscription.HighestSupportedVersion));
            return subscription.Topics;
        }
        catch (MalformedMessageException)
        {
            return null;
        }
    }
}
