using Chronik.Broker.Groups;
using Chronik.Broker.Groups.Runtime;
using Chronik.Broker.Requests;
using Chronik.Protocol.Messages;

namespace Chronik.Broker.Handlers;

/// <summary>
/// Heartbeat (key 12), v0-4.
/// Behavior: keeps a classic member's session alive (its session timeout restarts) and tells it when the
/// group rebalances (REBALANCE_IN_PROGRESS). Errors: UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID,
/// ILLEGAL_GENERATION, NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE.
/// Version notes: v1 throttle time; v3 group.instance.id (KIP-345); v4 flexible.
/// </summary>
public sealed class HeartbeatHandler(GroupCoordinator coordinator) : ApiHandler<HeartbeatRequest, HeartbeatResponse>
{
    public override ApiKey ApiKey => ApiKey.Heartbeat;

    public override short MinVersion => 0;

    public override short MaxVersion => 4;

    protected override async ValueTask<HeartbeatResponse?> HandleAsync(RequestContext context, HeartbeatRequest request)
    {
        GroupRequestContext groupContext = context.ForGroups();
        return await coordinator.ExecuteAsync(
            request.GroupId,
            shard => shard.Heartbeat(groupContext, request),
            error => new HeartbeatResponse { ErrorCode = (short)error }).ConfigureAwait(false);
    }
}
