using Chronik.Broker.InterBroker;
using Chronik.Cluster.Controller;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Controller;

/// <summary>
/// The controller of another node, reached over the Kafka protocol on that node's registered listener
/// (one <see cref="KafkaClientConnection"/> from the controller channel's own <see cref="BrokerConnections"/>).
/// Kafka's controller RPCs carry the broker operations (BrokerRegistration, BrokerHeartbeat,
/// AlterPartition, AllocateProducerIds, UnregisterBroker); admin operations are resent as the admin
/// request itself (CreateTopics, DeleteTopics, CreatePartitions, IncrementalAlterConfigs, ElectLeaders,
/// AlterPartitionReassignments) instead of being wrapped in an Envelope (KIP-590): there is no
/// principal to carry yet, and the receiving node recognises a broker connection
/// (<see cref="Requests.RequestContext.IsInterBroker"/>) and answers from its own controller only.
/// One attempt per call: a failed connection throws <see cref="KafkaClientException"/>, and a node that
/// is not the controller answers NOT_CONTROLLER; <see cref="ControllerRouter"/> retries both.
/// </summary>
public sealed partial class RemoteController(BrokerConnections connections, int nodeId, Func<MetadataImage> image) : IControllerClient
{
    /// <summary>timeout_ms of forwarded admin requests: how long the controller may take (the caller's own deadline still applies).</summary>
    public const int ForwardedTimeoutMs = 10_000;

    public int NodeId => nodeId;

    public async Task<IReadOnlyList<CreateTopicResult>> CreateTopicsAsync(IReadOnlyList<CreatableTopic> topics, bool validateOnly, CancellationToken cancellationToken)
    {
        var request = new CreateTopicsRequest { TimeoutMs = ForwardedTimeoutMs, ValidateOnly = validateOnly };
        foreach (CreatableTopic topic in topics)
        {
            request.Topics.Add(new CreateTopicsRequest.CreatableTopic
            {
                Name = topic.Name,
                NumPartitions = topic.NumPartitions,
                ReplicationFactor = topic.ReplicationFactor,
                Assignments = topic.Assignments?.Select(a => new CreateTopicsRequest.CreatableReplicaAssignment { PartitionIndex = a.Key, BrokerIds = [.. a.Value] }).ToList() ?? [],
                Configs = topic.Configs?.Select(c => new CreateTopicsRequest.CreatableTopicConfig { Name = c.Key, Value = c.Value }).ToList() ?? [],
            });
        }

        // v5+ answers partitions and replication factor, v7 the topic id; a Chronik peer speaks v7.
        CreateTopicsResponse response = await SendAsync<CreateTopicsResponse>(request, ApiKey.CreateTopics, minVersion: 7, maxVersion: 7, cancellationToken).ConfigureAwait(false);
        var byName = response.Topics.ToDictionary(t => t.Name, StringComparer.Ordinal);
        return topics.Select(t => byName.TryGetValue(t.Name, out CreateTopicsResponse.CreatableTopicResult? r)
                ? new CreateTopicResult(t.Name, ControllerMessages.Error(r.ErrorCode, r.ErrorMessage), r.TopicId, r.NumPartitions, r.ReplicationFactor)
                : new CreateTopicResult(t.Name, Missing(t.Name)))
            .ToList();
    }

    public async Task<IReadOnlyList<DeleteTopicResult>> DeleteTopicsAsync(IReadOnlyList<TopicReference> topics, CancellationToken cancellationToken)
    {
        var request = new DeleteTopicsRequest
        {
            TimeoutMs = ForwardedTimeoutMs,
            Topics = topics.Select(t => new DeleteTopicsRequest.DeleteTopicState { Name = t.Name, TopicId = t.TopicId }).ToList(),
        };
        DeleteTopicsResponse response = await SendAsync<DeleteTopicsResponse>(request, ApiKey.DeleteTopics, minVersion: 6, maxVersion: 6, cancellationToken).ConfigureAwait(false);
        return topics.Select(t => response.Responses.Find(r => t.Name is not null ? r.Name == t.Name : r.TopicId == t.TopicId) is { } r
                ? new DeleteTopicResult(r.Name ?? t.Name, r.TopicId, ControllerMessages.Error(r.ErrorCode, r.ErrorMessage))
                : new DeleteTopicResult(t.Name, t.TopicId, Missing(t.Name ?? t.TopicId.ToString())))
            .ToList();
    }

    public async Task<IReadOnlyList<CreatePartitionsResult>> CreatePartitionsAsync(IReadOnlyList<CreatePartitionsTopic> topics, bool validateOnly, CancellationToken cancellationToken)
    {
        var request = new CreatePartitionsRequest { TimeoutMs = ForwardedTimeoutMs, ValidateOnly = validateOnly };
        foreach (CreatePartitionsTopic topic in topics)
        {
            request.Topics.Add(new CreatePartitionsRequest.CreatePartitionsTopic
            {
                Name = topic.Name,
                Count = topic.Count,
                Assignments = topic.Assignments?.Select(a => new CreatePartitionsRequest.CreatePartitionsAssignment { BrokerIds = [.. a] }).ToList(),
            });
        }

        CreatePartitionsResponse response = await SendAsync<CreatePartitionsResponse>(request, ApiKey.CreatePartitions, minVersion: 0, maxVersion: 3, cancellationToken).ConfigureAwait(false);
        var byName = response.Results.ToDictionary(r => r.Name, StringComparer.Ordinal);
        return topics.Select(t => byName.TryGetValue(t.Name, out CreatePartitionsResponse.CreatePartitionsTopicResult? r)
                ? new CreatePartitionsResult(t.Name, ControllerMessages.Error(r.ErrorCode, r.ErrorMessage))
                : new CreatePartitionsResult(t.Name, Missing(t.Name)))
            .ToList();
    }

    public async Task<IReadOnlyList<AlterConfigsResult>> AlterConfigsAsync(IReadOnlyList<AlterConfigsResource> resources, bool validateOnly, CancellationToken cancellationToken)
    {
        var request = new IncrementalAlterConfigsRequest { ValidateOnly = validateOnly };
        foreach (AlterConfigsResource resource in resources)
        {
            request.Resources.Add(new IncrementalAlterConfigsRequest.AlterConfigsResource
            {
                ResourceType = (sbyte)resource.Resource.Type,
                ResourceName = resource.Resource.Name,
                Configs = resource.Changes.Select(c => new IncrementalAlterConfigsRequest.AlterableConfig { Name = c.Name, ConfigOperation = (sbyte)c.Operation, Value = c.Value }).ToList(),
            });
        }

        IncrementalAlterConfigsResponse response = await SendAsync<IncrementalAlterConfigsResponse>(request, ApiKey.IncrementalAlterConfigs, minVersion: 0, maxVersion: 1, cancellationToken).ConfigureAwait(false);
        return resources.Select(r => response.Responses.Find(x => x.ResourceType == (sbyte)r.Resource.Type && x.ResourceName == r.Resource.Name) is { } x
                ? new AlterConfigsResult(r.Resource, ControllerMessages.Error(x.ErrorCode, x.ErrorMessage))
                : new AlterConfigsResult(r.Resource, Missing(r.Resource.Name)))
            .ToList();
    }

    public async Task<BrokerRegistrationResult> RegisterBrokerAsync(Cluster.Controller.BrokerRegistrationRequest request, CancellationToken cancellationToken)
    {
        BrokerRegistrationResponse response = await SendAsync<BrokerRegistrationResponse>(
            ControllerMessages.ToMessage(request), ApiKey.BrokerRegistration, minVersion: 0, maxVersion: 4, cancellationToken).ConfigureAwait(false);
        return ControllerMessages.FromMessage(response);
    }

    public async Task<BrokerHeartbeatResult> BrokerHeartbeatAsync(Cluster.Controller.BrokerHeartbeatRequest request, CancellationToken cancellationToken)
    {
        BrokerHeartbeatResponse response = await SendAsync<BrokerHeartbeatResponse>(
            ControllerMessages.ToMessage(request), ApiKey.BrokerHeartbeat, minVersion: 0, maxVersion: 1, cancellationToken).ConfigureAwait(false);
        return ControllerMessages.FromMessage(response);
    }

    public async Task<AlterPartitionResult> AlterPartitionAsync(Cluster.Controller.AlterPartitionRequest request, CancellationToken cancellationToken)
    {
        KafkaClientConnection connection = await connections.GetAsync(nodeId, cancellationToken).ConfigureAwait(false);
        short version = Negotiate(connection, ApiKey.AlterPartition, minVersion: 2, maxVersion: 3);
        AlterPartitionResponse response = await connection.SendAsync<AlterPartitionResponse>(
            ControllerMessages.ToMessage(request, version, image()), version, cancellationToken).ConfigureAwait(false);
        return ControllerMessages.FromMessage(response, version, image());
    }

    public async Task<ProducerIdsResult> AllocateProducerIdsAsync(int brokerId, long brokerEpoch, CancellationToken cancellationToken)
    {
        AllocateProducerIdsResponse response = await SendAsync<AllocateProducerIdsResponse>(
            new AllocateProducerIdsRequest { BrokerId = brokerId, BrokerEpoch = brokerEpoch }, ApiKey.AllocateProducerIds, minVersion: 0, maxVersion: 0, cancellationToken).ConfigureAwait(false);
        return ControllerMessages.FromMessage(response);
    }

    public async Task<ElectLeadersOutcome> ElectLeadersAsync(ElectionType type, IReadOnlyList<TopicPartitionRef>? partitions, CancellationToken cancellationToken)
    {
        var request = new ElectLeadersRequest
        {
            ElectionType = (sbyte)type,
            TimeoutMs = ForwardedTimeoutMs,
            TopicPartitions = partitions?.GroupBy(p => p.Topic, StringComparer.Ordinal)
                .Select(g => new ElectLeadersRequest.TopicPartitionsData { Topic = g.Key, Partitions = [.. g.Select(p => p.Partition)] })
                .ToList(),
        };
        ElectLeadersResponse response = await SendAsync<ElectLeadersResponse>(request, ApiKey.ElectLeaders, minVersion: 1, maxVersion: 2, cancellationToken).ConfigureAwait(false);
        var results = new List<ElectLeadersResult>();
        foreach (ElectLeadersResponse.ReplicaElectionResult topic in response.ReplicaElectionResults)
        {
            foreach (ElectLeadersResponse.PartitionResult p in topic.PartitionResult)
            {
                results.Add(new ElectLeadersResult(new TopicPartitionRef(topic.Topic, p.PartitionId), ControllerMessages.Error(p.ErrorCode, p.ErrorMessage)));
            }
        }

        return new ElectLeadersOutcome(ControllerMessages.Error(response.ErrorCode), results);
    }

    public async Task<IReadOnlyList<PartitionReassignmentResult>> AlterPartitionReassignmentsAsync(IReadOnlyList<PartitionReassignment> reassignments, CancellationToken cancellationToken)
    {
        var request = new AlterPartitionReassignmentsRequest
        {
            TimeoutMs = ForwardedTimeoutMs,
            Topics = reassignments.GroupBy(r => r.Partition.Topic, StringComparer.Ordinal)
                .Select(g => new AlterPartitionReassignmentsRequest.ReassignableTopic
                {
                    Name = g.Key,
                    Partitions = g.Select(r => new AlterPartitionReassignmentsRequest.ReassignablePartition
                    {
                        PartitionIndex = r.Partition.Partition,
                        Replicas = r.Replicas is null ? null : [.. r.Replicas],
                    }).ToList(),
                })
                .ToList(),
        };
        AlterPartitionReassignmentsResponse response = await SendAsync<AlterPartitionReassignmentsResponse>(
            request, ApiKey.AlterPartitionReassignments, minVersion: 0, maxVersion: 0, cancellationToken).ConfigureAwait(false);
        ApiError topLevel = ControllerMessages.Error(response.ErrorCode, response.ErrorMessage);
        return reassignments.Select(r =>
            {
                if (topLevel.IsError)
                {
                    return new PartitionReassignmentResult(r.Partition, topLevel);
                }

                AlterPartitionReassignmentsResponse.ReassignablePartitionResponse? p = response.Responses
                    .Find(t => t.Name == r.Partition.Topic)?.Partitions.Find(x => x.PartitionIndex == r.Partition.Partition);
                return new PartitionReassignmentResult(r.Partition, p is null ? Missing(r.Partition.ToString()) : ControllerMessages.Error(p.ErrorCode, p.ErrorMessage));
            })
            .ToList();
    }

    public async Task<ApiError> UnregisterBrokerAsync(int brokerId, CancellationToken cancellationToken)
    {
        UnregisterBrokerResponse response = await SendAsync<UnregisterBrokerResponse>(
            new UnregisterBrokerRequest { BrokerId = brokerId }, ApiKey.UnregisterBroker, minVersion: 0, maxVersion: 0, cancellationToken).ConfigureAwait(false);
        return ControllerMessages.Error(response.ErrorCode, response.ErrorMessage);
    }

    /// <summary>The highest version in [<paramref name="minVersion"/>, <paramref name="maxVersion"/>] the node serves.</summary>
    private static short Negotiate(KafkaClientConnection connection, ApiKey apiKey, short minVersion, short maxVersion)
    {
        short version = connection.NegotiatedVersion(apiKey, maxVersion);
        return version >= minVersion
            ? version
            : throw new KafkaClientException(ErrorCode.UnsupportedVersion, $"{connection.Endpoint} does not serve {apiKey} v{minVersion}-{maxVersion}");
    }

    private async Task<TResponse> SendAsync<TResponse>(IApiRequest request, ApiKey apiKey, short minVersion, short maxVersion, CancellationToken cancellationToken)
        where TResponse : IApiResponse, new()
    {
        KafkaClientConnection connection = await connections.GetAsync(nodeId, cancellationToken).ConfigureAwait(false);
        short version = Negotiate(connection, apiKey, minVersion, maxVersion);
        return await connection.SendAsync<TResponse>(request, version, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The controller's answer left an item out: a broken peer.</summary>
    private ApiError Missing(string what) => new(ErrorCode.UnknownServerError, $"the controller (node {nodeId}) did not answer for {what}");
}
