using Chronik.Broker.Groups.Records;

namespace Chronik.Broker.Groups.Consumer;

/// <summary>A member of a consumer (KIP-848) group: subscription, epochs, and current assignment (immutable; updated by replaying records).</summary>
public sealed record ConsumerGroupMember(
    string MemberId,
    string? InstanceId,
    string? RackId,
    string ClientId,
    string ClientHost,
    IReadOnlyList<string> SubscribedTopicNames,
    string? SubscribedTopicRegex,
    int RebalanceTimeoutMs,
    string? ServerAssignor,
    int MemberEpoch,
    int PreviousMemberEpoch,
    MemberState State,
    Assignment AssignedPartitions,
    Assignment PartitionsPendingRevocation)
{
    /// <summary>MemberEpoch of a member leaving the group (ConsumerGroupHeartbeat -1).</summary>
    public const int LeaveGroupMemberEpoch = -1;

    /// <summary>MemberEpoch of a static member leaving temporarily (-2): it keeps its place and assignment.</summary>
    public const int LeaveGroupStaticMemberEpoch = -2;

    public static ConsumerGroupMember Create(string memberId) =>
        new(memberId, null, null, "", "", [], null, -1, null, 0, 0, MemberState.Stable, Assignment.Empty, Assignment.Empty);

    public ConsumerMemberMetadata ToMetadata() =>
        new(InstanceId, RackId, ClientId, ClientHost, SubscribedTopicNames, SubscribedTopicRegex, RebalanceTimeoutMs, ServerAssignor);

    public CurrentMemberAssignment ToCurrentAssignment() =>
        new(MemberEpoch, PreviousMemberEpoch, State, AssignedPartitions, PartitionsPendingRevocation);

    public ConsumerGroupMember WithMetadata(ConsumerMemberMetadata m) => this with
    {
        InstanceId = m.InstanceId,
        RackId = m.RackId,
        ClientId = m.ClientId,
        ClientHost = m.ClientHost,
        SubscribedTopicNames = m.SubscribedTopicNames,
        SubscribedTopicRegex = m.SubscribedTopicRegex,
        RebalanceTimeoutMs = m.RebalanceTimeoutMs,
        ServerAssignor = m.ServerAssignor,
    };

    public ConsumerGroupMember WithCurrentAssignment(CurrentMemberAssignment a) => this with
    {
        MemberEpoch = a.MemberEpoch,
        PreviousMemberEpoch = a.PreviousMemberEpoch,
        State = a.State,
        AssignedPartitions = a.AssignedPartitions,
        PartitionsPendingRevocation = a.PartitionsPendingRevocation,
    };

    /// <summary>Whether the member's subscription (names, regex) equals the other's; the rest does not change the assignment.</summary>
    public bool SameSubscription(ConsumerGroupMember other) =>
        SubscribedTopicRegex == other.SubscribedTopicRegex && SubscribedTopicNames.SequenceEqual(other.SubscribedTopicNames);

    public bool SameMetadata(ConsumerGroupMember other) => ToMetadata() is var a && other.ToMetadata() is var b
        && a.InstanceId == b.InstanceId && a.RackId == b.RackId && a.ClientId == b.ClientId && a.ClientHost == b.ClientHost
        && a.RebalanceTimeoutMs == b.RebalanceTimeoutMs && a.ServerAssignor == b.ServerAssignor && SameSubscription(other);

    public bool SameAssignmentState(ConsumerGroupMember other) =>
        MemberEpoch == other.MemberEpoch && PreviousMemberEpoch == other.PreviousMemberEpoch && State == other.State
        && AssignedPartitions.Equals(other.AssignedPartitions) && PartitionsPendingRevocation.Equals(other.PartitionsPendingRevocation);
}
