using Chronik.Cluster.Metadata;

namespace Chronik.Cluster.Controller;

/// <summary>
/// The controller operations a broker needs. Each call returns per-item Kafka errors rather than
/// throwing; NotController means "ask again, elsewhere / later". <see cref="ControllerService"/> is the
/// in-process implementation (it acts while this node is the Raft leader); the broker layer routes
/// calls to it or forwards them to the leader over the Kafka protocol (Chronik.Broker/Controller).
/// </summary>
public interface IControllerClient
{
    Task<IReadOnlyList<CreateTopicResult>> CreateTopicsAsync(IReadOnlyList<CreatableTopic> topics, bool validateOnly, CancellationToken cancellationToken);

    Task<IReadOnlyList<DeleteTopicResult>> DeleteTopicsAsync(IReadOnlyList<TopicReference> topics, CancellationToken cancellationToken);

    Task<IReadOnlyList<CreatePartitionsResult>> CreatePartitionsAsync(IReadOnlyList<CreatePartitionsTopic> topics, bool validateOnly, CancellationToken cancellationToken);

    Task<IReadOnlyList<AlterConfigsResult>> AlterConfigsAsync(IReadOnlyList<AlterConfigsResource> resources, bool validateOnly, CancellationToken cancellationToken);

    Task<BrokerRegistrationResult> RegisterBrokerAsync(BrokerRegistrationRequest request, CancellationToken cancellationToken);

    Task<BrokerHeartbeatResult> BrokerHeartbeatAsync(BrokerHeartbeatRequest request, CancellationToken cancellationToken);

    Task<AlterPartitionResult> AlterPartitionAsync(AlterPartitionRequest request, CancellationToken cancellationToken);

    Task<ProducerIdsResult> AllocateProducerIdsAsync(int brokerId, long brokerEpoch, CancellationToken cancellationToken);

    /// <summary>ElectLeaders: <paramref name="partitions"/> null means every partition (only those that needed an election are answered).</summary>
    Task<ElectLeadersOutcome> ElectLeadersAsync(ElectionType type, IReadOnlyList<TopicPartitionRef>? partitions, CancellationToken cancellationToken);

    Task<IReadOnlyList<PartitionReassignmentResult>> AlterPartitionReassignmentsAsync(IReadOnlyList<PartitionReassignment> reassignments, CancellationToken cancellationToken);

    Task<ApiError> UnregisterBrokerAsync(int brokerId, CancellationToken cancellationToken);
}
