using Chronik.Broker.Configs;
using Chronik.Broker.Requests;
using Chronik.Cluster.Controller;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Handlers;

/// <summary>
/// DescribeTopicPartitions (key 75), v0 (KIP-966).
/// Behavior: the requested topics — or every topic when none is named — in name order, with their
/// partitions, paginated: at most min(response_partition_limit, max.request.partition.size.limit)
/// partitions per answer, and next_cursor (topic, partition) names where the next request resumes; a
/// request's cursor starts at that topic and partition (it must be among the named topics, else
/// INVALID_REQUEST for the whole request). A named topic that does not exist answers
/// UNKNOWN_TOPIC_OR_PARTITION (INVALID_TOPIC_EXCEPTION for an illegal name) and uses no partition budget.
/// Partitions carry leader (-1 when its broker is not registered on this listener), leader epoch,
/// replicas, ISR, offline replicas (fenced or unknown brokers) and the eligible leader replicas / last
/// known ELR, which are empty: Chronik has no ELR (KIP-966's unclean-recovery part) yet. Topic authorized
/// operations: no authorizer yet, so every topic operation. As in Kafka, partition errors are NONE
/// even without a live leader.
/// </summary>
public sealed class DescribeTopicPartitionsHandler : ApiHandler<DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponse>
{
    private readonly BrokerNode _broker;

    public DescribeTopicPartitionsHandler(BrokerNode broker)
    {
        _broker = broker;
    }

    public override ApiKey ApiKey => ApiKey.DescribeTopicPartitions;

    public override short MinVersion => 0;

    public override short MaxVersion => 0;

    protected override ValueTask<DescribeTopicPartitionsResponse?> HandleAsync(RequestContext context, DescribeTopicPartitionsRequest request)
    {
        MetadataImage image = _broker.Image;
        bool allTopics = request.Topics.Count == 0;
        string cursorTopic = request.Cursor?.TopicName ?? "";
        var names = new SortedSet<string>(StringComparer.Ordinal);
        if (allTopics)
        {
            foreach (string name in image.TopicIdsByName.Keys)
            {
                if (string.CompareOrdinal(name, cursorTopic) >= 0)
                {
                    names.Add(name);
                }
            }
        }
        else
        {
            foreach (DescribeTopicPartitionsRequest.TopicRequest topic in request.Topics)
            {
                if (string.CompareOrdinal(topic.Name, cursorTopic) >= 0)
                {
                    names.Add(topic.Name);
                }
            }

            if (request.Cursor is { } cursor && !names.Contains(cursor.TopicName))
            {
                // Kafka: InvalidRequestException("DescribeTopicPartitionsRequest topic list should contain the cursor topic: x").
                return new(Refused(request));
            }
        }

        int limit = Math.Min(_broker.Options.Configs.GetInt32(BrokerConfigCatalog.MaxRequestPartitionSizeLimit), request.ResponsePartitionLimit);
        return new(Describe(image, context.Connection.ListenerName, names, request.Cursor, limit, allTopics));
    }

    /// <summary>Kafka's KRaftMetadataCache.getTopicMetadataForDescribeTopicResponse: topics in order until the partition budget is spent.</summary>
    private static DescribeTopicPartitionsResponse Describe(MetadataImage image, string listener, SortedSet<string> names,
        DescribeTopicPartitionsRequest.CursorData? cursor, int limit, bool allTopics)
    {
        var response = new DescribeTopicPartitionsResponse();
        int remaining = limit;
        foreach (string name in names)
        {
            if (remaining == 0)
            {
                // The budget ended exactly at a topic boundary: resume at the start of this one.
                response.NextCursor = new DescribeTopicPartitionsResponse.Cursor { TopicName = name, PartitionIndex = 0 };
                break;
            }

            if (remaining < 0)
            {
                break;
            }

            TopicImage? topic = image.GetTopic(name);
            if (topic is null)
            {
                if (!allTopics)
                {
                    ApiError invalid = TopicNames.Validate(name);
                    response.Topics.Add(new DescribeTopicPartitionsResponse.DescribeTopicPartitionsResponseTopic
                    {
                        ErrorCode = (short)(invalid.IsError ? ErrorCode.InvalidTopicException : ErrorCode.UnknownTopicOrPartition),
                        Name = name,
                        IsInternal = InternalTopics.IsInternal(name),
                        TopicAuthorizedOperations = AdminSupport.TopicOperations,
                    });
                }

                continue;
            }

            int first = cursor is not null && cursor.TopicName == name ? Math.Max(cursor.PartitionIndex, 0) : 0;
            int upper = (int)Math.Min(topic.Partitions.Count, (long)first + remaining);
            var described = new DescribeTopicPartitionsResponse.DescribeTopicPartitionsResponseTopic
            {
                Name = name,
                TopicId = topic.TopicId,
                IsInternal = InternalTopics.IsInternal(name),
                TopicAuthorizedOperations = AdminSupport.TopicOperations,
            };
            for (int index = first; index < upper; index++)
            {
                if (topic.GetPartition(index) is { } partition)
                {
                    described.Partitions.Add(DescribePartition(image, listener, partition));
                }
            }

            response.Topics.Add(described);
            if (upper < topic.Partitions.Count)
            {
                response.NextCursor = new DescribeTopicPartitionsResponse.Cursor { TopicName = name, PartitionIndex = upper };
                break;
            }

            remaining -= described.Partitions.Count;
        }

        return response;
    }

    private static DescribeTopicPartitionsResponse.DescribeTopicPartitionsResponsePartition DescribePartition(MetadataImage image, string listener, PartitionRegistration partition)
    {
        var offline = new List<int>();
        foreach (int replica in partition.Replicas)
        {
            if (image.GetBroker(replica) is not { } broker || broker.Fenced || broker.GetEndpoint(listener) is null)
            {
                offline.Add(replica);
            }
        }

        bool leaderReachable = partition.HasLeader && image.GetBroker(partition.Leader)?.GetEndpoint(listener) is not null;
        return new DescribeTopicPartitionsResponse.DescribeTopicPartitionsResponsePartition
        {
            PartitionIndex = partition.Partition,
            LeaderId = leaderReachable ? partition.Leader : PartitionRegistration.NoLeader,
            LeaderEpoch = partition.LeaderEpoch,
            ReplicaNodes = [.. partition.Replicas],
            IsrNodes = [.. partition.Isr],
            OfflineReplicas = offline,
            EligibleLeaderReplicas = [],
            LastKnownElr = [],
        };
    }

    /// <summary>Kafka answers a bad cursor by failing the request: every named topic gets INVALID_REQUEST.</summary>
    private static DescribeTopicPartitionsResponse Refused(DescribeTopicPartitionsRequest request)
    {
        var response = new DescribeTopicPartitionsResponse();
        foreach (DescribeTopicPartitionsRequest.TopicRequest topic in request.Topics)
        {
            response.Topics.Add(new DescribeTopicPartitionsResponse.DescribeTopicPartitionsResponseTopic
            {
                ErrorCode = (short)ErrorCode.InvalidRequest,
                Name = topic.Name,
            });
        }

        return response;
    }
}
