using Chronik.Broker.Groups.Classic;
using Chronik.Broker.Groups.Consumer;
using Chronik.Broker.Coordinators;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Groups;

/// <summary>The classic rebalance protocol: JoinGroup, SyncGroup, Heartbeat, LeaveGroup and their timers.</summary>
public sealed partial class GroupCoordinatorShard
{
    public Task<JoinGroupResponse> JoinGroup(GroupRequestContext context, JoinGroupRequest request)
    {
        var pending = new PendingResponse<JoinGroupResponse>(error => JoinError(context.ApiVersion, error, request.MemberId));
        ErrorCode error = TryJoin(context, request, pending);
        if (error != ErrorCode.None)
        {
            Effects.Respond(pending, JoinError(context.ApiVersion, error, request.MemberId));
        }

        return pending.Task;
    }

    public Task<SyncGroupResponse> SyncGroup(GroupRequestContext context, SyncGroupRequest request)
    {
        var pending = new PendingResponse<SyncGroupResponse>(SyncError);
        ErrorCode error = TrySync(context, request, pending);
        if (error != ErrorCode.None)
        {
            Effects.Respond(pending, SyncError(error));
        }

        return pending.Task;
    }

    public HeartbeatResponse Heartbeat(GroupRequestContext context, HeartbeatRequest request) =>
        new() { ErrorCode = (short)TryHeartbeat(context, request) };

    public LeaveGroupResponse LeaveGroup(GroupRequestContext context, LeaveGroupRequest request)
    {
        List<(string MemberId, string? InstanceId)> leaving = context.ApiVersion >= 3
            ? [.. request.Members.Select(m => (m.MemberId, m.GroupInstanceId))]
            : [(request.MemberId, null)];
        var response = new LeaveGroupResponse();
        if (GetGroup(request.GroupId) is not ClassicGroup group)
        {
            response.ErrorCode = (short)ErrorCode.UnknownMemberId;
            return response;
        }

        if (group.IsDead)
        {
            response.ErrorCode = (short)ErrorCode.CoordinatorNotAvailable;
            return response;
        }

        foreach (var (memberId, instanceId) in leaving)
        {
            ErrorCode error = LeaveOne(group, memberId, instanceId);
            response.Members.Add(new LeaveGroupResponse.MemberResponse { MemberId = memberId, GroupInstanceId = instanceId, ErrorCode = (short)error });
        }

        if (context.ApiVersion < 3)
        {
            response.ErrorCode = response.Members[0].ErrorCode;
            response.Members.Clear();
        }

        return response;
    }

    /// <summary>A JoinGroup answer carrying only an error (no generation, no protocol).</summary>
    public static JoinGroupResponse JoinError(short version, ErrorCode error, string memberId) => new()
    {
        ErrorCode = (short)error,
        GenerationId = -1,
        MemberId = memberId,
        ProtocolType = null,
        ProtocolName = version >= 7 ? null : "",
        Leader = "",
    };

    public static SyncGroupResponse SyncError(ErrorCode error) => new() { ErrorCode = (short)error, Assignment = [] };

    private static string JoinKey(string groupId) => $"join/{groupId}";

    private static string SyncKey(string groupId) => $"sync/{groupId}";

    private static string HeartbeatKey(string groupId, string memberId) => $"heartbeat/{groupId}/{memberId}";

    private ErrorCode TryJoin(GroupRequestContext context, JoinGroupRequest request, PendingResponse<JoinGroupResponse> pending)
    {
        if (request.GroupId.Length == 0)
        {
            return ErrorCode.InvalidGroupId;
        }

        if (request.SessionTimeoutMs < _options.GroupMinSessionTimeoutMs || request.SessionTimeoutMs > _options.GroupMaxSessionTimeoutMs)
        {
            return ErrorCode.InvalidSessionTimeout;
        }

        var protocols = request.Protocols.Select(p => new ClassicProtocol(p.Name, p.Metadata)).ToList();
        if (request.ProtocolType.Length == 0 || protocols.Count == 0)
        {
            return ErrorCode.InconsistentGroupProtocol;
        }

        ClassicGroup group;
        bool created = false;
        switch (GetGroup(request.GroupId))
        {
            case null:
                if (request.MemberId.Length != 0)
                {
                    return ErrorCode.UnknownMemberId;
                }

                group = new ClassicGroup(request.GroupId, NowMs);
                _groups[request.GroupId] = group;
                created = true;
                break;

            case ClassicGroup existing:
                group = existing;
                break;

            case ConsumerGroup consumer when consumer.IsEmpty && request.MemberId.Length == 0:
                // An empty consumer-protocol group becomes a classic group (its offsets stay).
                DeleteConsumerGroupRecords(consumer);
                group = new ClassicGroup(request.GroupId, NowMs);
                _groups[request.GroupId] = group;
                created = true;
                break;

            default:
                return ErrorCode.InconsistentGroupProtocol;
        }

        if (group.IsDead)
        {
            return ErrorCode.CoordinatorNotAvailable;
        }

        ErrorCode result = !group.SupportsProtocols(request.ProtocolType, protocols)
            ? ErrorCode.InconsistentGroupProtocol
            : request.MemberId.Length == 0
                ? JoinNewMember(context, request, group, protocols, pending)
                : JoinExistingMember(context, request, group, protocols, pending);
        if (result != ErrorCode.None && created)
        {
            RemoveIfUnused(group);
        }

        return result;
    }

    private static int RebalanceTimeout(GroupRequestContext context, JoinGroupRequest request) =>
        context.ApiVersion == 0 || request.RebalanceTimeoutMs < 0 ? request.SessionTimeoutMs : request.RebalanceTimeoutMs;

    private ErrorCode JoinNewMember(GroupRequestContext context, JoinGroupRequest request, ClassicGroup group, List<ClassicProtocol> protocols, PendingResponse<JoinGroupResponse> pending)
    {
        string? instanceId = context.ApiVersion >= 5 ? request.GroupInstanceId : null;
        if (group.Members.Count + group.PendingJoinMembers.Count >= _options.GroupMaxSize)
        {
            return ErrorCode.GroupMaxSizeReached;
        }

        string memberId = NewMemberId(instanceId ?? context.ClientId);
        if (instanceId is not null)
        {
            if (group.StaticMemberId(instanceId) is { } oldMemberId)
            {
                ReplaceStaticMember(context, request, group, instanceId, oldMemberId, memberId, protocols, pending);
            }
            else
            {
                AddMemberAndRebalance(context, request, group, memberId, instanceId, protocols, pending);
            }

            return ErrorCode.None;
        }

        if (context.ApiVersion >= 4)
        {
            // KIP-394: the member must come back with this id, so a client that times out does not leave members behind.
            group.AddPendingJoin(memberId);
            Timers.Schedule(HeartbeatKey(group.GroupId, memberId), NowMs + request.SessionTimeoutMs, () => OnClassicHeartbeatExpired(group.GroupId, memberId));
            Effects.Respond(pending, JoinError(context.ApiVersion, ErrorCode.MemberIdRequired, memberId));
            return ErrorCode.None;
        }

        AddMemberAndRebalance(context, request, group, memberId, null, protocols, pending);
        return ErrorCode.None;
    }

    private ErrorCode JoinExistingMember(GroupRequestContext context, JoinGroupRequest request, ClassicGroup group, List<ClassicProtocol> protocols, PendingResponse<JoinGroupResponse> pending)
    {
        string memberId = request.MemberId;
        string? instanceId = context.ApiVersion >= 5 ? request.GroupInstanceId : null;
        if (group.IsPendingJoin(memberId))
        {
            AddMemberAndRebalance(context, request, group, memberId, instanceId, protocols, pending);
            return ErrorCode.None;
        }

        ErrorCode memberError = ValidateMember(group, memberId, instanceId);
        if (memberError != ErrorCode.None)
        {
            return memberError;
        }

        ClassicGroupMember member = group.GetMember(memberId)!;
        switch (group.State)
        {
            case ClassicGroupState.PreparingRebalance:
                UpdateMemberAndRebalance(context, request, group, member, protocols, pending);
                return ErrorCode.None;

            case ClassicGroupState.CompletingRebalance:
                if (member.Matches(protocols))
                {
                    // The member lost the join response: it gets the current generation again.
                    Effects.Respond(pending, CurrentGenerationJoinResponse(context.ApiVersion, group, member.MemberId));
                }
                else
                {
                    UpdateMemberAndRebalance(context, request, group, member, protocols, pending);
                }

                return ErrorCode.None;

            case ClassicGroupState.Stable:
                // A join from the leader always rebalances: it may have seen metadata changes the members' subscriptions do not show.
                if (group.IsLeader(memberId) || !member.Matches(protocols))
                {
                    UpdateMemberAndRebalance(context, request, group, member, protocols, pending);
                }
                else
                {
                    Effects.Respond(pending, CurrentGenerationJoinResponse(context.ApiVersion, group, member.MemberId));
                }

                return ErrorCode.None;

            default:
                return ErrorCode.UnknownMemberId;
        }
    }

    /// <summary>Kafka's validateMember: a static member must present the member id its instance id maps to (KIP-345).</summary>
    private static ErrorCode ValidateMember(ClassicGroup group, string memberId, string? instanceId)
    {
        if (instanceId is not null)
        {
            string? current = group.StaticMemberId(instanceId);
            if (current is null)
            {
                return ErrorCode.UnknownMemberId;
            }

            if (current != memberId)
            {
                return ErrorCode.FencedInstanceId;
            }
        }

        return group.HasMember(memberId) ? ErrorCode.None : ErrorCode.UnknownMemberId;
    }

    private JoinGroupResponse CurrentGenerationJoinResponse(short version, ClassicGroup group, string memberId) => Versioned(version, new JoinGroupResponse
    {
        MemberId = memberId,
        GenerationId = group.GenerationId,
        ProtocolType = group.GroupProtocolType,
        ProtocolName = group.ProtocolName,
        Leader = group.LeaderId ?? "",
        Members = group.IsLeader(memberId) ? group.LeaderMemberList() : [],
    });

    /// <summary>Before JoinGroup v7 the protocol name is not nullable: a missing one is "" (Kafka's NoProtocol).</summary>
    private static JoinGroupResponse Versioned(short version, JoinGroupResponse response)
    {
        if (version < 7)
        {
            response.ProtocolName ??= "";
        }

        return response;
    }

    private void AddMemberAndRebalance(GroupRequestContext context, JoinGroupRequest request, ClassicGroup group, string memberId, string? instanceId, List<ClassicProtocol> protocols, PendingResponse<JoinGroupResponse> pending)
    {
        var member = new ClassicGroupMember(
            memberId,
            instanceId,
            context.ClientId,
            context.ClientHost,
            RebalanceTimeout(context, request),
            request.SessionTimeoutMs,
            request.ProtocolType,
            protocols,
            group.NextJoinSequence())
        {
            IsNew = true,
            AwaitingJoin = pending,
            AwaitingJoinVersion = context.ApiVersion,
        };
        if (group.State == ClassicGroupState.PreparingRebalance && group.PreviousState == ClassicGroupState.Empty)
        {
            group.NewMemberAdded = true;
        }

        group.Add(member);
        ScheduleClassicHeartbeat(group, member);
        MaybePrepareRebalanceOrCompleteJoin(group);
    }

    private void UpdateMemberAndRebalance(GroupRequestContext context, JoinGroupRequest request, ClassicGroup group, ClassicGroupMember member, List<ClassicProtocol> protocols, PendingResponse<JoinGroupResponse> pending)
    {
        member.Protocols = protocols;
        member.RebalanceTimeoutMs = RebalanceTimeout(context, request);
        member.SessionTimeoutMs = request.SessionTimeoutMs;
        SetAwaitingJoin(member, pending, context.ApiVersion);
        MaybePrepareRebalanceOrCompleteJoin(group);
    }

    /// <summary>
    /// A member's new JoinGroup replaces its older waiting one, which must still be answered: the
    /// connection sends responses in request order and would otherwise stall behind it.
    /// </summary>
    private void SetAwaitingJoin(ClassicGroupMember member, PendingResponse<JoinGroupResponse> pending, short version)
    {
        if (member.AwaitingJoin is { } previous && previous != pending)
        {
            Effects.Respond(previous, JoinError(member.AwaitingJoinVersion, ErrorCode.RebalanceInProgress, member.MemberId));
        }

        member.AwaitingJoin = pending;
        member.AwaitingJoinVersion = version;
    }

    /// <summary>
    /// KIP-345: a static member rejoining with an unknown member id takes over its old identity. In a
    /// stable group with unchanged protocols nothing rebalances: the group is stored with the new id and
    /// the member gets the current generation back (v9+ tells a rejoining leader to skip the assignment).
    /// </summary>
    private void ReplaceStaticMember(GroupRequestContext context, JoinGroupRequest request, ClassicGroup group, string instanceId, string oldMemberId, string newMemberId, List<ClassicProtocol> protocols, PendingResponse<JoinGroupResponse> pending)
    {
        ClassicGroupMember old = group.GetMember(oldMemberId)!;
        if (old.AwaitingJoin is { } oldJoin)
        {
            Effects.Respond(oldJoin, JoinError(old.AwaitingJoinVersion, ErrorCode.FencedInstanceId, oldMemberId));
            old.AwaitingJoin = null;
        }

        if (old.AwaitingSync is { } oldSync)
        {
            Effects.Respond(oldSync, SyncError(ErrorCode.FencedInstanceId));
            old.AwaitingSync = null;
        }

        Timers.Cancel(HeartbeatKey(group.GroupId, oldMemberId));
        bool wasLeader = group.IsLeader(oldMemberId);
        ClassicGroupMember member = group.ReplaceStaticMember(instanceId, oldMemberId, newMemberId);
        member.Protocols = protocols;
        member.RebalanceTimeoutMs = RebalanceTimeout(context, request);
        member.SessionTimeoutMs = request.SessionTimeoutMs;
        ScheduleClassicHeartbeat(group, member);
        switch (group.State)
        {
            case ClassicGroupState.Stable when group.SelectProtocol() == group.ProtocolName:
                Effects.Append(group.ToRecord());
                bool skipAssignment = context.ApiVersion >= 9 && wasLeader;
                Effects.Respond(pending, Versioned(context.ApiVersion, new JoinGroupResponse
                {
                    MemberId = newMemberId,
                    GenerationId = group.GenerationId,
                    ProtocolType = group.GroupProtocolType,
                    ProtocolName = group.ProtocolName,
                    // Before v9 a replaced leader must not run the assignment again: it is told the old leader id.
                    Leader = wasLeader && !skipAssignment ? oldMemberId : group.LeaderId ?? "",
                    Members = skipAssignment ? group.LeaderMemberList() : [],
                    SkipAssignment = skipAssignment,
                }));
                break;

            case ClassicGroupState.Stable:
            case ClassicGroupState.CompletingRebalance:
                // After the join phase the leader may already assign to the old id: rebalance.
                SetAwaitingJoin(member, pending, context.ApiVersion);
                PrepareRebalance(group);
                break;

            default:
                SetAwaitingJoin(member, pending, context.ApiVersion);
                MaybeCompleteJoin(group);
                break;
        }
    }

    private void MaybePrepareRebalanceOrCompleteJoin(ClassicGroup group)
    {
        if (group.CanRebalance)
        {
            PrepareRebalance(group);
        }
        else
        {
            MaybeCompleteJoin(group);
        }
    }

    /// <summary>The join phase ends early once everybody rejoined — except the initial one, which waits out its delay.</summary>
    private void MaybeCompleteJoin(ClassicGroup group)
    {
        if (group.State == ClassicGroupState.PreparingRebalance && group.HasAllMembersJoined && group.PreviousState != ClassicGroupState.Empty)
        {
            CompleteJoin(group);
        }
    }

    private void PrepareRebalance(ClassicGroup group)
    {
        if (group.State == ClassicGroupState.CompletingRebalance)
        {
            ResetAssignments(group, ErrorCode.RebalanceInProgress);
        }

        Timers.Cancel(SyncKey(group.GroupId));
        bool initial = group.State == ClassicGroupState.Empty;
        string groupId = group.GroupId;
        group.TransitionTo(ClassicGroupState.PreparingRebalance, NowMs);
        if (initial)
        {
            // group.initial.rebalance.delay.ms: wait for more members, extended while they keep coming, up to the rebalance timeout.
            int delay = _options.GroupInitialRebalanceDelayMs;
            int remaining = Math.Max(group.RebalanceTimeoutMs - delay, 0);
            Timers.Schedule(JoinKey(groupId), NowMs + delay, () => TryCompleteInitialRebalance(groupId, remaining));
            return;
        }

        Timers.Schedule(JoinKey(groupId), NowMs + group.RebalanceTimeoutMs, () => OnJoinTimeout(groupId));
        MaybeCompleteJoin(group);
    }

    private void TryCompleteInitialRebalance(string groupId, int remaining)
    {
        if (GetGroup(groupId) is not ClassicGroup { State: ClassicGroupState.PreparingRebalance } group)
        {
            return;
        }

        if (group.NewMemberAdded && remaining != 0)
        {
            group.NewMemberAdded = false;
            int delay = Math.Min(_options.GroupInitialRebalanceDelayMs, remaining);
            int nextRemaining = Math.Max(remaining - _options.GroupInitialRebalanceDelayMs, 0);
            Timers.Schedule(JoinKey(groupId), NowMs + delay, () => TryCompleteInitialRebalance(groupId, nextRemaining));
            return;
        }

        CompleteJoin(group);
    }

    private void OnJoinTimeout(string groupId)
    {
        if (GetGroup(groupId) is ClassicGroup { State: ClassicGroupState.PreparingRebalance } group)
        {
            CompleteJoin(group);
        }
    }

    /// <summary>
    /// Ends the join phase: members that did not rejoin are removed, the generation advances, the leader
    /// gets every member's metadata, and everyone must SyncGroup within the rebalance timeout.
    /// </summary>
    private void CompleteJoin(ClassicGroup group)
    {
        Timers.Cancel(JoinKey(group.GroupId));
        foreach (ClassicGroupMember missing in group.Members.Values.Where(m => !m.IsAwaitingJoin).ToList())
        {
            Timers.Cancel(HeartbeatKey(group.GroupId, missing.MemberId));
            if (missing.AwaitingSync is { } sync)
            {
                Effects.Respond(sync, SyncError(ErrorCode.UnknownMemberId));
                missing.AwaitingSync = null;
            }

            group.Remove(missing.MemberId);
        }

        group.GenerationId++;
        group.ClearPendingSync();
        if (group.Members.Count == 0)
        {
            group.ProtocolName = null;
            group.TransitionTo(ClassicGroupState.Empty, NowMs);
            Effects.Append(group.ToRecord());
            return;
        }

        group.ProtocolName = group.SelectProtocol();
        group.TransitionTo(ClassicGroupState.CompletingRebalance, NowMs);
        foreach (ClassicGroupMember member in group.Members.Values.OrderBy(m => m.JoinSequence))
        {
            PendingResponse<JoinGroupResponse> join = member.AwaitingJoin!;
            Effects.Respond(join, CurrentGenerationJoinResponse(member.AwaitingJoinVersion, group, member.MemberId));
            member.AwaitingJoin = null;
            member.IsNew = false;
            group.AddPendingSync(member.MemberId);
            ScheduleClassicHeartbeat(group, member);
        }

        string groupId = group.GroupId;
        int generation = group.GenerationId;
        Timers.Schedule(SyncKey(groupId), NowMs + group.RebalanceTimeoutMs, () => ExpirePendingSync(groupId, generation));
    }

    /// <summary>Members that got the join response but never synced within the rebalance timeout are removed.</summary>
    private void ExpirePendingSync(string groupId, int generation)
    {
        if (GetGroup(groupId) is not ClassicGroup group || group.GenerationId != generation
            || group.State is not (ClassicGroupState.CompletingRebalance or ClassicGroupState.Stable) || group.PendingSyncMembers.Count == 0)
        {
            return;
        }

        foreach (string memberId in group.PendingSyncMembers.ToList())
        {
            Timers.Cancel(HeartbeatKey(groupId, memberId));
            group.Remove(memberId);
        }

        PrepareRebalance(group);
    }

    private void ResetAssignments(ClassicGroup group, ErrorCode error)
    {
        foreach (ClassicGroupMember member in group.Members.Values)
        {
            member.Assignment = [];
            if (member.AwaitingSync is { } sync)
            {
                Effects.Respond(sync, SyncError(error));
                member.AwaitingSync = null;
                ScheduleClassicHeartbeat(group, member);
            }
        }
    }

    private void ScheduleClassicHeartbeat(ClassicGroup group, ClassicGroupMember member)
    {
        string groupId = group.GroupId;
        string memberId = member.MemberId;
        int timeout = member.IsNew ? NewMemberJoinTimeoutMs : member.SessionTimeoutMs;
        Timers.Schedule(HeartbeatKey(groupId, memberId), NowMs + timeout, () => OnClassicHeartbeatExpired(groupId, memberId));
    }

    private void OnClassicHeartbeatExpired(string groupId, string memberId)
    {
        if (GetGroup(groupId) is not ClassicGroup group || group.IsDead)
        {
            return;
        }

        if (group.RemovePendingJoin(memberId))
        {
            MaybeCompleteJoin(group);
            return;
        }

        if (group.GetMember(memberId) is { } member && !member.HasSatisfiedHeartbeat)
        {
            RemoveMemberAndUpdateGroup(group, member);
        }
    }

    private void RemoveMemberAndUpdateGroup(ClassicGroup group, ClassicGroupMember member)
    {
        if (member.AwaitingJoin is { } join)
        {
            // The client may still be there: UNKNOWN_MEMBER_ID makes it join again.
            Effects.Respond(join, JoinError(member.AwaitingJoinVersion, ErrorCode.UnknownMemberId, member.MemberId));
            member.AwaitingJoin = null;
        }

        if (member.AwaitingSync is { } sync)
        {
            Effects.Respond(sync, SyncError(ErrorCode.UnknownMemberId));
            member.AwaitingSync = null;
        }

        Timers.Cancel(HeartbeatKey(group.GroupId, member.MemberId));
        group.Remove(member.MemberId);
        switch (group.State)
        {
            case ClassicGroupState.Stable or ClassicGroupState.CompletingRebalance:
                PrepareRebalance(group);
                break;
            case ClassicGroupState.PreparingRebalance:
                MaybeCompleteJoin(group);
                break;
        }
    }

    private ErrorCode LeaveOne(ClassicGroup group, string memberId, string? instanceId)
    {
        if (instanceId is not null)
        {
            string? current = group.StaticMemberId(instanceId);
            if (current is null)
            {
                return ErrorCode.UnknownMemberId;
            }

            if (memberId.Length != 0 && memberId != current)
            {
                return ErrorCode.FencedInstanceId;
            }

            RemoveMemberAndUpdateGroup(group, group.GetMember(current)!);
            return ErrorCode.None;
        }

        if (group.RemovePendingJoin(memberId))
        {
            Timers.Cancel(HeartbeatKey(group.GroupId, memberId));
            MaybeCompleteJoin(group);
            return ErrorCode.None;
        }

        if (group.GetMember(memberId) is not { } member)
        {
            return ErrorCode.UnknownMemberId;
        }

        RemoveMemberAndUpdateGroup(group, member);
        return ErrorCode.None;
    }

    private ErrorCode TrySync(GroupRequestContext context, SyncGroupRequest request, PendingResponse<SyncGroupResponse> pending)
    {
        if (GetGroup(request.GroupId) is not ClassicGroup group)
        {
            return ErrorCode.UnknownMemberId;
        }

        if (group.IsDead)
        {
            return ErrorCode.CoordinatorNotAvailable;
        }

        ErrorCode memberError = ValidateMember(group, request.MemberId, context.ApiVersion >= 3 ? request.GroupInstanceId : null);
        if (memberError != ErrorCode.None)
        {
            return memberError;
        }

        if (request.GenerationId != group.GenerationId)
        {
            return ErrorCode.IllegalGeneration;
        }

        // KIP-559: v5 clients send the protocol type and name; they must match the group's.
        if ((request.ProtocolType is { } type && type != group.GroupProtocolType) || (request.ProtocolName is { } name && name != group.ProtocolName))
        {
            return ErrorCode.InconsistentGroupProtocol;
        }

        ClassicGroupMember member = group.GetMember(request.MemberId)!;
        switch (group.State)
        {
            case ClassicGroupState.PreparingRebalance:
                return ErrorCode.RebalanceInProgress;

            case ClassicGroupState.CompletingRebalance:
                group.RemovePendingSync(member.MemberId);
                if (member.AwaitingSync is { } previous && previous != pending)
                {
                    Effects.Respond(previous, SyncError(ErrorCode.RebalanceInProgress));
                }

                member.AwaitingSync = pending;
                ScheduleClassicHeartbeat(group, member);
                if (group.IsLeader(member.MemberId))
                {
                    CompleteSync(group, request);
                }

                return ErrorCode.None;

            case ClassicGroupState.Stable:
                group.RemovePendingSync(member.MemberId);
                ScheduleClassicHeartbeat(group, member);
                Effects.Respond(pending, SyncResponse(group, member));
                if (group.PendingSyncMembers.Count == 0)
                {
                    Timers.Cancel(SyncKey(group.GroupId));
                }

                return ErrorCode.None;

            default:
                return ErrorCode.UnknownMemberId;
        }
    }

    /// <summary>The leader's assignment: stored with the group, then every waiting member gets its part.</summary>
    private void CompleteSync(ClassicGroup group, SyncGroupRequest request)
    {
        var assignments = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (SyncGroupRequest.SyncGroupRequestAssignment assignment in request.Assignments)
        {
            assignments[assignment.MemberId] = assignment.Assignment;
        }

        foreach (ClassicGroupMember member in group.Members.Values)
        {
            member.Assignment = assignments.GetValueOrDefault(member.MemberId) ?? [];
        }

        Effects.Append(group.ToRecord());
        group.TransitionTo(ClassicGroupState.Stable, NowMs);
        foreach (ClassicGroupMember member in group.Members.Values)
        {
            if (member.AwaitingSync is { } sync)
            {
                Effects.Respond(sync, SyncResponse(group, member));
                member.AwaitingSync = null;
            }
        }

        if (group.PendingSyncMembers.Count == 0)
        {
            Timers.Cancel(SyncKey(group.GroupId));
        }
    }

    private static SyncGroupResponse SyncResponse(ClassicGroup group, ClassicGroupMember member) => new()
    {
        Assignment = member.Assignment,
        ProtocolType = group.GroupProtocolType,
        ProtocolName = group.ProtocolName,
    };

    private ErrorCode TryHeartbeat(GroupRequestContext context, HeartbeatRequest request)
    {
        if (GetGroup(request.GroupId) is not ClassicGroup group)
        {
            return ErrorCode.UnknownMemberId;
        }

        if (group.IsDead)
        {
            return ErrorCode.CoordinatorNotAvailable;
        }

        ErrorCode memberError = ValidateMember(group, request.MemberId, context.ApiVersion >= 3 ? request.GroupInstanceId : null);
        if (memberError != ErrorCode.None)
        {
            return memberError;
        }

        if (request.GenerationId != group.GenerationId)
        {
            return ErrorCode.IllegalGeneration;
        }

        ClassicGroupMember member = group.GetMember(request.MemberId)!;
        switch (group.State)
        {
            case ClassicGroupState.PreparingRebalance:
                ScheduleClassicHeartbeat(group, member);
                return ErrorCode.RebalanceInProgress;
            case ClassicGroupState.CompletingRebalance or ClassicGroupState.Stable:
                ScheduleClassicHeartbeat(group, member);
                return ErrorCode.None;
            default:
                return ErrorCode.UnknownMemberId;
        }
    }
}
