using Chronik.Broker.Groups.Runtime;
using Chronik.Broker.Requests;
using Chronik.Protocol.Messages;

namespace Chronik.Broker.Handlers;

/// <summary>
/// DeleteGroups (key 42), v0-2.
/// Behavior: deletes empty groups with their committed offsets (tombstones in __consumer_offsets).
/// Errors per group: GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP, INVALID_GROUP_ID, NOT_COORDINATOR,
/// COORDINATOR_LOAD_IN_PROGRESS.
/// Version notes: v1 same as v0; v2 flexible.
/// </summary>
public sealed class DeleteGroupsHandler(GroupCoordinator coordinator) : ApiHandler<DeleteGroupsRequest, DeleteGroupsResponse>
{
    public override ApiKey ApiKey => ApiKey.DeleteGroups;

    public override short MinVersion => 0;

    public override short MaxVersion => 2;

    protected override async ValueTask<DeleteGroupsResponse?> HandleAsync(RequestContext context, DeleteGroupsRequest request)
    {
        var response = new DeleteGroupsResponse();
        foreach (string groupId in request.GroupsNames.Distinct(StringComparer.Ordinal))
        {
            var error = await coordinator.ExecuteAsync(groupId, shard => shard.DeleteGroup(groupId), e => e).ConfigureAwait(false);
            response.Results.Add(new DeleteGroupsResponse.DeletableGroupResult { GroupId = groupId, ErrorCode = (short)error });
        }

        return response;
    }
}
