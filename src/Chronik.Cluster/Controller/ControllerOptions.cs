namespace Chronik.Cluster.Controller;

/// <summary>Controller settings, with Kafka's names and defaults.</summary>
public sealed class ControllerOptions
{
    /// <summary>num.partitions: partitions of a topic created with -1 (default 1).</summary>
    public int DefaultNumPartitions { get; init; } = 1;

    /// <summary>default.replication.factor: replicas of a topic created with -1 (default 1).</summary>
    public short DefaultReplicationFactor { get; init; } = 1;

    /// <summary>broker.session.timeout.ms: a broker that has not heartbeaten for this long is fenced (default 9 s).</summary>
    public TimeSpan BrokerSessionTimeout { get; init; } = TimeSpan.FromMilliseconds(9000);

    /// <summary>How often the controller looks for expired broker sessions.</summary>
    public TimeSpan LivenessCheckInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Producer ids handed out per AllocateProducerIds request (Kafka uses blocks of 1000).</summary>
    public int ProducerIdBlockSize { get; init; } = 1000;

    /// <summary>auto.leader.rebalance.enable: move leadership back to preferred replicas periodically (default true).</summary>
    public bool AutoLeaderRebalanceEnable { get; init; } = true;

    /// <summary>leader.imbalance.check.interval.seconds: how often the rebalance check runs (default 300 s).</summary>
    public TimeSpan LeaderImbalanceCheckInterval { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>leader.imbalance.per.broker.percentage: a broker's share of non-preferred leaderships that triggers a rebalance (default 10).</summary>
    public int LeaderImbalancePerBrokerPercentage { get; init; } = 10;

    /// <summary>unclean.leader.election.enable, the broker default; a topic config overrides it.</summary>
    public bool UncleanLeaderElectionEnable { get; init; }

    /// <summary>Kafka's cap on partitions created by one request (MAX_PARTITIONS_PER_BATCH).</summary>
    public int MaxPartitionsPerRequest { get; init; } = 10_000;
}
