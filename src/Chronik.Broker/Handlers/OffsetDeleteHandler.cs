using Chronik.Broker.Groups.Runtime;
using Chronik.Broker.Requests;
using Chronik.Protocol.Messages;

namespace Chronik.Broker.Handlers;

/// <summary>
/// OffsetDelete (key 47), v0.
/// Behavior: deletes committed offsets of a group (KIP-496): refused per partition with
/// GROUP_SUBSCRIBED_TO_TOPIC while a member subscribes to the topic; a non-empty classic group of
/// another protocol type than "consumer" cannot tell its topics and is NON_EMPTY_GROUP; an unknown group
/// is GROUP_ID_NOT_FOUND. Partitions without offsets succeed.
/// </summary>
public sealed class OffsetDeleteHandler(GroupCoordinator coordinator) : ApiHandler<OffsetDeleteRequest, OffsetDeleteResponse>
{
    public override ApiKey ApiKey => ApiKey.OffsetDelete;

    public override short MinVersion => 0;

    public override short MaxVersion => 0;

    protected override async ValueTask<OffsetDeleteResponse?> HandleAsync(RequestContext context, OffsetDeleteRequest request) =>
        await coordinator.ExecuteAsync(
            request.GroupId,
            shard => shard.OffsetDelete(request),
            error => new OffsetDeleteResponse { ErrorCode = (short)error }).ConfigureAwait(false);
}
