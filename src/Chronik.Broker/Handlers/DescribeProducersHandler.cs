using Chronik.Broker.Partitions;
using Chronik.Broker.Requests;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;
using Chronik.Storage;

namespace Chronik.Broker.Handlers;

/// <summary>
/// DescribeProducers (key 61), v0.
/// Behavior: for each requested partition hosted here (leader or follower, as Kafka), the producers its log has
/// state for: producer id, epoch, last sequence (-1 without a batch in that epoch), last timestamp, coordinator
/// epoch of its last marker (-1 if none) and the first offset of its open transaction (-1 if none).
/// A topic with an invalid name is INVALID_TOPIC_EXCEPTION for each of its partitions; a partition the metadata does
/// not have is UNKNOWN_TOPIC_OR_PARTITION, one not hosted here NOT_LEADER_OR_FOLLOWER.
/// Simplified: no authorizer yet (Kafka checks READ on the topic).
/// Version notes: v0 flexible (KIP-664).
/// </summary>
public sealed class DescribeProducersHandler : ApiHandler<DescribeProducersRequest, DescribeProducersResponse>
{
    private readonly ReplicaManager _replicas;

    public DescribeProducersHandler(ReplicaManager replicas)
    {
        _replicas = replicas;
    }

    public override ApiKey ApiKey => ApiKey.DescribeProducers;

    public override short MinVersion => 0;

    public override short MaxVersion => 0;

    protected override ValueTask<DescribeProducersResponse?> HandleAsync(RequestContext context, DescribeProducersRequest request)
    {
        var response = new DescribeProducersResponse { Topics = new List<DescribeProducersResponse.TopicResponse>(request.Topics.Count) };
        foreach (var topic in request.Topics)
        {
            var topicResponse = new DescribeProducersResponse.TopicResponse
            {
                Name = topic.Name,
                Partitions = new List<DescribeProducersResponse.PartitionResponse>(topic.PartitionIndexes.Count),
            };
            response.Topics.Add(topicResponse);
            bool validName = TopicPartition.IsValidTopicName(topic.Name);
            foreach (int index in topic.PartitionIndexes)
            {
                topicResponse.Partitions.Add(validName
                    ? Describe(topic.Name, index)
                    : Failed(index, ErrorCode.InvalidTopicException, $"Topic name '{topic.Name}' is illegal"));
            }
        }

        return new(response);
    }

    private DescribeProducersResponse.PartitionResponse Describe(string topic, int index)
    {
        var partition = _replicas.GetPartition(topic, index, out var error);
        if (partition is null)
        {
            return Failed(index, error, null);
        }

        IReadOnlyList<Storage.Producers.ActiveProducer> producers;
        try
        {
            producers = partition.Log.ActiveProducers();
        }
        catch (ObjectDisposedException)
        {
            return Failed(index, ErrorCode.NotLeaderOrFollower, null);
        }

        var result = new DescribeProducersResponse.PartitionResponse
        {
            PartitionIndex = index,
            ActiveProducers = new List<DescribeProducersResponse.ProducerState>(producers.Count),
        };
        foreach (var producer in producers)
        {
            result.ActiveProducers.Add(new DescribeProducersResponse.ProducerState
            {
                ProducerId = producer.ProducerId,
                ProducerEpoch = producer.ProducerEpoch,
                LastSequence = producer.LastSequence,
                LastTimestamp = producer.LastTimestamp,
                CoordinatorEpoch = producer.CoordinatorEpoch,
                CurrentTxnStartOffset = producer.CurrentTxnStartOffset,
            });
        }

        return result;
    }

    private static DescribeProducersResponse.PartitionResponse Failed(int index, ErrorCode error, string? message) =>
        new() { PartitionIndex = index, ErrorCode = (short)error, ErrorMessage = message };
}
