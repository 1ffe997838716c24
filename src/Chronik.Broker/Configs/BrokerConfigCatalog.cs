namespace Chronik.Broker.Configs;

/// <summary>
/// The Kafka broker configs Chronik accepts, with Kafka 4.x's names, types, defaults and bounds. The one
/// table behind --override, CHRONIK_BROKER_*, the [broker] table of the config file, and DescribeConfigs
/// of a broker. A name not in this table is refused, so a typo never passes silently. Every broker
/// synonym of a topic config (<see cref="TopicConfigCatalog"/>) is here, so each topic default can be
/// set broker-wide.
/// </summary>
/// <remarks>
/// None of these is updated dynamically yet: AlterConfigs / IncrementalAlterConfigs on a broker resource
/// answer INVALID_REQUEST "Cannot update these configs dynamically", as Kafka answers for its read-only
/// broker configs, and DescribeConfigs reports every broker config read-only.
/// </remarks>
public static class BrokerConfigCatalog
{
    public const string AutoCreateTopicsEnable = "auto.create.topics.enable";
    public const string AutoLeaderRebalanceEnable = "auto.leader.rebalance.enable";
    public const string BrokerHeartbeatIntervalMs = "broker.heartbeat.interval.ms";
    public const string BrokerRack = "broker.rack";
    public const string BrokerSessionTimeoutMs = "broker.session.timeout.ms";
    public const string CompressionGzipLevel = "compression.gzip.level";
    public const string CompressionLz4Level = "compression.lz4.level";
    public const string CompressionType = "compression.type";
    public const string CompressionZstdLevel = "compression.zstd.level";
    public const string ConnectionsMaxIdleMs = "connections.max.idle.ms";
    public const string DefaultReplicationFactor = "default.replication.factor";
    public const string DeleteTopicEnable = "delete.topic.enable";
    public const string FetchMaxBytes = "fetch.max.bytes";
    public const string GroupConsumerHeartbeatIntervalMs = "group.consumer.heartbeat.interval.ms";
    public const string GroupConsumerSessionTimeoutMs = "group.consumer.session.timeout.ms";
    public const string GroupInitialRebalanceDelayMs = "group.initial.rebalance.delay.ms";
    public const string GroupMaxSessionTimeoutMs = "group.max.session.timeout.ms";
    public const string GroupMinSessionTimeoutMs = "group.min.session.timeout.ms";
    public const string LeaderImbalanceCheckIntervalSeconds = "leader.imbalance.check.interval.seconds";
    public const string LeaderImbalancePerBrokerPercentage = "leader.imbalance.per.broker.percentage";
    public const string LogCleanerDeleteRetentionMs = "log.cleaner.delete.retention.ms";
    public const string LogCleanerMaxCompactionLagMs = "log.cleaner.max.compaction.lag.ms";
    public const string LogCleanerMinCleanableRatio = "log.cleaner.min.cleanable.ratio";
    public const string LogCleanerMinCompactionLagMs = "log.cleaner.min.compaction.lag.ms";
    public const string LogCleanupPolicy = "log.cleanup.policy";
    public const string LogFlushIntervalMessages = "log.flush.interval.messages";
    public const string LogFlushIntervalMs = "log.flush.interval.ms";
    public const string LogIndexIntervalBytes = "log.index.interval.bytes";
    public const string LogIndexSizeMaxBytes = "log.index.size.max.bytes";
    public const string LogLocalRetentionBytes = "log.local.retention.bytes";
    public const string LogLocalRetentionMs = "log.local.retention.ms";
    public const string LogMessageTimestampAfterMaxMs = "log.message.timestamp.after.max.ms";
    public const string LogMessageTimestampBeforeMaxMs = "log.message.timestamp.before.max.ms";
    public const string LogMessageTimestampType = "log.message.timestamp.type";
    public const string LogPreallocate = "log.preallocate";
    public const string LogRetentionBytes = "log.retention.bytes";
    public const string LogRetentionCheckIntervalMs = "log.retention.check.interval.ms";
    public const string LogRetentionHours = "log.retention.hours";
    public const string LogRetentionMinutes = "log.retention.minutes";
    public const string LogRetentionMs = "log.retention.ms";
    public const string LogRollHours = "log.roll.hours";
    public const string LogRollJitterHours = "log.roll.jitter.hours";
    public const string LogRollJitterMs = "log.roll.jitter.ms";
    public const string LogRollMs = "log.roll.ms";
    public const string LogSegmentBytes = "log.segment.bytes";
    public const string LogSegmentDeleteDelayMs = "log.segment.delete.delay.ms";
    public const string MaxConnections = "max.connections";
    public const string MaxRequestPartitionSizeLimit = "max.request.partition.size.limit";
    public const string MessageMaxBytes = "message.max.bytes";
    public const string MinInsyncReplicas = "min.insync.replicas";
    public const string NumPartitions = "num.partitions";
    public const string OffsetsRetentionMinutes = "offsets.retention.minutes";
    public const string OffsetsTopicNumPartitions = "offsets.topic.num.partitions";
    public const string OffsetsTopicReplicationFactor = "offsets.topic.replication.factor";
    public const string OffsetsTopicSegmentBytes = "offsets.topic.segment.bytes";
    public const string ProducerIdExpirationMs = "producer.id.expiration.ms";
    public const string ReplicaFetchMaxBytes = "replica.fetch.max.bytes";
    public const string ReplicaLagTimeMaxMs = "replica.lag.time.max.ms";
    public const string SocketRequestMaxBytes = "socket.request.max.bytes";
    public const string TransactionMaxTimeoutMs = "transaction.max.timeout.ms";
    public const string TransactionPartitionVerificationEnable = "transaction.partition.verification.enable";
    public const string TransactionStateLogMinIsr = "transaction.state.log.min.isr";
    public const string TransactionStateLogNumPartitions = "transaction.state.log.num.partitions";
    public const string TransactionStateLogReplicationFactor = "transaction.state.log.replication.factor";
    public const string TransactionalIdExpirationMs = "transactional.id.expiration.ms";
    public const string UncleanLeaderElectionEnable = "unclean.leader.election.enable";

    private const string LongMax = "9223372036854775807";
    private const string IntMax = "2147483647";

    /// <summary>Every accepted config, sorted by name.</summary>
    public static IReadOnlyList<BrokerConfigDefinition> All { get; } =
    [
        new(AutoCreateTopicsEnable, BrokerConfigType.Boolean, "true", "Create a topic when a client asks for metadata of (or produces to) a topic that does not exist."),
        new(AutoLeaderRebalanceEnable, BrokerConfigType.Boolean, "true", "The controller periodically moves leadership back to preferred replicas (see leader.imbalance.*)."),
        new(BrokerHeartbeatIntervalMs, BrokerConfigType.Int, "2000", "How often this broker heartbeats to the controller.", min: 1),
        new(BrokerRack, BrokerConfigType.String, null, "Rack of this broker, used for rack-aware replica placement."),
        new(BrokerSessionTimeoutMs, BrokerConfigType.Int, "9000", "A broker the controller has not heard from for this long is fenced and its leaderships move.", min: 1),
        new(CompressionGzipLevel, BrokerConfigType.Int, "-1", "Default gzip level of topics (topic config compression.gzip.level); -1 or 1-9.", min: -1, max: 9),
        new(CompressionLz4Level, BrokerConfigType.Int, "9", "Default lz4 level of topics (topic config compression.lz4.level).", min: 1, max: 17),
        new(CompressionType, BrokerConfigType.String, "producer", "Compression of stored batches; 'producer' keeps the producer's codec.",
            validValues: ["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"]),
        new(CompressionZstdLevel, BrokerConfigType.Int, "3", "Default zstd level of topics (topic config compression.zstd.level).", min: -131072, max: 22),
        new(ConnectionsMaxIdleMs, BrokerConfigType.Long, "600000", "Close connections idle for this many milliseconds."),
        new(DefaultReplicationFactor, BrokerConfigType.Int, "1", "Replication factor of automatically created topics.", min: 1),
        new(DeleteTopicEnable, BrokerConfigType.Boolean, "true", "Allow DeleteTopics."),
        new(FetchMaxBytes, BrokerConfigType.Int, "57671680", "Largest response a Fetch request returns.", min: 1024),
        new(GroupConsumerHeartbeatIntervalMs, BrokerConfigType.Int, "5000", "Heartbeat interval of consumer-protocol (KIP-848) group members.", min: 1),
        new(GroupConsumerSessionTimeoutMs, BrokerConfigType.Int, "45000", "Session timeout of consumer-protocol (KIP-848) group members.", min: 1),
        new(GroupInitialRebalanceDelayMs, BrokerConfigType.Int, "3000", "How long a new classic group waits for more members before the first rebalance.", min: 0),
        new(GroupMaxSessionTimeoutMs, BrokerConfigType.Int, "1800000", "Largest session timeout a classic group member may ask for."),
        new(GroupMinSessionTimeoutMs, BrokerConfigType.Int, "6000", "Smallest session timeout a classic group member may ask for."),
        new(LeaderImbalanceCheckIntervalSeconds, BrokerConfigType.Long, "300", "How often the controller checks for leader imbalance.", min: 1),
        new(LeaderImbalancePerBrokerPercentage, BrokerConfigType.Int, "10", "Share of a broker's preferred partitions led elsewhere that triggers a rebalance.", min: 0, max: 100),
        new(LogCleanerDeleteRetentionMs, BrokerConfigType.Long, "86400000", "Default delete.retention.ms of topics: how long compaction keeps tombstones.", min: 0),
        new(LogCleanerMaxCompactionLagMs, BrokerConfigType.Long, LongMax, "Default max.compaction.lag.ms of topics.", min: 1),
        new(LogCleanerMinCleanableRatio, BrokerConfigType.Double, "0.5", "Default min.cleanable.dirty.ratio of topics.", min: 0, max: 1),
        new(LogCleanerMinCompactionLagMs, BrokerConfigType.Long, "0", "Default min.compaction.lag.ms of topics.", min: 0),
        new(LogCleanupPolicy, BrokerConfigType.List, "delete", "Default cleanup policy of topics: delete, compact or both.",
            validValues: ["delete", "compact"]),
        new(LogFlushIntervalMessages, BrokerConfigType.Long, null, "Default flush.messages of topics. Unset (Chronik's default, Kafka's is Long.MAX): every append is fsynced before it is acknowledged.", min: 1),
        new(LogFlushIntervalMs, BrokerConfigType.Long, null, "Default flush.ms of topics. Unset (Chronik's default): every append is fsynced before it is acknowledged.", min: 0),
        new(LogIndexIntervalBytes, BrokerConfigType.Int, "4096", "Bytes between offset index entries.", min: 0),
        new(LogIndexSizeMaxBytes, BrokerConfigType.Int, "10485760", "Default segment.index.bytes of topics: size limit of a segment's offset index.", min: 4),
        new(LogLocalRetentionBytes, BrokerConfigType.Long, "-2", "Default local.retention.bytes of topics (tiered storage); -2 means retention.bytes.", min: -2),
        new(LogLocalRetentionMs, BrokerConfigType.Long, "-2", "Default local.retention.ms of topics (tiered storage); -2 means retention.ms.", min: -2),
        new(LogMessageTimestampAfterMaxMs, BrokerConfigType.Long, "3600000", "How far in the future a record timestamp may be (CreateTime).", min: 0),
        new(LogMessageTimestampBeforeMaxMs, BrokerConfigType.Long, LongMax, "How far in the past a record timestamp may be (CreateTime).", min: 0),
        new(LogMessageTimestampType, BrokerConfigType.String, "CreateTime", "Record timestamps: the producer's CreateTime or the broker's LogAppendTime.",
            validValues: ["CreateTime", "LogAppendTime"]),
        new(LogPreallocate, BrokerConfigType.Boolean, "false", "Default preallocate of topics (accepted; Chronik does not preallocate)."),
        new(LogRetentionBytes, BrokerConfigType.Long, "-1", "Bytes kept per partition before old segments are deleted; -1 is unlimited."),
        new(LogRetentionCheckIntervalMs, BrokerConfigType.Long, "300000", "How often retention is checked.", min: 1),
        new(LogRetentionHours, BrokerConfigType.Int, "168", "Hours a segment is kept; log.retention.minutes and log.retention.ms take precedence."),
        new(LogRetentionMinutes, BrokerConfigType.Int, null, "Minutes a segment is kept; log.retention.ms takes precedence."),
        new(LogRetentionMs, BrokerConfigType.Long, null, "Milliseconds a segment is kept; -1 is unlimited."),
        new(LogRollHours, BrokerConfigType.Int, "168", "Hours after which a new segment is rolled; log.roll.ms takes precedence.", min: 1),
        new(LogRollJitterHours, BrokerConfigType.Int, "0", "Default segment.jitter.ms of topics, in hours; log.roll.jitter.ms takes precedence.", min: 0),
        new(LogRollJitterMs, BrokerConfigType.Long, null, "Default segment.jitter.ms of topics."),
        new(LogRollMs, BrokerConfigType.Long, null, "Milliseconds after which a new segment is rolled."),
        new(LogSegmentBytes, BrokerConfigType.Int, "1073741824", "Size of one log segment file (at least 1 MiB since Kafka 4.0, KIP-1030).", min: 1_048_576),
        new(LogSegmentDeleteDelayMs, BrokerConfigType.Long, "60000", "Default file.delete.delay.ms of topics: how long a deleted segment stays on disk.", min: 0),
        new(MaxConnections, BrokerConfigType.Int, IntMax, "Kafka connections open at once; further connections are closed at accept.", min: 0),
        new(MaxRequestPartitionSizeLimit, BrokerConfigType.Int, "2000", "Most partitions one DescribeTopicPartitions response carries.", min: 1),
        new(MessageMaxBytes, BrokerConfigType.Int, "1048588", "Largest record batch the broker accepts.", min: 0),
        new(MinInsyncReplicas, BrokerConfigType.Int, "1", "In-sync replicas an acks=all produce needs.", min: 1),
        new(NumPartitions, BrokerConfigType.Int, "1", "Partitions of automatically created topics.", min: 1),
        new(OffsetsRetentionMinutes, BrokerConfigType.Int, "10080", "Minutes committed offsets of an empty group are kept.", min: 1),
        new(OffsetsTopicNumPartitions, BrokerConfigType.Int, "50", "Partitions of __consumer_offsets (cannot change after it is created).", min: 1),
        new(OffsetsTopicReplicationFactor, BrokerConfigType.Short, "3", "Replication factor of __consumer_offsets.", min: 1),
        new(OffsetsTopicSegmentBytes, BrokerConfigType.Int, "104857600", "Segment size of __consumer_offsets.", min: 1),
        new(ProducerIdExpirationMs, BrokerConfigType.Int, "86400000", "How long an idle producer id's state is kept.", min: 1),
        new(ReplicaFetchMaxBytes, BrokerConfigType.Int, "1048576", "Bytes a follower fetches per partition per request.", min: 0),
        new(ReplicaLagTimeMaxMs, BrokerConfigType.Long, "30000", "A follower not caught up for this long leaves the ISR."),
        new(SocketRequestMaxBytes, BrokerConfigType.Int, "104857600", "Largest request frame; a larger size prefix closes the connection.", min: 1),
        new(TransactionMaxTimeoutMs, BrokerConfigType.Int, "900000", "Largest transaction timeout a producer may ask for.", min: 1),
        new(TransactionPartitionVerificationEnable, BrokerConfigType.Boolean, "true", "Verify with the transaction coordinator that a partition is in the transaction before its first transactional write (KIP-890)."),
        new(TransactionStateLogMinIsr, BrokerConfigType.Int, "2", "min.insync.replicas of __transaction_state.", min: 1),
        new(TransactionStateLogNumPartitions, BrokerConfigType.Int, "50", "Partitions of __transaction_state.", min: 1),
        new(TransactionStateLogReplicationFactor, BrokerConfigType.Short, "3", "Replication factor of __transaction_state.", min: 1),
        new(TransactionalIdExpirationMs, BrokerConfigType.Int, "604800000", "How long an idle transactional id is kept.", min: 1),
        new(UncleanLeaderElectionEnable, BrokerConfigType.Boolean, "false", "Allow a replica outside the ISR to become leader (may lose data)."),
    ];

    private static readonly Dictionary<string, BrokerConfigDefinition> ByName = All.ToDictionary(d => d.Name, StringComparer.Ordinal);

    /// <summary>
    /// Defaults that differ from Kafka's in standalone mode: a cluster of one cannot host internal topics
    /// with three replicas, so they default to one replica, as Kafka's own single-node
    /// config/server.properties sets them. Explicit settings still win.
    /// </summary>
    public static IReadOnlyDictionary<string, string> StandaloneDefaults { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [OffsetsTopicReplicationFactor] = "1",
        [TransactionStateLogReplicationFactor] = "1",
        [TransactionStateLogMinIsr] = "1",
    };

    public static bool TryGet(string name, out BrokerConfigDefinition definition) => ByName.TryGetValue(name, out definition!);
}
