using Chronik.Broker.Requests;
using Chronik.Cluster.Controller;
using Chronik.Protocol.Messages;

namespace Chronik.Broker.Handlers;

/// <summary>
/// AlterPartitionReassignments (key 45), v0 (KIP-455).
/// Behavior: per partition the controller starts a move to the given replicas (the new ones are added,
/// catch up and join the ISR, then the old ones are removed — see Chronik.Cluster's
/// ReassignmentDecisions) or, with null replicas, cancels a running one (NO_REASSIGNMENT_IN_PROGRESS
/// when none runs). Targets must be non-empty, without duplicates, on registered brokers
/// (INVALID_REPLICA_ASSIGNMENT); unknown partitions answer UNKNOWN_TOPIC_OR_PARTITION. Served on every
/// node and forwarded to the controller; timeout_ms bounds the wait (REQUEST_TIMED_OUT).
/// </summary>
public sealed class AlterPartitionReassignmentsHandler(BrokerNode broker) : ApiHandler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse>
{
    public override ApiKey ApiKey => ApiKey.AlterPartitionReassignments;

    public override short MinVersion => 0;

    public override short MaxVersion => 0;

    protected override async ValueTask<AlterPartitionReassignmentsResponse?> HandleAsync(RequestContext context, AlterPartitionReassignmentsRequest request)
    {
        var reassignments = new List<PartitionReassignment>();
        foreach (AlterPartitionReassignmentsRequest.ReassignableTopic topic in request.Topics)
        {
            foreach (AlterPartitionReassignmentsRequest.ReassignablePartition partition in topic.Partitions)
            {
                reassignments.Add(new PartitionReassignment(new TopicPartitionRef(topic.Name, partition.PartitionIndex), partition.Replicas));
            }
        }

        using CancellationTokenSource deadline = AdminSupport.Deadline(context, request.TimeoutMs > 0 ? request.TimeoutMs : AdminSupport.DefaultForwardTimeoutMs);
        IReadOnlyList<PartitionReassignmentResult> results;
        try
        {
            results = await broker.ControllerFor(context).AlterPartitionReassignmentsAsync(reassignments, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
        {
            ApiError timedOut = AdminSupport.TimedOut("The reassignment");
            return new AlterPartitionReassignmentsResponse { ErrorCode = (short)timedOut.Code, ErrorMessage = timedOut.Message };
        }

        var response = new AlterPartitionReassignmentsResponse { ErrorMessage = null };
        foreach (IGrouping<string, PartitionReassignmentResult> topic in results.GroupBy(r => r.Partition.Topic, StringComparer.Ordinal))
        {
            response.Responses.Add(new AlterPartitionReassignmentsResponse.ReassignableTopicResponse
            {
                Name = topic.Key,
                Partitions = topic.Select(r => new AlterPartitionReassignmentsResponse.ReassignablePartitionResponse
                {
                    PartitionIndex = r.Partition.Partition,
                    ErrorCode = (short)r.Error.Code,
                    ErrorMessage = r.Error.Message,
                }).ToList(),
            });
        }

        return response;
    }
}
