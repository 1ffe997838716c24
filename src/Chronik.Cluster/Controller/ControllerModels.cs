using Chronik.Cluster.Metadata;

namespace Chronik.Cluster.Controller;

/// <summary>A topic to create (CreateTopics): -1 partitions / replication factor take the defaults; an assignment (partition → replicas) excludes both.</summary>
public sealed record CreatableTopic(
    string Name,
    int NumPartitions = -1,
    short ReplicationFactor = -1,
    IReadOnlyDictionary<int, IReadOnlyList<int>>? Assignments = null,
    IReadOnlyDictionary<string, string?>? Configs = null);

/// <summary>Outcome for one topic of CreateTopics.</summary>
public sealed record CreateTopicResult(string Name, ApiError Error, Guid TopicId = default, int NumPartitions = -1, short ReplicationFactor = -1);

/// <summary>A topic named by name or by id (DeleteTopics v6+ may use ids).</summary>
public sealed record TopicReference(string? Name, Guid TopicId = default);

/// <summary>Outcome for one topic of DeleteTopics.</summary>
public sealed record DeleteTopicResult(string? Name, Guid TopicId, ApiError Error);

/// <summary>CreatePartitions for one topic: the new total count and optionally the replicas of each new partition.</summary>
public sealed record CreatePartitionsTopic(string Name, int Count, IReadOnlyList<IReadOnlyList<int>>? Assignments = null);

public sealed record CreatePartitionsResult(string Name, ApiError Error);

/// <summary>IncrementalAlterConfigs operations (Kafka's AlterConfigOp.OpType: SET 0, DELETE 1, APPEND 2, SUBTRACT 3).</summary>
public enum ConfigOperation : byte
{
    Set = 0,
    Delete = 1,
    Append = 2,
    Subtract = 3,
}

public sealed record ConfigChange(string Name, ConfigOperation Operation, string? Value);

public sealed record AlterConfigsResource(ConfigResource Resource, IReadOnlyList<ConfigChange> Changes);

public sealed record AlterConfigsResult(ConfigResource Resource, ApiError Error);

/// <summary>BrokerRegistration: who the broker is and where clients reach it.</summary>
public sealed record BrokerRegistrationRequest(
    int BrokerId,
    Guid Incarnation,
    IReadOnlyList<BrokerEndpoint> Endpoints,
    string? Rack = null,
    string? HttpEndpoint = null,
    string? ClusterId = null);

public sealed record BrokerRegistrationResult(ApiError Error, long BrokerEpoch = -1);

/// <summary>BrokerHeartbeat: liveness, how far the broker's image is, and whether it wants to be fenced or shut down.</summary>
public sealed record BrokerHeartbeatRequest(int BrokerId, long BrokerEpoch, long CurrentMetadataOffset, bool WantFence = false, bool WantShutdown = false);

public sealed record BrokerHeartbeatResult(ApiError Error, bool IsCaughtUp = false, bool IsFenced = true, bool ShouldShutdown = false);

/// <summary>A member of a proposed ISR with the broker epoch the leader saw (-1 skips the epoch check).</summary>
public readonly record struct IsrMember(int BrokerId, long BrokerEpoch = -1);

/// <summary>One partition of AlterPartition: the leader's view (epochs) and the ISR it wants.</summary>
public sealed record AlterPartitionItem(Guid TopicId, int Partition, int LeaderEpoch, int PartitionEpoch, IReadOnlyList<IsrMember> NewIsr);

public sealed record AlterPartitionRequest(int BrokerId, long BrokerEpoch, IReadOnlyList<AlterPartitionItem> Partitions);

/// <summary>Outcome for one partition; on success <see cref="State"/> is the partition as committed.</summary>
public sealed record AlterPartitionItemResult(Guid TopicId, int Partition, ApiError Error, PartitionRegistration? State = null);

public sealed record AlterPartitionResult(ApiError Error, IReadOnlyList<AlterPartitionItemResult> Partitions);

public sealed record ProducerIdsResult(ApiError Error, long FirstProducerId = -1, int Size = 0);

/// <summary>The broker that runs in the controller's own process: its id (the quorum node id) and this process's incarnation.</summary>
public readonly record struct LocalBroker(int BrokerId, Guid Incarnation);

/// <summary>One partition by topic name.</summary>
public readonly record struct TopicPartitionRef(string Topic, int Partition)
{
    public override string ToString() => $"{Topic}-{Partition}";
}

/// <summary>ElectLeaders' election type (Kafka's ElectionType: PREFERRED 0, UNCLEAN 1).</summary>
public enum ElectionType : byte
{
    Preferred = 0,
    Unclean = 1,
}

/// <summary>Outcome of ElectLeaders for one partition (ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE, ...).</summary>
public sealed record ElectLeadersResult(TopicPartitionRef Partition, ApiError Error);

/// <summary>ElectLeaders' answer: a request-level error (NotController) or one result per partition.</summary>
public sealed record ElectLeadersOutcome(ApiError Error, IReadOnlyList<ElectLeadersResult> Partitions);

/// <summary>AlterPartitionReassignments for one partition: the target replicas, or null to cancel a running reassignment.</summary>
public sealed record PartitionReassignment(TopicPartitionRef Partition, IReadOnlyList<int>? Replicas);

public sealed record PartitionReassignmentResult(TopicPartitionRef Partition, ApiError Error);

/// <summary>A running reassignment as ListPartitionReassignments reports it.</summary>
public sealed record OngoingReassignment(TopicPartitionRef Partition, IReadOnlyList<int> Replicas, IReadOnlyList<int> AddingReplicas, IReadOnlyList<int> RemovingReplicas);
