using Chronik.Broker.Partitions;
using Chronik.Broker.Requests;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Handlers;

/// <summary>
/// OffsetForLeaderEpoch (key 23), v0-4.
/// Behavior: on the leader, for each requested leader epoch, the largest epoch ≤ it that the partition's
/// leader-epoch cache knows and the offset where that epoch ends (the start of the next epoch, or the log end
/// offset for the latest); an epoch older than every entry answers the requested epoch with the first entry's
/// start; an epoch the cache cannot place answers UNDEFINED_EPOCH (-1) and UNDEFINED_EPOCH_OFFSET (-1) without an
/// error, as Kafka. Consumers use it to detect log truncation after a leader change (KIP-320); followers to find
/// where to truncate (KIP-101/279). Errors: FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH (v2+ current_leader_epoch),
/// NOT_LEADER_OR_FOLLOWER (also for replica id -2, debug requests are served only by the leader here),
/// UNKNOWN_TOPIC_OR_PARTITION.
/// Version notes: v1 leader_epoch in the answer; v2 current_leader_epoch and throttle time (KIP-320); v3 replica_id
/// (consumers send -1); v4 flexible.
/// </summary>
public sealed class OffsetForLeaderEpochHandler : ApiHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>
{
    private readonly ReplicaManager _replicas;

    public OffsetForLeaderEpochHandler(ReplicaManager replicas)
    {
        _replicas = replicas;
    }

    public override ApiKey ApiKey => ApiKey.OffsetForLeaderEpoch;

    public override short MinVersion => 0;

    public override short MaxVersion => 4;

    protected override ValueTask<OffsetForLeaderEpochResponse?> HandleAsync(RequestContext context, OffsetForLeaderEpochRequest request)
    {
        short version = context.ApiVersion;
        var response = new OffsetForLeaderEpochResponse { Topics = new List<OffsetForLeaderEpochResponse.OffsetForLeaderTopicResult>(request.Topics.Count) };
        foreach (var topic in request.Topics)
        {
            var result = new OffsetForLeaderEpochResponse.OffsetForLeaderTopicResult
            {
                Topic = topic.Topic,
                Partitions = new List<OffsetForLeaderEpochResponse.EpochEndOffset>(topic.Partitions.Count),
            };
            response.Topics.Add(result);
            foreach (var requested in topic.Partitions)
            {
                var answer = new OffsetForLeaderEpochResponse.EpochEndOffset { Partition = requested.Partition, LeaderEpoch = -1, EndOffset = -1 };
                var partition = _replicas.GetPartition(topic.Topic, requested.Partition, out var error);
                if (partition is not null)
                {
                    error = partition.CheckLeader(version >= 2 ? requested.CurrentLeaderEpoch : -1, requireLeader: true);
                }

                if (error == ErrorCode.None)
                {
                    var (epoch, endOffset) = partition!.EndOffsetForEpoch(requested.LeaderEpoch);
                    if (epoch >= 0)
                    {
                        answer.LeaderEpoch = epoch;
                        answer.EndOffset = endOffset;
                    }
                }

                answer.ErrorCode = (short)error;
                result.Partitions.Add(answer);
            }
        }

        return new(response);
    }
}
