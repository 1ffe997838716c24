using Chronik.Broker.Requests;
using Chronik.Cluster.Controller;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Handlers;

/// <summary>
/// CreatePartitions (key 37), v0-3.
/// Behavior: raises a topic's partition count; the controller places the new partitions (or takes the
/// given assignments, one replica list per new partition, as long as the previous partitions) and
/// commits them in one metadata entry. A count that is not an increase → INVALID_PARTITIONS; wrong
/// assignments → INVALID_REPLICA_ASSIGNMENT; unknown topic → UNKNOWN_TOPIC_OR_PARTITION; a name given
/// twice → INVALID_REQUEST "Duplicate topic name." (KRaft's ControllerApis). The answer waits, up to
/// timeout_ms, until the new partitions are in this broker's image (≤ 0: answer after the commit).
/// validate_only checks without committing. Chronik refuses to add partitions to its internal topics
/// (INVALID_REQUEST): the coordinators hash group and transactional ids over their fixed partition count.
/// Version notes: v1 no change; v2 flexible; v3 quota errors (KIP-599, no quotas yet).
/// </summary>
public sealed class CreatePartitionsHandler : ApiHandler<CreatePartitionsRequest, CreatePartitionsResponse>
{
    private readonly BrokerNode _broker;

    public CreatePartitionsHandler(BrokerNode broker)
    {
        _broker = broker;
    }

    public override ApiKey ApiKey => ApiKey.CreatePartitions;

    public override short MinVersion => 0;

    public override short MaxVersion => 3;

    protected override async ValueTask<CreatePartitionsResponse?> HandleAsync(RequestContext context, CreatePartitionsRequest request)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (CreatePartitionsRequest.CreatePartitionsTopic topic in request.Topics)
        {
            counts[topic.Name] = counts.GetValueOrDefault(topic.Name) + 1;
        }

        var results = new List<CreatePartitionsResponse.CreatePartitionsTopicResult>(request.Topics.Count);
        var toCreate = new List<CreatePartitionsTopic>();
        var pending = new List<CreatePartitionsResponse.CreatePartitionsTopicResult>();
        var answered = new HashSet<string>(StringComparer.Ordinal);
        foreach (CreatePartitionsRequest.CreatePartitionsTopic topic in request.Topics)
        {
            if (!answered.Add(topic.Name))
            {
                continue;
            }

            var result = new CreatePartitionsResponse.CreatePartitionsTopicResult { Name = topic.Name };
            results.Add(result);
            if (counts[topic.Name] > 1)
            {
                SetError(result, new ApiError(ErrorCode.InvalidRequest, "Duplicate topic name."));
            }
            else if (InternalTopics.IsInternal(topic.Name))
            {
                SetError(result, new ApiError(ErrorCode.InvalidRequest, $"Topic '{topic.Name}' is an internal topic; its partition count is fixed."));
            }
            else
            {
                toCreate.Add(new CreatePartitionsTopic(topic.Name, topic.Count, topic.Assignments?.ConvertAll(a => (IReadOnlyList<int>)a.BrokerIds)));
                pending.Add(result);
            }
        }

        if (toCreate.Count > 0)
        {
            await CreateAsync(context, request.TimeoutMs, request.ValidateOnly, toCreate, pending).ConfigureAwait(false);
        }

        return new CreatePartitionsResponse { Results = results };
    }

    private async Task CreateAsync(RequestContext context, int timeoutMs, bool validateOnly, List<CreatePartitionsTopic> topics, List<CreatePartitionsResponse.CreatePartitionsTopicResult> results)
    {
        using CancellationTokenSource deadline = AdminSupport.Deadline(context, timeoutMs);
        IReadOnlyList<CreatePartitionsResult> outcomes;
        try
        {
            outcomes = await _broker.ControllerFor(context).CreatePartitionsAsync(topics, validateOnly, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
        {
            results.ForEach(r => SetError(r, AdminSupport.TimedOut("Partition creation")));
            return;
        }

        var grown = new List<CreatePartitionsTopic>();
        for (int i = 0; i < outcomes.Count; i++)
        {
            SetError(results[i], outcomes[i].Error);
            if (!outcomes[i].Error.IsError && !validateOnly)
            {
                grown.Add(topics[i]);
            }
        }

        if (grown.Count > 0 && timeoutMs > 0
            && !await AdminSupport.WaitForImageAsync(_broker, image => grown.TrueForAll(t => image.GetTopic(t.Name)?.Partitions.Count >= t.Count), deadline.Token).ConfigureAwait(false))
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            for (int i = 0; i < outcomes.Count; i++)
            {
                if (grown.Contains(topics[i]) && !(_broker.Image.GetTopic(topics[i].Name)?.Partitions.Count >= topics[i].Count))
                {
                    SetError(results[i], new ApiError(ErrorCode.RequestTimedOut, $"The new partitions of '{topics[i].Name}' are not yet visible on this broker."));
                }
            }
        }
    }

    private static void SetError(CreatePartitionsResponse.CreatePartitionsTopicResult result, ApiError error)
    {
        result.ErrorCode = (short)error.Code;
        result.ErrorMessage = error.Message;
    }
}
