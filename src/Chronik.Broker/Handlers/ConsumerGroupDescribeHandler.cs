using Chronik.Broker.Groups.Runtime;
using Chronik.Broker.Requests;
using Chronik.Protocol.Messages;

namespace Chronik.Broker.Handlers;

/// <summary>
/// ConsumerGroupDescribe (key 69), v0.
/// Behavior: each consumer (KIP-848) group's state (Empty, Assigning, Reconciling, Stable), group and
/// assignment epochs, assignor, and members with their subscriptions, current and target assignments
/// (topic ids with names). A missing group or a classic one is GROUP_ID_NOT_FOUND. Authorized operations:
/// no authorizer yet, so READ, DELETE and DESCRIBE are reported when asked for.
/// </summary>
public sealed class ConsumerGroupDescribeHandler(GroupCoordinator coordinator) : ApiHandler<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse>
{
    public override ApiKey ApiKey => ApiKey.ConsumerGroupDescribe;

    public override short MinVersion => 0;

    public override short MaxVersion => 0;

    protected override async ValueTask<ConsumerGroupDescribeResponse?> HandleAsync(RequestContext context, ConsumerGroupDescribeRequest request)
    {
        var response = new ConsumerGroupDescribeResponse();
        foreach (string groupId in request.GroupIds)
        {
            response.Groups.Add(await coordinator.ExecuteAsync(
                groupId,
                shard => shard.ConsumerGroupDescribe(groupId, request.IncludeAuthorizedOperations),
                error => new ConsumerGroupDescribeResponse.DescribedGroup { GroupId = groupId, ErrorCode = (short)error }).ConfigureAwait(false));
        }

        return response;
    }
}
