using Chronik.Broker.Groups;
using Chronik.Broker.Groups.Runtime;
using Chronik.Broker.Requests;
using Chronik.Protocol.Messages;

namespace Chronik.Broker.Handlers;

/// <summary>
/// LeaveGroup (key 13), v0-5.
/// Behavior: removes classic members at once (no waiting for their session timeout) and rebalances the
/// rest. v3+ removes a batch of members, each by member id or by group.instance.id (KIP-345, used by
/// admin tools to remove static members); each gets its own error (UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID).
/// Version notes: v1 throttle time; v3 batched members (KIP-345); v4 flexible; v5 reason (KIP-800).
/// </summary>
public sealed class LeaveGroupHandler(GroupCoordinator coordinator) : ApiHandler<LeaveGroupRequest, LeaveGroupResponse>
{
    public override ApiKey ApiKey => ApiKey.LeaveGroup;

    public override short MinVersion => 0;

    public override short MaxVersion => 5;

    protected override async ValueTask<LeaveGroupResponse?> HandleAsync(RequestContext context, LeaveGroupRequest request)
    {
        GroupRequestContext groupContext = context.ForGroups();
        return await coordinator.ExecuteAsync(
            request.GroupId,
            shard => shard.LeaveGroup(groupContext, request),
            error => new LeaveGroupResponse { ErrorCode = (short)error }).ConfigureAwait(false);
    }
}
