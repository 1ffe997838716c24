using Chronik.Broker.Groups;
using Chronik.Broker.Groups.Runtime;
using Chronik.Broker.Requests;
using Chronik.Protocol.Messages;

namespace Chronik.Broker.Handlers;

/// <summary>
/// SyncGroup (key 14), v0-5.
/// Behavior: the classic protocol's sync phase: members wait (long poll) for the leader's SyncGroup; its
/// assignment is written to __consumer_offsets with the group and, once durable, every member gets its
/// part and the group is Stable. In a Stable group a member gets its current assignment at once.
/// Errors: UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID, ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS (the group
/// is rebalancing again), INCONSISTENT_GROUP_PROTOCOL (v5 type/name mismatch), NOT_COORDINATOR,
/// COORDINATOR_LOAD_IN_PROGRESS.
/// Version notes: v1 throttle time; v3 group.instance.id (KIP-345); v4 flexible; v5 protocol type and
/// name in request and response (KIP-559).
/// </summary>
public sealed class SyncGroupHandler(GroupCoordinator coordinator) : ApiHandler<SyncGroupRequest, SyncGroupResponse>
{
    public override ApiKey ApiKey => ApiKey.SyncGroup;

    public override short MinVersion => 0;

    public override short MaxVersion => 5;

    protected override async ValueTask<SyncGroupResponse?> HandleAsync(RequestContext context, SyncGroupRequest request)
    {
        GroupRequestContext groupContext = context.ForGroups();
        return await coordinator.ExecuteAsync(
            request.GroupId,
            shard => shard.SyncGroup(groupContext, request),
            GroupCoordinatorShard.SyncError).ConfigureAwait(false);
    }
}
