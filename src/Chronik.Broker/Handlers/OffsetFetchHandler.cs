using Chronik.Broker.Groups.Runtime;
using Chronik.Broker.Requests;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Handlers;

/// <summary>
/// OffsetFetch (key 9), v0-9.
/// Behavior: the committed offset, leader epoch and metadata of each requested partition (-1 / "" when
/// none, also for a group that does not exist), or of every partition the group committed when topics
/// is null (v2+). v8+ asks for several groups at once, each answered by its own coordinator partition
/// with its own error. Consumer-protocol members that name themselves (v9) are checked
/// (UNKNOWN_MEMBER_ID, STALE_MEMBER_EPOCH). RequireStable (v7, KIP-447): a partition with offsets of an
/// unfinished transaction (TxnOffsetCommit before its marker) answers UNSTABLE_OFFSET_COMMIT, which the
/// consumer retries; without it such offsets are simply not visible yet.
/// Version notes: v1 offsets from __consumer_offsets (v0 read ZooKeeper; served the same); v2 null topics
/// = all, top-level error; v3 throttle time; v5 leader epoch (KIP-320); v6 flexible; v7 require_stable
/// (KIP-447); v8 batched groups (KIP-709); v9 member id and epoch (KIP-848).
/// </summary>
public sealed class OffsetFetchHandler(GroupCoordinator coordinator) : ApiHandler<OffsetFetchRequest, OffsetFetchResponse>
{
    public override ApiKey ApiKey => ApiKey.OffsetFetch;

    public override short MinVersion => 0;

    public override short MaxVersion => 9;

    protected override async ValueTask<OffsetFetchResponse?> HandleAsync(RequestContext context, OffsetFetchRequest request)
    {
        if (context.ApiVersion >= 8)
        {
            var response = new OffsetFetchResponse();
            foreach (OffsetFetchRequest.OffsetFetchRequestGroup group in request.Groups)
            {
                IReadOnlyList<(string, IReadOnlyList<int>)>? topics = group.Topics?.Select(t => (t.Name, (IReadOnlyList<int>)t.PartitionIndexes)).ToList();
                response.Groups.Add(await FetchGroupAsync(group.GroupId, group.MemberId, group.MemberEpoch, topics, request.RequireStable).ConfigureAwait(false));
            }

            return response;
        }

        IReadOnlyList<(string, IReadOnlyList<int>)>? requested = request.Topics?.Select(t => (t.Name, (IReadOnlyList<int>)t.PartitionIndexes)).ToList();
        OffsetFetchResponse.OffsetFetchResponseGroup result = await FetchGroupAsync(request.GroupId, null, -1, requested, context.ApiVersion >= 7 && request.RequireStable).ConfigureAwait(false);
        return Single(context.ApiVersion, result, requested);
    }

    private Task<OffsetFetchResponse.OffsetFetchResponseGroup> FetchGroupAsync(string groupId, string? memberId, int memberEpoch, IReadOnlyList<(string, IReadOnlyList<int>)>? topics, bool requireStable) =>
        coordinator.ExecuteAsync(
            groupId,
            shard => shard.OffsetFetch(groupId, memberId, memberEpoch, topics, requireStable),
            error => new OffsetFetchResponse.OffsetFetchResponseGroup { GroupId = groupId, ErrorCode = (short)error });

    /// <summary>v0-7 carry one group at the top level; before v2 a group error is repeated in every partition.</summary>
    private static OffsetFetchResponse Single(short version, OffsetFetchResponse.OffsetFetchResponseGroup group, IReadOnlyList<(string Topic, IReadOnlyList<int> Partitions)>? requested)
    {
        var response = new OffsetFetchResponse { ErrorCode = group.ErrorCode };
        if (group.ErrorCode != (short)ErrorCode.None && version < 2 && requested is not null)
        {
            foreach (var (topic, partitions) in requested)
            {
                var failed = new OffsetFetchResponse.OffsetFetchResponseTopic { Name = topic };
                foreach (int partition in partitions)
                {
                    failed.Partitions.Add(new OffsetFetchResponse.OffsetFetchResponsePartition { PartitionIndex = partition, CommittedOffset = -1, Metadata = "", ErrorCode = group.ErrorCode });
                }

                response.Topics.Add(failed);
            }

            return response;
        }

        foreach (OffsetFetchResponse.OffsetFetchResponseTopics topic in group.Topics)
        {
            var single = new OffsetFetchResponse.OffsetFetchResponseTopic { Name = topic.Name };
            foreach (OffsetFetchResponse.OffsetFetchResponsePartitions partition in topic.Partitions)
            {
                single.Partitions.Add(new OffsetFetchResponse.OffsetFetchResponsePartition
                {
                    PartitionIndex = partition.PartitionIndex,
                    CommittedOffset = partition.CommittedOffset,
                    CommittedLeaderEpoch = partition.CommittedLeaderEpoch,
                    Metadata = partition.Metadata,
                    ErrorCode = partition.ErrorCode,
                });
            }

            response.Topics.Add(single);
        }

        return response;
    }
}
