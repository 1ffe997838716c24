using Chronik.Broker.Groups;
using Chronik.Broker.Groups.Runtime;
using Chronik.Broker.Requests;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Handlers;

/// <summary>
/// JoinGroup (key 11), v0-9.
/// Behavior: the classic group protocol's join phase, as Kafka's group coordinator: the answer waits
/// (long poll) until every known member rejoined or the rebalance timeout passed; a new group first waits
/// group.initial.rebalance.delay.ms for more members. The leader gets every member's metadata. Session
/// timeouts outside group.min/max.session.timeout.ms are INVALID_SESSION_TIMEOUT. Errors from the
/// coordinator: NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE,
/// UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID, INCONSISTENT_GROUP_PROTOCOL, GROUP_MAX_SIZE_REACHED.
/// Version notes: v1 rebalance timeout; v2 throttle time; v4 MEMBER_ID_REQUIRED on the first join
/// without member id (KIP-394); v5 group.instance.id, static membership (KIP-345); v6 flexible; v7
/// protocol type in the response (KIP-559); v8 reason (KIP-800); v9 SkipAssignment for a rejoining
/// static leader (KIP-814).
/// </summary>
public sealed class JoinGroupHandler(GroupCoordinator coordinator) : ApiHandler<JoinGroupRequest, JoinGroupResponse>
{
    public override ApiKey ApiKey => ApiKey.JoinGroup;

    public override short MinVersion => 0;

    public override short MaxVersion => 9;

    protected override async ValueTask<JoinGroupResponse?> HandleAsync(RequestContext context, JoinGroupRequest request)
    {
        GroupRequestContext groupContext = context.ForGroups();
        return await coordinator.ExecuteAsync(
            request.GroupId,
            shard => shard.JoinGroup(groupContext, request),
            error => GroupCoordinatorShard.JoinError(context.ApiVersion, error, request.MemberId)).ConfigureAwait(false);
    }
}
