using System.Globalization;
using Chronik.Broker.Groups.Runtime;
using Chronik.Broker.Requests;
using Chronik.Broker.Transactions;
using Chronik.Cluster.Controller;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Handlers;

/// <summary>
/// FindCoordinator (key 10), v0-6.
/// Behavior: the coordinator of a group is the leader of its __consumer_offsets partition, that of a
/// transactional id (key type 1) the leader of its __transaction_state partition (abs(key.hashCode()) %
/// partitions, Java's hash, as Kafka). The first lookup of a kind creates its topic through the controller
/// (offsets.topic.num.partitions / offsets.topic.replication.factor; transaction.state.log.num.partitions /
/// .replication.factor / .min.isr as min.insync.replicas; cleanup.policy=compact) and waits for it, so the
/// answer already names the coordinator (Kafka answers COORDINATOR_NOT_AVAILABLE and lets the client retry;
/// both work). A partition without a live leader is COORDINATOR_NOT_AVAILABLE. Share groups (type 2, KIP-932)
/// are not supported: INVALID_REQUEST.
/// Version notes: v1 key type, throttle time, error message; v3 flexible; v4 batched keys (KIP-699);
/// v5 TRANSACTION_ABORTABLE (KIP-890); v6 share group keys (KIP-932).
/// </summary>
public sealed class FindCoordinatorHandler : ApiHandler<FindCoordinatorRequest, FindCoordinatorResponse>
{
    /// <summary>Kafka's CoordinatorType.GROUP.</summary>
    public const sbyte GroupKeyType = 0;

    /// <summary>Kafka's CoordinatorType.TRANSACTION.</summary>
    public const sbyte TransactionKeyType = 1;

    private readonly BrokerNode _broker;
    private readonly GroupCoordinator _coordinator;
    private readonly TransactionCoordinator _transactions;

    public FindCoordinatorHandler(BrokerNode broker, GroupCoordinator coordinator, TransactionCoordinator transactions)
    {
        _broker = broker;
        _coordinator = coordinator;
        _transactions = transactions;
    }

    public override ApiKey ApiKey => ApiKey.FindCoordinator;

    public override short MinVersion => 0;

    public override short MaxVersion => 6;

    protected override async ValueTask<FindCoordinatorResponse?> HandleAsync(RequestContext context, FindCoordinatorRequest request)
    {
        sbyte keyType = context.ApiVersion >= 1 ? request.KeyType : GroupKeyType;
        List<string> keys = context.ApiVersion >= 4 ? request.CoordinatorKeys : [request.Key];
        string? topic = keyType switch
        {
            GroupKeyType => InternalTopics.ConsumerOffsets,
            TransactionKeyType => InternalTopics.TransactionState,
            _ => null,
        };
        ErrorCode topicError = ErrorCode.None;
        if (topic is not null && _broker.Image.GetTopic(topic) is null)
        {
            topicError = await CreateTopicAsync(CoordinatorTopic(topic), context.CancellationToken).ConfigureAwait(false);
        }

        MetadataImage image = _broker.Image;
        var coordinators = new List<FindCoordinatorResponse.Coordinator>(keys.Count);
        foreach (string key in keys)
        {
            coordinators.Add(topic is null
                ? Failed(key, ErrorCode.InvalidRequest, $"coordinator key type {keyType} is not supported")
                : topicError != ErrorCode.None
                    ? Failed(key, topicError, $"the {topic} topic could not be created")
                    : key.Length == 0 && keyType == TransactionKeyType
                        ? Failed(key, ErrorCode.InvalidRequest, "the transactional id is empty")
                        : Locate(context, image, topic, key, keyType == GroupKeyType ? _coordinator.PartitionFor(key) : _transactions.PartitionFor(key)));
        }

        if (context.ApiVersion >= 4)
        {
            return new FindCoordinatorResponse { Coordinators = coordinators };
        }

        FindCoordinatorResponse.Coordinator single = coordinators[0];
        return new FindCoordinatorResponse
        {
            ErrorCode = single.ErrorCode,
            ErrorMessage = single.ErrorMessage,
            NodeId = single.NodeId,
            Host = single.Host,
            Port = single.Port,
        };
    }

    private static FindCoordinatorResponse.Coordinator Locate(RequestContext context, MetadataImage image, string topic, string key, int partition)
    {
        PartitionRegistration? registration = image.GetPartition(topic, partition);
        if (registration is { HasLeader: true } && image.IsBrokerActive(registration.Leader)
            && image.GetBroker(registration.Leader)?.GetEndpoint(context.Connection.ListenerName) is { } endpoint)
        {
            return new FindCoordinatorResponse.Coordinator { Key = key, NodeId = registration.Leader, Host = endpoint.Host, Port = endpoint.Port };
        }

        return Failed(key, ErrorCode.CoordinatorNotAvailable, null);
    }

    private static FindCoordinatorResponse.Coordinator Failed(string key, ErrorCode error, string? message) =>
        new() { Key = key, ErrorCode = (short)error, ErrorMessage = message ?? error.ToString(), NodeId = -1, Host = "", Port = -1 };

    /// <summary>The internal topic a coordinator lives on, with Kafka's settings for it.</summary>
    private CreatableTopic CoordinatorTopic(string topic)
    {
        if (topic == InternalTopics.ConsumerOffsets)
        {
            var options = _coordinator.Options;
            return new CreatableTopic(
                InternalTopics.ConsumerOffsets,
                options.OffsetsTopicNumPartitions,
                options.OffsetsTopicReplicationFactor,
                Configs: new Dictionary<string, string?>(StringComparer.Ordinal)
                {
                    ["cleanup.policy"] = "compact",
                    ["compression.type"] = "producer",
                    ["segment.bytes"] = options.OffsetsTopicSegmentBytes.ToString(CultureInfo.InvariantCulture),
                });
        }

        // Kafka's TransactionStateManager.transactionTopicConfigs.
        var transactions = _transactions.Options;
        return new CreatableTopic(
            InternalTopics.TransactionState,
            transactions.TransactionStateLogNumPartitions,
            transactions.TransactionStateLogReplicationFactor,
            Configs: new Dictionary<string, string?>(StringComparer.Ordinal)
            {
                ["cleanup.policy"] = "compact",
                ["compression.type"] = "uncompressed",
                ["min.insync.replicas"] = transactions.TransactionStateLogMinIsr.ToString(CultureInfo.InvariantCulture),
                ["segment.bytes"] = transactions.TransactionStateLogSegmentBytes.ToString(CultureInfo.InvariantCulture),
                ["unclean.leader.election.enable"] = "false",
            });
    }

    private async Task<ErrorCode> CreateTopicAsync(CreatableTopic topic, CancellationToken cancellationToken)
    {
        // Bounded: during a controller election the client is better served by a retriable answer than a hung request.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(10));
        IReadOnlyList<CreateTopicResult> results;
        try
        {
            results = await _broker.ControllerClient.CreateTopicsAsync([topic], validateOnly: false, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return ErrorCode.CoordinatorNotAvailable;
        }

        return results.Count == 1 && (!results[0].Error.IsError || results[0].Error.Code == ErrorCode.TopicAlreadyExists)
            ? ErrorCode.None
            : ErrorCode.CoordinatorNotAvailable;
    }
}
