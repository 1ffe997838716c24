using Chronik.Broker.Groups;
using Chronik.Broker.Groups.Runtime;
using Chronik.Broker.Requests;
using Chronik.Protocol.Messages;

namespace Chronik.Broker.Handlers;

/// <summary>
/// ConsumerGroupHeartbeat (key 68), v0-1.
/// Behavior: the KIP-848 consumer group protocol as Kafka 4.x serves it: members join with epoch 0,
/// heartbeat with their epoch and owned partitions, and leave with -1 (static members: -2 keeps their
/// partitions until they return or their session expires). Every membership or subscription change bumps
/// the group epoch; the target assignment is computed on the broker by the member-selected server
/// assignor (uniform by default, or range); each member is reconciled towards it, revoking before new
/// partitions are handed out. group.consumer.session.timeout.ms fences silent members; a member that does
/// not revoke within its rebalance timeout is fenced. Errors: UNKNOWN_MEMBER_ID, FENCED_MEMBER_EPOCH,
/// FENCED_INSTANCE_ID, UNRELEASED_INSTANCE_ID, UNSUPPORTED_ASSIGNOR, GROUP_MAX_SIZE_REACHED,
/// INVALID_REQUEST, INVALID_REGULAR_EXPRESSION, GROUP_ID_NOT_FOUND (a non-empty classic group of that id:
/// online migration between protocols is not supported), NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS.
/// Regular expressions are matched against the topics of the current metadata on each heartbeat (full
/// match, .NET syntax standing in for RE2J); their resolutions are not written to __consumer_offsets.
/// Version notes: v1 SubscribedTopicRegex (KIP-848) and client-generated member ids (KIP-1082); a
/// member without an id still gets one from the broker.
/// </summary>
public sealed class ConsumerGroupHeartbeatHandler(GroupCoordinator coordinator) : ApiHandler<ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse>
{
    public override ApiKey ApiKey => ApiKey.ConsumerGroupHeartbeat;

    public override short MinVersion => 0;

    public override short MaxVersion => 1;

    protected override async ValueTask<ConsumerGroupHeartbeatResponse?> HandleAsync(RequestContext context, ConsumerGroupHeartbeatRequest request)
    {
        GroupRequestContext groupContext = context.ForGroups();
        return await coordinator.ExecuteAsync(
            request.GroupId,
            shard => shard.ConsumerGroupHeartbeat(groupContext, request),
            error => new ConsumerGroupHeartbeatResponse { ErrorCode = (short)error, MemberId = request.MemberId, MemberEpoch = request.MemberEpoch }).ConfigureAwait(false);
    }
}
