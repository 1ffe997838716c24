using Chronik.Broker.Configs;
using Chronik.Broker.Requests;
using Chronik.Cluster.Controller;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Handlers;

/// <summary>
/// CreateTopics (key 19), v0-7.
/// Behavior: each topic goes to the controller (name rules and '.'/'_' collisions → INVALID_TOPIC_EXCEPTION,
/// TOPIC_ALREADY_EXISTS, partitions / replication factor / manual assignment checks, configs validated
/// against the topic config catalog → INVALID_CONFIG naming the key), which commits the topic with its
/// partitions and configs in one metadata entry. A name given twice is answered once with INVALID_REQUEST
/// "Duplicate topic name." and not created (KRaft's ControllerApis). The answer waits, up to timeout_ms,
/// until the topics are in this broker's image, so the client's next Metadata finds them; timeout_ms ≤ 0
/// answers right after the commit (the spec: "return immediately"); a topic still not visible when the
/// time is up is answered REQUEST_TIMED_OUT. validate_only runs every check and commits nothing.
/// Chronik refuses client creation of its internal topics (__consumer_offsets, __transaction_state) with
/// INVALID_REQUEST: the coordinators create them with their layout (Kafka would accept a client's), and a
/// coordinator on another node forwards its creation here (an inter-broker connection is not refused);
/// __cluster_metadata is refused with TOPIC_AUTHORIZATION_FAILED as KRaft refuses it.
/// Version notes: v1 validate_only and per-topic error messages; v2 throttle time; v4 -1 partitions /
/// replication factor take num.partitions / default.replication.factor (KIP-464); v5 flexible, and the
/// result carries partitions, replication factor and the effective configs with their sources (KIP-525);
/// v6 quota errors (KIP-599, no quotas yet); v7 topic ids (KIP-516; zero for validate_only).
/// </summary>
public sealed class CreateTopicsHandler : ApiHandler<CreateTopicsRequest, CreateTopicsResponse>
{
    private readonly BrokerNode _broker;
    private readonly ConfigResolver _configs;

    public CreateTopicsHandler(BrokerNode broker)
    {
        _broker = broker;
        _configs = new ConfigResolver(broker.Options.Configs, broker.NodeId);
    }

    public override ApiKey ApiKey => ApiKey.CreateTopics;

    public override short MinVersion => 0;

    public override short MaxVersion => 7;

    protected override async ValueTask<CreateTopicsResponse?> HandleAsync(RequestContext context, CreateTopicsRequest request)
    {
        short version = context.ApiVersion;
        bool validateOnly = version >= 1 && request.ValidateOnly;
        var response = new CreateTopicsResponse();
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (CreateTopicsRequest.CreatableTopic topic in request.Topics)
        {
            counts[topic.Name] = counts.GetValueOrDefault(topic.Name) + 1;
        }

        // Results in request order; a name given twice is answered once, where it first appears.
        var results = new List<CreateTopicsResponse.CreatableTopicResult>(request.Topics.Count);
        var toCreate = new List<CreatableTopic>();
        var pending = new List<CreateTopicsResponse.CreatableTopicResult>();
        var answered = new HashSet<string>(StringComparer.Ordinal);
        foreach (CreateTopicsRequest.CreatableTopic topic in request.Topics)
        {
            if (!answered.Add(topic.Name))
            {
                continue;
            }

            var result = new CreateTopicsResponse.CreatableTopicResult { Name = topic.Name, ErrorMessage = null };
            results.Add(result);
            ApiError refused = counts[topic.Name] > 1 ? new ApiError(ErrorCode.InvalidRequest, "Duplicate topic name.")
                : topic.Name == AdminSupport.ClusterMetadataTopic ? new ApiError(ErrorCode.TopicAuthorizationFailed, "Authorization failed.")
                : InternalTopics.IsInternal(topic.Name) && !context.IsInterBroker ? new ApiError(ErrorCode.InvalidRequest, $"Topic '{topic.Name}' is an internal topic; the broker creates it, clients cannot.")
                : DuplicateAssignment(topic);
            if (refused.IsError)
            {
                SetError(result, refused);
                continue;
            }

            toCreate.Add(ToCreatable(topic));
            pending.Add(result);
        }

        if (toCreate.Count > 0)
        {
            await CreateAsync(context, request.TimeoutMs, validateOnly, toCreate, pending).ConfigureAwait(false);
        }

        response.Topics = results;
        return response;
    }

    private async Task CreateAsync(RequestContext context, int timeoutMs, bool validateOnly, List<CreatableTopic> topics, List<CreateTopicsResponse.CreatableTopicResult> results)
    {
        using CancellationTokenSource deadline = AdminSupport.Deadline(context, timeoutMs);
        IReadOnlyList<CreateTopicResult> outcomes;
        try
        {
            outcomes = await _broker.ControllerFor(context).CreateTopicsAsync(topics, validateOnly, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
        {
            results.ForEach(r => SetError(r, AdminSupport.TimedOut("Topic creation")));
            return;
        }

        var created = new List<Guid>();
        for (int i = 0; i < outcomes.Count; i++)
        {
            CreateTopicResult outcome = outcomes[i];
            CreateTopicsResponse.CreatableTopicResult result = results[i];
            if (outcome.Error.IsError)
            {
                SetError(result, outcome.Error);
                continue;
            }

            Describe(context.ApiVersion, result, topics[i], outcome, validateOnly);
            if (!validateOnly)
            {
                created.Add(outcome.TopicId);
            }
        }

        if (created.Count > 0 && timeoutMs > 0
            && !await AdminSupport.WaitForImageAsync(_broker, image => created.TrueForAll(id => image.GetTopic(id) is not null), deadline.Token).ConfigureAwait(false))
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            MetadataImage image = _broker.Image;
            for (int i = 0; i < outcomes.Count; i++)
            {
                if (!outcomes[i].Error.IsError && image.GetTopic(outcomes[i].TopicId) is null)
                {
                    SetError(results[i], new ApiError(ErrorCode.RequestTimedOut, $"Topic '{outcomes[i].Name}' was created but is not yet visible on this broker."));
                }
            }
        }
    }

    /// <summary>v5+: partitions, replication factor and the effective configs of the new topic; v7: its id.</summary>
    private void Describe(short version, CreateTopicsResponse.CreatableTopicResult result, CreatableTopic topic, CreateTopicResult outcome, bool validateOnly)
    {
        result.TopicId = validateOnly ? Guid.Empty : outcome.TopicId;
        if (version < 5)
        {
            return;
        }

        result.NumPartitions = outcome.NumPartitions;
        result.ReplicationFactor = outcome.ReplicationFactor;
        var overrides = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in topic.Configs ?? new Dictionary<string, string?>())
        {
            overrides[name] = value!;
        }

        var configs = new List<CreateTopicsResponse.CreatableTopicConfigs>(TopicConfigCatalog.All.Count);
        foreach (DescribedConfig config in _configs.DescribeTopic(_broker.Image, overrides))
        {
            configs.Add(new CreateTopicsResponse.CreatableTopicConfigs
            {
                Name = config.Name,
                Value = config.Value,
                ReadOnly = config.ReadOnly,
                ConfigSource = (sbyte)config.Source,
                IsSensitive = config.IsSensitive,
            });
        }

        result.Configs = configs;
    }

    private static CreatableTopic ToCreatable(CreateTopicsRequest.CreatableTopic topic)
    {
        Dictionary<int, IReadOnlyList<int>>? assignments = null;
        if (topic.Assignments.Count > 0)
        {
            assignments = new Dictionary<int, IReadOnlyList<int>>(topic.Assignments.Count);
            foreach (CreateTopicsRequest.CreatableReplicaAssignment assignment in topic.Assignments)
            {
                assignments[assignment.PartitionIndex] = assignment.BrokerIds;
            }
        }

        Dictionary<string, string?>? configs = null;
        if (topic.Configs.Count > 0)
        {
            // A name given twice: the last value counts, as in Kafka's config map.
            configs = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (CreateTopicsRequest.CreatableTopicConfig config in topic.Configs)
            {
                configs[config.Name] = config.Value;
            }
        }

        return new CreatableTopic(topic.Name, topic.NumPartitions, topic.ReplicationFactor, assignments, configs);
    }

    /// <summary>INVALID_REPLICA_ASSIGNMENT when the manual assignment names a partition twice (Kafka's ReplicationControlManager).</summary>
    private static ApiError DuplicateAssignment(CreateTopicsRequest.CreatableTopic topic)
    {
        var seen = new HashSet<int>();
        foreach (CreateTopicsRequest.CreatableReplicaAssignment assignment in topic.Assignments)
        {
            if (!seen.Add(assignment.PartitionIndex))
            {
                return new ApiError(ErrorCode.InvalidReplicaAssignment, $"Found multiple manual partition assignments for partition {assignment.PartitionIndex}");
            }
        }

        return ApiError.None;
    }

    private static void SetError(CreateTopicsResponse.CreatableTopicResult result, ApiError error)
    {
        result.ErrorCode = (short)error.Code;
        result.ErrorMessage = error.Message;
        result.TopicId = Guid.Empty;
        result.NumPartitions = -1;
        result.ReplicationFactor = -1;
        result.Configs = [];
    }
}
