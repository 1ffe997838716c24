using Chronik.Broker.Groups;
using Chronik.Broker.Groups.Runtime;
using Chronik.Broker.Requests;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Handlers;

/// <summary>
/// OffsetCommit (key 8), v0-9.
/// Behavior: stores offsets with their leader epoch and metadata in __consumer_offsets (offset commit key
/// v1 / value v3, or v1 with an expire timestamp) and answers once they are durable. Members are fenced
/// as Kafka does: classic groups by generation and member id (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID,
/// FENCED_INSTANCE_ID, REBALANCE_IN_PROGRESS while completing a rebalance), consumer groups by member
/// epoch (STALE_MEMBER_EPOCH, FENCED_MEMBER_EPOCH). A commit without generation creates a simple group.
/// Metadata longer than offset.metadata.max.bytes is OFFSET_METADATA_TOO_LARGE. Topics are not checked
/// for existence (Kafka neither).
/// Version notes: v1 generation, member id (v1's commit timestamp is ignored: the broker stamps commits);
/// v2-4 retention time (an explicit expire timestamp); v3 throttle time; v5 retention is the broker's
/// offsets.retention.minutes; v6 committed leader epoch (KIP-320); v7 group.instance.id (KIP-345);
/// v8 flexible; v9 consumer-protocol member epochs (KIP-848), GROUP_ID_NOT_FOUND for unknown groups.
/// </summary>
public sealed class OffsetCommitHandler(GroupCoordinator coordinator) : ApiHandler<OffsetCommitRequest, OffsetCommitResponse>
{
    public override ApiKey ApiKey => ApiKey.OffsetCommit;

    public override short MinVersion => 0;

    public override short MaxVersion => 9;

    protected override async ValueTask<OffsetCommitResponse?> HandleAsync(RequestContext context, OffsetCommitRequest request)
    {
        GroupRequestContext groupContext = context.ForGroups();
        return await coordinator.ExecuteAsync(
            request.GroupId,
            shard => shard.OffsetCommit(groupContext, request),
            error => Failed(request, error)).ConfigureAwait(false);
    }

    private static OffsetCommitResponse Failed(OffsetCommitRequest request, ErrorCode error)
    {
        var response = new OffsetCommitResponse();
        foreach (OffsetCommitRequest.OffsetCommitRequestTopic topic in request.Topics)
        {
            var failed = new OffsetCommitResponse.OffsetCommitResponseTopic { Name = topic.Name };
            foreach (OffsetCommitRequest.OffsetCommitRequestPartition partition in topic.Partitions)
            {
                failed.Partitions.Add(new OffsetCommitResponse.OffsetCommitResponsePartition { PartitionIndex = partition.PartitionIndex, ErrorCode = (short)error });
            }

            response.Topics.Add(failed);
        }

        return response;
    }
}
