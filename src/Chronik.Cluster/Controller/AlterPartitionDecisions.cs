using Chronik.Cluster.Metadata;
using Chronik.Protocol.Wire;

namespace Chronik.Cluster.Controller;

/// <summary>
/// AlterPartition (KIP-497/KIP-903): a partition leader asks to change its ISR. The request carries
/// the leader's leader epoch and partition epoch; the controller checks them in Kafka's order:
/// unknown partition, epochs newer than ours (NotController: we are a stale controller), older leader
/// epoch (FencedLeaderEpoch), requester not the leader (InvalidRequest), older partition epoch
/// (InvalidUpdateVersion), ISR not a subset of the replicas or without the leader (InvalidRequest),
/// members not registered / fenced / of another epoch (IneligibleReplica). An accepted ISR that holds
/// every target replica of a running reassignment completes it (<see cref="PartitionChangeBuilder"/>).
/// </summary>
public static class AlterPartitionDecisions
{
    public static ControllerResult<AlterPartitionResult> Decide(MetadataImage image, AlterPartitionRequest request)
    {
        BrokerRegistration? requester = image.GetBroker(request.BrokerId);
        if (requester is null || (request.BrokerEpoch != -1 && requester.BrokerEpoch != request.BrokerEpoch))
        {
            return ControllerResult.Of(new AlterPartitionResult(
                new ApiError(ErrorCode.StaleBrokerEpoch, $"Broker {request.BrokerId} epoch {request.BrokerEpoch} is not the registered one."), []));
        }

        var results = new List<AlterPartitionItemResult>(request.Partitions.Count);
        var records = new List<MetadataRecord>();
        MetadataImage working = image;
        foreach (AlterPartitionItem item in request.Partitions)
        {
            if (working.GetTopic(item.TopicId) is null)
            {
                results.Add(new AlterPartitionItemResult(item.TopicId, item.Partition, new ApiError(ErrorCode.UnknownTopicId)));
                continue;
            }

            PartitionRegistration? partition = working.GetPartition(item.TopicId, item.Partition);
            ApiError error = Validate(working, request.BrokerId, partition, item);
            if (error.IsError)
            {
                results.Add(new AlterPartitionItemResult(item.TopicId, item.Partition, error));
                continue;
            }

            // A grown ISR may complete a reassignment (the new replicas caught up): the builder then also
            // drops the removed replicas and, if the leader was one of them, elects another.
            var change = new PartitionChangeBuilder(working, item.TopicId, partition!) { TargetIsr = [.. item.NewIsr.Select(m => m.BrokerId)] }.Build();
            if (change is not null)
            {
                records.Add(change);
                working = working.Apply(change);
            }

            results.Add(new AlterPartitionItemResult(item.TopicId, item.Partition, ApiError.None, working.GetPartition(item.TopicId, item.Partition)));
        }

        return ControllerResult.Of(new AlterPartitionResult(ApiError.None, results), records);
    }

    private static ApiError Validate(MetadataImage image, int brokerId, PartitionRegistration? partition, AlterPartitionItem item)
    {
        if (partition is null)
        {
            return new ApiError(ErrorCode.UnknownTopicOrPartition);
        }

        if (item.LeaderEpoch > partition.LeaderEpoch || item.PartitionEpoch > partition.PartitionEpoch)
        {
            return new ApiError(ErrorCode.NotController, "The request carries epochs newer than this controller knows.");
        }

        if (item.LeaderEpoch < partition.LeaderEpoch)
        {
            return new ApiError(ErrorCode.FencedLeaderEpoch, $"The leader epoch is {partition.LeaderEpoch}, not {item.LeaderEpoch}.");
        }

        if (brokerId != partition.Leader)
        {
            return new ApiError(ErrorCode.InvalidRequest, $"Broker {brokerId} is not the leader of the partition; {partition.Leader} is.");
        }

        if (item.PartitionEpoch < partition.PartitionEpoch)
        {
            return new ApiError(ErrorCode.InvalidUpdateVersion, $"The partition epoch is {partition.PartitionEpoch}, not {item.PartitionEpoch}.");
        }

        var seen = new HashSet<int>();
        foreach (IsrMember member in item.NewIsr)
        {
            if (!partition.Replicas.Contains(member.BrokerId) || !seen.Add(member.BrokerId))
            {
                return new ApiError(ErrorCode.InvalidRequest, $"The new ISR {string.Join(",", item.NewIsr.Select(m => m.BrokerId))} is not a set of replicas of the partition.");
            }
        }

        if (!seen.Contains(partition.Leader))
        {
            return new ApiError(ErrorCode.InvalidRequest, "The new ISR must include the leader.");
        }

        foreach (IsrMember member in item.NewIsr)
        {
            BrokerRegistration? broker = image.GetBroker(member.BrokerId);
            string? reason = broker is null ? "not registered"
                : broker.Fenced ? "fenced"
                : member.BrokerEpoch != -1 && member.BrokerEpoch != broker.BrokerEpoch ? $"broker epoch mismatch: requested={member.BrokerEpoch} VS expected={broker.BrokerEpoch}"
                : null;
            if (reason is not null)
            {
                return new ApiError(ErrorCode.IneligibleReplica, $"Replica {member.BrokerId} is ineligible for the ISR: {reason}.");
            }
        }

        return ApiError.None;
    }
}
