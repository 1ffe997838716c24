using Chronik.Broker.Partitions;
using Chronik.Broker.Requests;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;
using Chronik.Storage;

namespace Chronik.Broker.Handlers;

/// <summary>
/// ListOffsets (key 2), v0-10.
/// Behavior: per partition, on the leader: latest (-1) is the high watermark for read_uncommitted consumers, the
/// last stable offset for read_committed (equal until transactions exist), the log end for followers and the debug
/// replica id -2; earliest (-2) and earliest-local (-4, the same without tiered storage) the log start offset;
/// max timestamp (-3, KIP-734) the record with the largest timestamp; latest-tiered (-5, KIP-1005) offset -1 as
/// Kafka answers without tiered storage; a timestamp ≥ 0 the first record whose timestamp is at least it. A
/// timestamp lookup that lands at or beyond the last fetchable offset answers offset -1 / timestamp -1, as Kafka.
/// The leader epoch of the answered offset comes from the leader-epoch cache. Errors: UNKNOWN_TOPIC_OR_PARTITION,
/// NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH (v4+ current_leader_epoch),
/// OFFSET_NOT_AVAILABLE (v5+; LEADER_NOT_AVAILABLE before) while a new leader's high watermark is behind the
/// start of its epoch, INVALID_REQUEST for a partition listed twice, KAFKA_STORAGE_ERROR.
/// Simplified: v0's offsets-before-timestamp list is built from the log start, the latest offset and the timestamp
/// lookup instead of segment modification times. timeout_ms (v10) has nothing to wait for without tiered storage.
/// Version notes: v1 single offset and its timestamp (no max_num_offsets); v2 isolation_level; v4
/// current_leader_epoch and leader_epoch (KIP-320); v5 OFFSET_NOT_AVAILABLE; v6 flexible; v7 max timestamp
/// (KIP-734); v8 earliest local (KIP-405); v9 latest tiered (KIP-1005); v10 timeout_ms (KIP-1075).
/// </summary>
public sealed class ListOffsetsHandler : ApiHandler<ListOffsetsRequest, ListOffsetsResponse>
{
    /// <summary>Kafka's ListOffsetsRequest constants.</summary>
    private const int ConsumerReplicaId = -1;
    private const int DebuggingReplicaId = -2;
    private const long LatestTieredTimestamp = -5;

    private readonly ReplicaManager _replicas;

    public ListOffsetsHandler(ReplicaManager replicas)
    {
        _replicas = replicas;
    }

    public override ApiKey ApiKey => ApiKey.ListOffsets;

    public override short MinVersion => 0;

    public override short MaxVersion => 10;

    protected override ValueTask<ListOffsetsResponse?> HandleAsync(RequestContext context, ListOffsetsRequest request)
    {
        short version = context.ApiVersion;
        var response = new ListOffsetsResponse { Topics = new List<ListOffsetsResponse.ListOffsetsTopicResponse>(request.Topics.Count) };
        HashSet<TopicPartition>? seen = null;
        HashSet<TopicPartition>? duplicates = null;
        foreach (var topic in request.Topics)
        {
            foreach (var partition in topic.Partitions)
            {
                if (!(seen ??= []).Add(new TopicPartition(topic.Name, partition.PartitionIndex)))
                {
                    (duplicates ??= []).Add(new TopicPartition(topic.Name, partition.PartitionIndex));
                }
            }
        }

        foreach (var topic in request.Topics)
        {
            var topicResponse = new ListOffsetsResponse.ListOffsetsTopicResponse
            {
                Name = topic.Name,
                Partitions = new List<ListOffsetsResponse.ListOffsetsPartitionResponse>(topic.Partitions.Count),
            };
            response.Topics.Add(topicResponse);
            foreach (var partition in topic.Partitions)
            {
                var answer = new ListOffsetsResponse.ListOffsetsPartitionResponse { PartitionIndex = partition.PartitionIndex };
                var error = duplicates is not null && duplicates.Contains(new TopicPartition(topic.Name, partition.PartitionIndex))
                    ? ErrorCode.InvalidRequest
                    : Answer(version, request, topic.Name, partition, answer);
                answer.ErrorCode = (short)error;
                if (error != ErrorCode.None)
                {
                    answer.Timestamp = -1;
                    answer.Offset = -1;
                    answer.LeaderEpoch = -1;
                    answer.OldStyleOffsets = [];
                }

                topicResponse.Partitions.Add(answer);
            }
        }

        return new(response);
    }

    private ErrorCode Answer(short version, ListOffsetsRequest request, string topic, ListOffsetsRequest.ListOffsetsPartition requested, ListOffsetsResponse.ListOffsetsPartitionResponse answer)
    {
        var partition = _replicas.GetPartition(topic, requested.PartitionIndex, out var error);
        if (partition is null)
        {
            return error;
        }

        error = partition.CheckLeader(version >= 4 ? requested.CurrentLeaderEpoch : -1, requireLeader: request.ReplicaId != DebuggingReplicaId);
        if (error != ErrorCode.None)
        {
            return error;
        }

        bool fromClient = request.ReplicaId == ConsumerReplicaId;
        long lastFetchable = !fromClient
            ? partition.LogEndOffset
            : version >= 2 && request.IsolationLevel == 1 ? partition.LastStableOffset : partition.HighWatermark;

        // Kafka's OffsetNotAvailable: a new leader whose high watermark has not reached the start of its epoch.
        long epochStart = partition.LeaderEpochStartOffset;
        ErrorCode lagging = fromClient && epochStart > partition.HighWatermark
            ? version >= 5 ? ErrorCode.OffsetNotAvailable : ErrorCode.LeaderNotAvailable
            : ErrorCode.None;
        try
        {
            return version == 0
                ? AnswerV0(partition, requested, lastFetchable, fromClient, answer)
                : AnswerV1(version, partition, requested.Timestamp, lastFetchable, lagging, answer);
        }
        catch (StorageException e)
        {
            return e.ErrorCode;
        }
        catch (IOException)
        {
            return ErrorCode.KafkaStorageError;
        }
        catch (ObjectDisposedException)
        {
            return ErrorCode.NotLeaderOrFollower;
        }
    }

    private static ErrorCode AnswerV1(short version, Partition partition, long timestamp, long lastFetchable, ErrorCode lagging, ListOffsetsResponse.ListOffsetsPartitionResponse answer)
    {
        TimestampAndOffset? found;
        switch (timestamp)
        {
            case PartitionLog.LatestTimestamp:
                if (lagging != ErrorCode.None)
                {
                    return lagging;
                }

                Set(version, answer, new TimestampAndOffset(-1, lastFetchable, partition.LeaderEpoch));
                return ErrorCode.None;
            case PartitionLog.EarliestTimestamp or PartitionLog.EarliestLocalTimestamp:
                found = partition.Log.FetchOffsetByTimestamp(timestamp);
                if (found is { } earliest)
                {
                    Set(version, answer, earliest);
                }

                return ErrorCode.None;
            case LatestTieredTimestamp:
                // Without tiered storage nothing is tiered: Kafka answers offset -1 and leader epoch -1.
                return ErrorCode.None;
            case PartitionLog.MaxTimestamp:
                found = partition.Log.FetchOffsetByTimestamp(PartitionLog.MaxTimestamp);
                break;
            case < 0:
                // Kafka searches any other negative "timestamp" like a time: the first record qualifies.
                found = partition.Log.FetchOffsetByTimestamp(0);
                break;
            default:
                found = partition.Log.FetchOffsetByTimestamp(timestamp);
                break;
        }

        if (found is { } hit && hit.Offset < lastFetchable)
        {
            Set(version, answer, hit);
            return ErrorCode.None;
        }

        // Nothing fetchable at or after the timestamp: -1 / -1 (with the lagging-leader error, if any).
        return lagging;
    }

    private static void Set(short version, ListOffsetsResponse.ListOffsetsPartitionResponse answer, TimestampAndOffset found)
    {
        answer.Timestamp = found.Timestamp;
        answer.Offset = found.Offset;
        if (version >= 4)
        {
            answer.LeaderEpoch = found.LeaderEpoch;
        }
    }

    /// <summary>v0: a list of at most max_num_offsets offsets, newest first, capped at the high watermark for consumers.</summary>
    private static ErrorCode AnswerV0(Partition partition, ListOffsetsRequest.ListOffsetsPartition requested, long lastFetchable, bool fromClient, ListOffsetsResponse.ListOffsetsPartitionResponse answer)
    {
        var offsets = new List<long>(2);
        long start = partition.LogStartOffset;
        switch (requested.Timestamp)
        {
            case PartitionLog.LatestTimestamp:
                offsets.Add(fromClient ? lastFetchable : partition.LogEndOffset);
                if (start < offsets[0])
                {
                    offsets.Add(start);
                }

                break;
            case PartitionLog.EarliestTimestamp:
                offsets.Add(start);
                break;
            default:
                if (requested.Timestamp >= 0 && partition.Log.FetchOffsetByTimestamp(requested.Timestamp) is { } found && found.Offset < lastFetchable)
                {
                    offsets.Add(found.Offset);
                }

                break;
        }

        int max = Math.Max(requested.MaxNumOffsets, 0);
        answer.OldStyleOffsets = offsets.Count > max ? offsets.GetRange(0, max) : offsets;
        return ErrorCode.None;
    }
}
