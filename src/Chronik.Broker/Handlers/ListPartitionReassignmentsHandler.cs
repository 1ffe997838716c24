using Chronik.Broker.Requests;
using Chronik.Cluster.Controller;
using Chronik.Protocol.Messages;

namespace Chronik.Broker.Handlers;

/// <summary>
/// ListPartitionReassignments (key 46), v0 (KIP-455).
/// Behavior: the running reassignments (replicas, adding, removing) of every partition, or of the named
/// ones (partitions that are unknown or not being moved are left out). Answered from this broker's
/// metadata image, where the reassignment state lives, instead of asking the controller (Kafka forwards
/// it): the image follows the controller's log, so the answer is the controller's as of that offset.
/// </summary>
public sealed class ListPartitionReassignmentsHandler(BrokerNode broker) : ApiHandler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse>
{
    public override ApiKey ApiKey => ApiKey.ListPartitionReassignments;

    public override short MinVersion => 0;

    public override short MaxVersion => 0;

    protected override ValueTask<ListPartitionReassignmentsResponse?> HandleAsync(RequestContext context, ListPartitionReassignmentsRequest request)
    {
        List<TopicPartitionRef>? wanted = request.Topics?.SelectMany(t => t.PartitionIndexes.Select(p => new TopicPartitionRef(t.Name, p))).ToList();
        var response = new ListPartitionReassignmentsResponse { ErrorMessage = null };
        foreach (IGrouping<string, OngoingReassignment> topic in ReassignmentDecisions.List(broker.Image, wanted).GroupBy(r => r.Partition.Topic, StringComparer.Ordinal))
        {
            response.Topics.Add(new ListPartitionReassignmentsResponse.OngoingTopicReassignment
            {
                Name = topic.Key,
                Partitions = topic.Select(r => new ListPartitionReassignmentsResponse.OngoingPartitionReassignment
                {
                    PartitionIndex = r.Partition.Partition,
                    Replicas = [.. r.Replicas],
                    AddingReplicas = [.. r.AddingReplicas],
                    RemovingReplicas = [.. r.RemovingReplicas],
                }).ToList(),
            });
        }

        return new(response);
    }
}
