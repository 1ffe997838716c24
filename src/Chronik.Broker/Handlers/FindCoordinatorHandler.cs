using Chronik.Broker.Groups.Runtime;
using Chronik.Broker.Requests;
using Chronik.Cluster.Controller;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Handlers;

/// <summary>
/// FindCoordinator (key 10), v0-6.
/// Behavior: the coordinator of a group is the leader of its __consumer_offsets partition
/// (abs(groupId.hashCode()) % partitions, Java's hash, as Kafka). The first group lookup creates
/// __consumer_offsets through the controller (offsets.topic.num.partitions, offsets.topic.replication.factor,
/// cleanup.policy=compact) and waits for it, so the answer already names the coordinator (Kafka answers
/// COORDINATOR_NOT_AVAILABLE and lets the client retry; both work). A partition without a live leader is
/// COORDINATOR_NOT_AVAILABLE. Only group keys are served: transaction keys (type 1) belong to the
/// transaction coordinator, share groups (type 2, KIP-932) are not supported; both get INVALID_REQUEST.
/// Version notes: v1 key type, throttle time, error message; v3 flexible; v4 batched keys (KIP-699);
/// v5 TRANSACTION_ABORTABLE (KIP-890); v6 share group keys (KIP-932).
/// </summary>
public sealed class FindCoordinatorHandler : ApiHandler<FindCoordinatorRequest, FindCoordinatorResponse>
{
    /// <summary>Kafka's CoordinatorType.GROUP.</summary>
    public const sbyte GroupKeyType = 0;

    private readonly BrokerNode _broker;
    private readonly GroupCoordinator _coordinator;

    public FindCoordinatorHandler(BrokerNode broker, GroupCoordinator coordinator)
    {
        _broker = broker;
        _coordinator = coordinator;
    }

    public override ApiKey ApiKey => ApiKey.FindCoordinator;

    public override short MinVersion => 0;

    public override short MaxVersion => 6;

    protected override async ValueTask<FindCoordinatorResponse?> HandleAsync(RequestContext context, FindCoordinatorRequest request)
    {
        sbyte keyType = context.ApiVersion >= 1 ? request.KeyType : GroupKeyType;
        List<string> keys = context.ApiVersion >= 4 ? request.CoordinatorKeys : [request.Key];
        ErrorCode topicError = ErrorCode.None;
        if (keyType == GroupKeyType && _broker.Image.GetTopic(InternalTopics.ConsumerOffsets) is null)
        {
            topicError = await CreateOffsetsTopicAsync(context.CancellationToken).ConfigureAwait(false);
        }

        MetadataImage image = _broker.Image;
        var coordinators = new List<FindCoordinatorResponse.Coordinator>(keys.Count);
        foreach (string key in keys)
        {
            coordinators.Add(keyType != GroupKeyType
                ? Failed(key, ErrorCode.InvalidRequest, $"coordinator key type {keyType} is not supported")
                : topicError != ErrorCode.None
                    ? Failed(key, topicError, "the __consumer_offsets topic could not be created")
                    : Locate(context, image, key));
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

    private FindCoordinatorResponse.Coordinator Locate(RequestContext context, MetadataImage image, string groupId)
    {
        int partition = _coordinator.PartitionFor(groupId);
        PartitionRegistration? registration = image.GetPartition(InternalTopics.ConsumerOffsets, partition);
        if (registration is { HasLeader: true } && image.IsBrokerActive(registration.Leader)
            && image.GetBroker(registration.Leader)?.GetEndpoint(context.Connection.ListenerName) is { } endpoint)
        {
            return new FindCoordinatorResponse.Coordinator { Key = groupId, NodeId = registration.Leader, Host = endpoint.Host, Port = endpoint.Port };
        }

        return Failed(groupId, ErrorCode.CoordinatorNotAvailable, null);
    }

    private static FindCoordinatorResponse.Coordinator Failed(string key, ErrorCode error, string? message) =>
        new() { Key = key, ErrorCode = (short)error, ErrorMessage = message ?? error.ToString(), NodeId = -1, Host = "", Port = -1 };

    private async Task<ErrorCode> CreateOffsetsTopicAsync(CancellationToken cancellationToken)
    {
        var options = _coordinator.Options;
        var topic = new CreatableTopic(
            InternalTopics.ConsumerOffsets,
            options.OffsetsTopicNumPartitions,
            options.OffsetsTopicReplicationFactor,
            Configs: new Dictionary<string, string?>(StringComparer.Ordinal)
            {
                ["cleanup.policy"] = "compact",
                ["compression.type"] = "producer",
                ["segment.bytes"] = options.OffsetsTopicSegmentBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
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
