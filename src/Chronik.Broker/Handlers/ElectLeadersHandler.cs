using Chronik.Broker.Requests;
using Chronik.Cluster.Controller;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Handlers;

/// <summary>
/// ElectLeaders (key 43), v0-2 (KIP-183, KIP-460).
/// Behavior: the controller elects leaders for the named partitions, or for every partition when the
/// list is null (then only partitions that needed an election are answered). Preferred: the first
/// replica leads if it is in the ISR and alive (ELECTION_NOT_NEEDED when it already leads,
/// PREFERRED_LEADER_NOT_AVAILABLE otherwise). Unclean, only when asked for: a leaderless partition gets
/// the first live replica even outside the ISR (ELIGIBLE_LEADERS_NOT_AVAILABLE when none is alive).
/// Unknown partitions: UNKNOWN_TOPIC_OR_PARTITION. An unknown election type: INVALID_REQUEST. Served on
/// every node and forwarded to the controller; timeout_ms bounds the wait (REQUEST_TIMED_OUT).
/// Version notes: v1 election type and a top-level error code; v2 flexible.
/// </summary>
public sealed class ElectLeadersHandler(BrokerNode broker) : ApiHandler<ElectLeadersRequest, ElectLeadersResponse>
{
    public override ApiKey ApiKey => ApiKey.ElectLeaders;

    public override short MinVersion => 0;

    public override short MaxVersion => 2;

    protected override async ValueTask<ElectLeadersResponse?> HandleAsync(RequestContext context, ElectLeadersRequest request)
    {
        short version = context.ApiVersion;
        List<TopicPartitionRef>? partitions = request.TopicPartitions?.SelectMany(t => t.Partitions.Select(p => new TopicPartitionRef(t.Topic, p))).ToList();
        sbyte type = version == 0 ? (sbyte)ElectionType.Preferred : request.ElectionType;
        if (type is not ((sbyte)ElectionType.Preferred or (sbyte)ElectionType.Unclean))
        {
            return Failed(version, partitions, new ApiError(ErrorCode.InvalidRequest, $"Unknown election type {type}"));
        }

        using CancellationTokenSource deadline = AdminSupport.Deadline(context, request.TimeoutMs > 0 ? request.TimeoutMs : AdminSupport.DefaultForwardTimeoutMs);
        ElectLeadersOutcome outcome;
        try
        {
            outcome = await broker.ControllerFor(context).ElectLeadersAsync((ElectionType)type, partitions, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
        {
            return Failed(version, partitions, AdminSupport.TimedOut("The leader election"));
        }

        if (outcome.Error.IsError)
        {
            return Failed(version, partitions, outcome.Error);
        }

        return Answer(outcome.Partitions);
    }

    /// <summary>v1+: a request-level error; v0 has no such field, so every named partition carries it.</summary>
    private static ElectLeadersResponse Failed(short version, List<TopicPartitionRef>? partitions, ApiError error)
    {
        if (version >= 1)
        {
            return new ElectLeadersResponse { ErrorCode = (short)error.Code };
        }

        return Answer((partitions ?? []).Select(p => new ElectLeadersResult(p, error)).ToList());
    }

    private static ElectLeadersResponse Answer(IReadOnlyList<ElectLeadersResult> results)
    {
        var response = new ElectLeadersResponse();
        foreach (IGrouping<string, ElectLeadersResult> topic in results.GroupBy(r => r.Partition.Topic, StringComparer.Ordinal))
        {
            response.ReplicaElectionResults.Add(new ElectLeadersResponse.ReplicaElectionResult
            {
                Topic = topic.Key,
                PartitionResult = topic.Select(r => new ElectLeadersResponse.PartitionResult
                {
                    PartitionId = r.Partition.Partition,
                    ErrorCode = (short)r.Error.Code,
                    ErrorMessage = r.Error.Message,
                }).ToList(),
            });
        }

        return response;
    }
}
