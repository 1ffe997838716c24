using Chronik.Broker.Partitions;
using Chronik.Broker.Requests;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;
using Chronik.Storage;

namespace Chronik.Broker.Handlers;

/// <summary>
/// DeleteRecords (key 21), v0-2.
/// Behavior: on the leader, moves each partition's log start offset to the requested offset (-1 means the high
/// watermark) and deletes the segments wholly below it; the answer's low_watermark is the new log start offset.
/// Errors: OFFSET_OUT_OF_RANGE beyond the high watermark or below -1, POLICY_VIOLATION for a topic whose
/// cleanup.policy lacks delete, INVALID_TOPIC_EXCEPTION for internal topics, UNKNOWN_TOPIC_OR_PARTITION,
/// NOT_LEADER_OR_FOLLOWER, KAFKA_STORAGE_ERROR. Waiting fetchers at an offset that went away wake up at once
/// (OFFSET_OUT_OF_RANGE).
/// Simplified: Kafka completes the request when every replica's low watermark reached the offset (a purgatory bounded
/// by timeout_ms); replication does not exist yet, so the leader's own log start is the answer and timeout_ms is
/// unused.
/// Version notes: v1 throttle behaviour only (KIP-219); v2 flexible.
/// </summary>
public sealed class DeleteRecordsHandler : ApiHandler<DeleteRecordsRequest, DeleteRecordsResponse>
{
    private readonly ReplicaManager _replicas;

    public DeleteRecordsHandler(ReplicaManager replicas)
    {
        _replicas = replicas;
    }

    public override ApiKey ApiKey => ApiKey.DeleteRecords;

    public override short MinVersion => 0;

    public override short MaxVersion => 2;

    protected override ValueTask<DeleteRecordsResponse?> HandleAsync(RequestContext context, DeleteRecordsRequest request)
    {
        var response = new DeleteRecordsResponse { Topics = new List<DeleteRecordsResponse.DeleteRecordsTopicResult>(request.Topics.Count) };
        foreach (var topic in request.Topics)
        {
            var result = new DeleteRecordsResponse.DeleteRecordsTopicResult
            {
                Name = topic.Name,
                Partitions = new List<DeleteRecordsResponse.DeleteRecordsPartitionResult>(topic.Partitions.Count),
            };
            response.Topics.Add(result);
            foreach (var partition in topic.Partitions)
            {
                var error = Delete(topic.Name, partition.PartitionIndex, partition.Offset, out long lowWatermark);
                result.Partitions.Add(new DeleteRecordsResponse.DeleteRecordsPartitionResult
                {
                    PartitionIndex = partition.PartitionIndex,
                    LowWatermark = error == ErrorCode.None ? lowWatermark : -1,
                    ErrorCode = (short)error,
                });
            }
        }

        return new(response);
    }

    private ErrorCode Delete(string topic, int index, long offset, out long lowWatermark)
    {
        lowWatermark = -1;
        if (InternalTopics.IsInternal(topic))
        {
            return ErrorCode.InvalidTopicException;
        }

        var partition = _replicas.GetPartition(topic, index, out var error);
        if (partition is null)
        {
            return error;
        }

        try
        {
            lowWatermark = partition.DeleteRecordsBefore(offset);
            return ErrorCode.None;
        }
        catch (PartitionException e)
        {
            return e.ErrorCode;
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
}
