using Chronik.Broker.Groups.Runtime;
using Chronik.Broker.Requests;
using Chronik.Protocol.Messages;

namespace Chronik.Broker.Handlers;

/// <summary>
/// DescribeGroups (key 15), v0-5.
/// Behavior: each classic group's state, protocol type, and members (member id, group.instance.id, client
/// id, client host); protocol name, member metadata and assignments only when Stable, as Kafka. A group
/// that does not exist — or uses the consumer protocol, which ConsumerGroupDescribe describes — is
/// "Dead" without error. Each group is answered by its own coordinator partition (NOT_COORDINATOR,
/// COORDINATOR_LOAD_IN_PROGRESS per group). Authorized operations: no authorizer yet, so READ, DELETE
/// and DESCRIBE are reported when asked for.
/// Version notes: v1 throttle time; v3 authorized operations (KIP-430); v4 group.instance.id (KIP-345);
/// v5 flexible.
/// </summary>
public sealed class DescribeGroupsHandler(GroupCoordinator coordinator) : ApiHandler<DescribeGroupsRequest, DescribeGroupsResponse>
{
    public override ApiKey ApiKey => ApiKey.DescribeGroups;

    public override short MinVersion => 0;

    public override short MaxVersion => 5;

    protected override async ValueTask<DescribeGroupsResponse?> HandleAsync(RequestContext context, DescribeGroupsRequest request)
    {
        bool includeOperations = context.ApiVersion >= 3 && request.IncludeAuthorizedOperations;
        var response = new DescribeGroupsResponse();
        foreach (string groupId in request.Groups)
        {
            response.Groups.Add(await coordinator.ExecuteAsync(
                groupId,
                shard => shard.DescribeGroup(groupId, includeOperations),
                error => new DescribeGroupsResponse.DescribedGroup { GroupId = groupId, ErrorCode = (short)error }).ConfigureAwait(false));
        }

        return response;
    }
}
