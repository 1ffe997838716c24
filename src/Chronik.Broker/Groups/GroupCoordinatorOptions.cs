using Chronik.Broker.Configs;

namespace Chronik.Broker.Groups;

/// <summary>
/// The group coordinator's settings, with Kafka 4.x's names and defaults. Those in the broker config
/// catalog come from it (<see cref="FromConfigs"/>); the rest keep Kafka's defaults.
/// </summary>
public sealed class GroupCoordinatorOptions
{
    /// <summary>offsets.topic.num.partitions: partitions of __consumer_offsets; fixed once the topic exists.</summary>
    public int OffsetsTopicNumPartitions { get; init; } = 50;

    /// <summary>offsets.topic.replication.factor.</summary>
    public short OffsetsTopicReplicationFactor { get; init; } = 3;

    /// <summary>offsets.topic.segment.bytes: segment.bytes of __consumer_offsets.</summary>
    public int OffsetsTopicSegmentBytes { get; init; } = 104_857_600;

    /// <summary>group.min.session.timeout.ms.</summary>
    public int GroupMinSessionTimeoutMs { get; init; } = 6_000;

    /// <summary>group.max.session.timeout.ms.</summary>
    public int GroupMaxSessionTimeoutMs { get; init; } = 1_800_000;

    /// <summary>group.initial.rebalance.delay.ms: how long a new classic group waits for more members.</summary>
    public int GroupInitialRebalanceDelayMs { get; init; } = 3_000;

    /// <summary>group.max.size: members of one classic group.</summary>
    public int GroupMaxSize { get; init; } = int.MaxValue;

    /// <summary>offsets.retention.minutes, in milliseconds.</summary>
    public long OffsetsRetentionMs { get; init; } = 7L * 24 * 60 * 60 * 1000;

    /// <summary>offsets.retention.check.interval.ms.</summary>
    public long OffsetsRetentionCheckIntervalMs { get; init; } = 600_000;

    /// <summary>offset.metadata.max.bytes: longest metadata string of a committed offset.</summary>
    public int OffsetMetadataMaxBytes { get; init; } = 4096;

    /// <summary>group.consumer.session.timeout.ms (KIP-848).</summary>
    public int ConsumerGroupSessionTimeoutMs { get; init; } = 45_000;

    /// <summary>group.consumer.heartbeat.interval.ms (KIP-848).</summary>
    public int ConsumerGroupHeartbeatIntervalMs { get; init; } = 5_000;

    /// <summary>group.consumer.max.size (KIP-848).</summary>
    public int ConsumerGroupMaxSize { get; init; } = int.MaxValue;

    /// <summary>group.consumer.assignors: the server-side assignors; the first is the default.</summary>
    public IReadOnlyList<string> ConsumerGroupAssignors { get; init; } = [Consumer.UniformAssignor.AssignorName, Consumer.RangeAssignor.AssignorName];

    /// <summary>The options from the broker's configs.</summary>
    public static GroupCoordinatorOptions FromConfigs(BrokerConfigs configs) => new()
    {
        OffsetsTopicNumPartitions = configs.GetInt32(BrokerConfigCatalog.OffsetsTopicNumPartitions),
        OffsetsTopicReplicationFactor = configs.GetInt16(BrokerConfigCatalog.OffsetsTopicReplicationFactor),
        OffsetsTopicSegmentBytes = configs.GetInt32(BrokerConfigCatalog.OffsetsTopicSegmentBytes),
        GroupMinSessionTimeoutMs = configs.GetInt32(BrokerConfigCatalog.GroupMinSessionTimeoutMs),
        GroupMaxSessionTimeoutMs = configs.GetInt32(BrokerConfigCatalog.GroupMaxSessionTimeoutMs),
        GroupInitialRebalanceDelayMs = configs.GetInt32(BrokerConfigCatalog.GroupInitialRebalanceDelayMs),
        OffsetsRetentionMs = configs.GetInt32(BrokerConfigCatalog.OffsetsRetentionMinutes) * 60_000L,
        ConsumerGroupSessionTimeoutMs = configs.GetInt32(BrokerConfigCatalog.GroupConsumerSessionTimeoutMs),
        ConsumerGroupHeartbeatIntervalMs = configs.GetInt32(BrokerConfigCatalog.GroupConsumerHeartbeatIntervalMs),
    };
}
