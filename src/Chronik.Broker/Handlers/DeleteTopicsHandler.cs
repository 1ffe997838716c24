using Chronik.Broker.Configs;
using Chronik.Broker.Requests;
using Chronik.Cluster.Controller;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Handlers;

/// <summary>
/// DeleteTopics (key 20), v0-6.
/// Behavior: topics named by name (v0-5) or by name or id (v6) are removed by the controller in one
/// metadata entry (with their partitions and config overrides); the answer waits, up to timeout_ms, until
/// they are gone from this broker's image (timeout_ms ≤ 0: answer right after the commit). Unknown names
/// answer UNKNOWN_TOPIC_OR_PARTITION, unknown ids UNKNOWN_TOPIC_ID. Malformed entries follow KRaft's
/// ControllerApis: a name or id given twice, both name and id, or neither → INVALID_REQUEST. With
/// delete.topic.enable=false every topic answers TOPIC_DELETION_DISABLED (v3+) or INVALID_REQUEST (v0-2).
/// Chronik refuses to delete its internal topics (__consumer_offsets, __transaction_state) with
/// INVALID_REQUEST, since groups and transactions live in them (KRaft itself does not guard them).
/// Results come in request order (Kafka shuffles them to hide which topics exist from unauthorized
/// clients; there is no authorizer yet).
/// Version notes: v1 throttle time; v2-3 no change (v3: TOPIC_DELETION_DISABLED); v4 flexible; v5 error
/// messages; v6 topics by id (KIP-516).
/// </summary>
public sealed class DeleteTopicsHandler : ApiHandler<DeleteTopicsRequest, DeleteTopicsResponse>
{
    private readonly BrokerNode _broker;

    public DeleteTopicsHandler(BrokerNode broker)
    {
        _broker = broker;
    }

    public override ApiKey ApiKey => ApiKey.DeleteTopics;

    public override short MinVersion => 0;

    public override short MaxVersion => 6;

    protected override async ValueTask<DeleteTopicsResponse?> HandleAsync(RequestContext context, DeleteTopicsRequest request)
    {
        short version = context.ApiVersion;
        List<TopicReference> requested = version >= 6
            ? request.Topics.ConvertAll(t => new TopicReference(t.Name, t.TopicId))
            : request.TopicNames.ConvertAll(n => new TopicReference(n));
        var response = new DeleteTopicsResponse();
        if (!_broker.Options.Configs.GetBoolean(BrokerConfigCatalog.DeleteTopicEnable))
        {
            var disabled = version < 3
                ? new ApiError(ErrorCode.InvalidRequest, "Topic deletion is disabled.")
                : new ApiError(ErrorCode.TopicDeletionDisabled, "Topic deletion is disabled.");
            response.Responses = requested.ConvertAll(t => Result(t.Name, t.TopicId, disabled));
            return response;
        }

        var (toDelete, refused) = Screen(requested, _broker.Image);
        response.Responses.AddRange(refused);
        if (toDelete.Count > 0)
        {
            response.Responses.AddRange(await DeleteAsync(context, request.TimeoutMs, toDelete).ConfigureAwait(false));
        }

        return response;
    }

    /// <summary>Splits the request into what goes to the controller and what is refused here (KRaft's ControllerApis checks, then internal topics).</summary>
    private static (List<TopicReference> ToDelete, List<DeleteTopicsResponse.DeletableTopicResult> Refused) Screen(List<TopicReference> requested, MetadataImage image)
    {
        var refused = new List<DeleteTopicsResponse.DeletableTopicResult>();
        var nameCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        var idCounts = new Dictionary<Guid, int>();
        foreach (TopicReference topic in requested)
        {
            if (topic.TopicId == Guid.Empty && topic.Name is { } name)
            {
                nameCounts[name] = nameCounts.GetValueOrDefault(name) + 1;
            }
            else if (topic.Name is null && topic.TopicId != Guid.Empty)
            {
                idCounts[topic.TopicId] = idCounts.GetValueOrDefault(topic.TopicId) + 1;
            }
        }

        var toDelete = new List<TopicReference>();
        var idsToDelete = new HashSet<Guid>();
        var answered = new HashSet<TopicReference>();
        foreach (TopicReference topic in requested)
        {
            if (!answered.Add(topic))
            {
                continue;
            }

            bool byName = topic.TopicId == Guid.Empty;
            ApiError error = (topic.Name, byName) switch
            {
                (null, true) => new ApiError(ErrorCode.InvalidRequest, "Neither topic name nor id were specified."),
                (not null, false) => new ApiError(ErrorCode.InvalidRequest, "You may not specify both topic name and topic id."),
                ({ } n, true) when nameCounts[n] > 1 => new ApiError(ErrorCode.InvalidRequest, "Duplicate topic name."),
                (null, false) when idCounts[topic.TopicId] > 1 => new ApiError(ErrorCode.InvalidRequest, "Duplicate topic id."),
                _ => ApiError.None,
            };

            TopicImage? existing = error.IsError ? null : byName ? image.GetTopic(topic.Name!) : image.GetTopic(topic.TopicId);
            if (existing is not null && InternalTopics.IsInternal(existing.Name))
            {
                error = new ApiError(ErrorCode.InvalidRequest, $"Topic '{existing.Name}' is an internal topic; Chronik does not delete it.");
            }

            if (!error.IsError && existing is not null && !idsToDelete.Add(existing.TopicId))
            {
                error = new ApiError(ErrorCode.InvalidRequest, "The provided topic name maps to an ID that was already supplied.");
            }

            if (error.IsError)
            {
                refused.Add(Result(topic.Name, topic.TopicId, error));
            }
            else
            {
                toDelete.Add(topic);
            }
        }

        return (toDelete, refused);
    }

    private async Task<List<DeleteTopicsResponse.DeletableTopicResult>> DeleteAsync(RequestContext context, int timeoutMs, List<TopicReference> topics)
    {
        using CancellationTokenSource deadline = AdminSupport.Deadline(context, timeoutMs);
        IReadOnlyList<DeleteTopicResult> outcomes;
        try
        {
            outcomes = await _broker.ControllerFor(context).DeleteTopicsAsync(topics, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
        {
            return topics.ConvertAll(t => Result(t.Name, t.TopicId, AdminSupport.TimedOut("Topic deletion")));
        }

        var deleted = new List<Guid>();
        foreach (DeleteTopicResult outcome in outcomes)
        {
            if (!outcome.Error.IsError)
            {
                deleted.Add(outcome.TopicId);
            }
        }

        bool visible = deleted.Count == 0 || timeoutMs <= 0
            || await AdminSupport.WaitForImageAsync(_broker, image => deleted.TrueForAll(id => image.GetTopic(id) is null), deadline.Token).ConfigureAwait(false);
        context.CancellationToken.ThrowIfCancellationRequested();
        MetadataImage now = _broker.Image;
        var results = new List<DeleteTopicsResponse.DeletableTopicResult>(outcomes.Count);
        foreach (DeleteTopicResult outcome in outcomes)
        {
            ApiError error = outcome.Error;
            if (!visible && !error.IsError && now.GetTopic(outcome.TopicId) is not null)
            {
                error = new ApiError(ErrorCode.RequestTimedOut, $"Topic '{outcome.Name}' was deleted but is still visible on this broker.");
            }

            results.Add(Result(outcome.Name, outcome.TopicId, error));
        }

        return results;
    }

    private static DeleteTopicsResponse.DeletableTopicResult Result(string? name, Guid topicId, ApiError error) => new()
    {
        Name = name,
        TopicId = topicId,
        ErrorCode = (short)error.Code,
        ErrorMessage = error.Message,
    };
}
