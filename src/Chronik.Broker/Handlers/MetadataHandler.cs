using Chronik.Broker.Configs;
using Chronik.Broker.Requests;
using Chronik.Cluster.Controller;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Handlers;

/// <summary>
/// Metadata (key 3), v0-12.
/// Behavior: brokers are always the registered, unfenced brokers with their advertised address on this
/// listener; the controller id is the metadata quorum's leader. Unknown topics are created when the
/// request allows it (v4+; always for v0-3) and auto.create.topics.enable is true — the creation is
/// awaited, so the answer already carries the new partitions (Kafka answers LEADER_NOT_AVAILABLE and
/// lets the client retry; both are valid for clients). Authorized operations: no authorizer yet, so
/// every operation is reported allowed when asked for.
/// Version notes: v1 null topics = all (v0: empty = all), controller id, rack, is_internal; v2 cluster
/// id; v4 allow_auto_topic_creation; v5 offline replicas; v7 leader epoch (KIP-320); v8 authorized
/// operations (KIP-430); v9 flexible; v10 topic ids (KIP-516); v11 drops cluster authorized operations
/// (KIP-700); v12 lookup by topic id.
/// </summary>
public sealed class MetadataHandler : ApiHandler<MetadataRequest, MetadataResponse>
{
    /// <summary>How long auto-creation may take before the topic is answered LEADER_NOT_AVAILABLE.</summary>
    private const int AutoCreateTimeoutMs = 10_000;

    private readonly BrokerNode _broker;

    public MetadataHandler(BrokerNode broker)
    {
        _broker = broker;
    }

    public override ApiKey ApiKey => ApiKey.Metadata;

    public override short MinVersion => 0;

    public override short MaxVersion => 12;

    protected override ValueTask<MetadataResponse?> HandleAsync(RequestContext context, MetadataRequest request)
    {
        MetadataImage image = _broker.Image;
        List<string>? missing = request.Topics is null || (context.ApiVersion == 0 && request.Topics.Count == 0)
            ? null
            : MissingTopics(image, request);
        bool mayCreate = (context.ApiVersion < 4 || request.AllowAutoTopicCreation)
            && _broker.Options.Configs.GetBoolean(BrokerConfigCatalog.AutoCreateTopicsEnable);
        return missing is { Count: > 0 } && mayCreate
            ? CreateThenAnswerAsync(context, request, missing)
            : new(Answer(context, request, image, createErrors: null));
    }

    private async ValueTask<MetadataResponse?> CreateThenAnswerAsync(RequestContext context, MetadataRequest request, List<string> missing)
    {
        var topics = new List<CreatableTopic>(missing.Count);
        foreach (string name in missing)
        {
            topics.Add(new CreatableTopic(name));
        }

        // Bounded: while the controller is elected the client gets LEADER_NOT_AVAILABLE (retriable) instead of a hung request.
        using CancellationTokenSource deadline = AdminSupport.Deadline(context, AutoCreateTimeoutMs);
        IReadOnlyList<CreateTopicResult> results;
        try
        {
            results = await _broker.ControllerClient.CreateTopicsAsync(topics, validateOnly: false, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
        {
            results = topics.ConvertAll(t => new CreateTopicResult(t.Name, AdminSupport.TimedOut("Topic creation")));
        }

        // A topic the controller created must be in this broker's image before the answer (it may lag the controller's).
        var created = new HashSet<string>(StringComparer.Ordinal);
        foreach (CreateTopicResult result in results)
        {
            if (!result.Error.IsError || result.Error.Code == ErrorCode.TopicAlreadyExists)
            {
                created.Add(result.Name);
            }
        }

        if (created.Count > 0)
        {
            await AdminSupport.WaitForImageAsync(_broker, image => created.All(name => image.GetTopic(name) is not null), deadline.Token).ConfigureAwait(false);
        }

        var errors = new Dictionary<string, ErrorCode>(StringComparer.Ordinal);
        foreach (CreateTopicResult result in results)
        {
            // Someone else creating it at the same moment is success for us.
            if (result.Error.IsError && result.Error.Code != ErrorCode.TopicAlreadyExists)
            {
                errors[result.Name] = result.Error.Code == ErrorCode.InvalidTopicException ? ErrorCode.InvalidTopicException : ErrorCode.LeaderNotAvailable;
            }
        }

        return Answer(context, request, _broker.Image, errors);
    }

    private static List<string> MissingTopics(MetadataImage image, MetadataRequest request)
    {
        var missing = new List<string>();
        foreach (MetadataRequest.MetadataRequestTopic topic in request.Topics!)
        {
            // Internal topics are created by their coordinators with their own settings, never by a Metadata request.
            if (topic.Name is { } name && image.GetTopic(name) is null && !InternalTopics.IsInternal(name) && !missing.Contains(name))
            {
                missing.Add(name);
            }
        }

        return missing;
    }

    private MetadataResponse Answer(RequestContext context, MetadataRequest request, MetadataImage image, Dictionary<string, ErrorCode>? createErrors)
    {
        string listener = context.Connection.ListenerName;
        var response = new MetadataResponse
        {
            ClusterId = image.ClusterId,
            ControllerId = image.ControllerId,
            ClusterAuthorizedOperations = request.IncludeClusterAuthorizedOperations && context.ApiVersion is >= 8 and <= 10 ? AdminSupport.ClusterOperations : int.MinValue,
        };

        foreach (BrokerRegistration broker in image.Brokers.Values)
        {
            if (!broker.Fenced && broker.GetEndpoint(listener) is { } endpoint)
            {
                response.Brokers.Add(new MetadataResponse.MetadataResponseBroker
                {
                    NodeId = broker.BrokerId,
                    Host = endpoint.Host,
                    Port = endpoint.Port,
                    Rack = broker.Rack,
                });
            }
        }

        bool includeOperations = request.IncludeTopicAuthorizedOperations && context.ApiVersion >= 8;
        if (request.Topics is null || (context.ApiVersion == 0 && request.Topics.Count == 0))
        {
            foreach (TopicImage topic in image.Topics.Values)
            {
                response.Topics.Add(DescribeTopic(image, topic, includeOperations));
            }

            response.Topics.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
            return response;
        }

        foreach (MetadataRequest.MetadataRequestTopic requested in request.Topics)
        {
            TopicImage? topic = requested.Name is { } name ? image.GetTopic(name) : image.GetTopic(requested.TopicId);
            if (topic is not null)
            {
                response.Topics.Add(DescribeTopic(image, topic, includeOperations));
                continue;
            }

            ErrorCode error = requested.Name is null
                ? ErrorCode.UnknownTopicId
                : createErrors?.GetValueOrDefault(requested.Name, ErrorCode.UnknownTopicOrPartition) ?? ErrorCode.UnknownTopicOrPartition;
            response.Topics.Add(new MetadataResponse.MetadataResponseTopic
            {
                ErrorCode = (short)error,
                Name = requested.Name,
                TopicId = requested.Name is null ? requested.TopicId : Guid.Empty,
            });
        }

        return response;
    }

    private static MetadataResponse.MetadataResponseTopic DescribeTopic(MetadataImage image, TopicImage topic, bool includeOperations)
    {
        var described = new MetadataResponse.MetadataResponseTopic
        {
            Name = topic.Name,
            TopicId = topic.TopicId,
            IsInternal = InternalTopics.IsInternal(topic.Name),
            TopicAuthorizedOperations = includeOperations ? AdminSupport.TopicOperations : int.MinValue,
            Partitions = new List<MetadataResponse.MetadataResponsePartition>(topic.Partitions.Count),
        };

        foreach (PartitionRegistration partition in topic.Partitions.Values)
        {
            bool leaderLive = partition.HasLeader && image.IsBrokerActive(partition.Leader);
            var offline = new List<int>();
            foreach (int replica in partition.Replicas)
            {
                if (!image.IsBrokerActive(replica))
                {
                    offline.Add(replica);
                }
            }

            described.Partitions.Add(new MetadataResponse.MetadataResponsePartition
            {
                ErrorCode = (short)(leaderLive ? ErrorCode.None : ErrorCode.LeaderNotAvailable),
                PartitionIndex = partition.Partition,
                LeaderId = leaderLive ? partition.Leader : PartitionRegistration.NoLeader,
                LeaderEpoch = partition.LeaderEpoch,
                ReplicaNodes = [.. partition.Replicas],
                IsrNodes = [.. partition.Isr],
                OfflineReplicas = offline,
            });
        }

        return described;
    }
}
