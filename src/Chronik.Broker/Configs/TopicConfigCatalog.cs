namespace Chronik.Broker.Configs;

/// <summary>
/// Every topic config of Apache Kafka 4.0 (LogConfig / TopicConfig), with Kafka's names, types, defaults,
/// bounds and broker synonyms (ServerTopicConfigSynonyms). The one table behind CreateTopics
/// validation, DescribeConfigs and the storage mapping; a name not in it is refused with
/// "Unknown topic config name: x", as Kafka refuses it.
/// </summary>
/// <remarks>
/// Chronik departs from Kafka's defaults in one place: flush.messages and flush.ms are unset by default
/// (Kafka: Long.MAX), which in Chronik means every append is fsynced before it is acknowledged; setting
/// either relaxes that the Kafka way (see Chronik.Storage.LogConfig). Configs for features Chronik does
/// not have (tiered storage, replication throttles, compression levels of broker-side recompression,
/// preallocation) are accepted with Kafka's validation so clients that set them keep working;
/// remote.storage.enable=true is refused as Kafka refuses it when tiered storage is disabled.
/// message.format.version and message.downconversion.enable are not topic configs in Kafka 4.
/// </remarks>
public static class TopicConfigCatalog
{
    public const string CleanupPolicy = "cleanup.policy";
    public const string CompressionGzipLevel = "compression.gzip.level";
    public const string CompressionLz4Level = "compression.lz4.level";
    public const string CompressionType = "compression.type";
    public const string CompressionZstdLevel = "compression.zstd.level";
    public const string DeleteRetentionMs = "delete.retention.ms";
    public const string FileDeleteDelayMs = "file.delete.delay.ms";
    public const string FlushMessages = "flush.messages";
    public const string FlushMs = "flush.ms";
    public const string FollowerReplicationThrottledReplicas = "follower.replication.throttled.replicas";
    public const string IndexIntervalBytes = "index.interval.bytes";
    public const string LeaderReplicationThrottledReplicas = "leader.replication.throttled.replicas";
    public const string LocalRetentionBytes = "local.retention.bytes";
    public const string LocalRetentionMs = "local.retention.ms";
    public const string MaxCompactionLagMs = "max.compaction.lag.ms";
    public const string MaxMessageBytes = "max.message.bytes";
    public const string MessageTimestampAfterMaxMs = "message.timestamp.after.max.ms";
    public const string MessageTimestampBeforeMaxMs = "message.timestamp.before.max.ms";
    public const string MessageTimestampType = "message.timestamp.type";
    public const string MinCleanableDirtyRatio = "min.cleanable.dirty.ratio";
    public const string MinCompactionLagMs = "min.compaction.lag.ms";
    public const string MinInsyncReplicas = "min.insync.replicas";
    public const string Preallocate = "preallocate";
    public const string RemoteLogCopyDisable = "remote.log.copy.disable";
    public const string RemoteLogDeleteOnDisable = "remote.log.delete.on.disable";
    public const string RemoteStorageEnable = "remote.storage.enable";
    public const string RetentionBytes = "retention.bytes";
    public const string RetentionMs = "retention.ms";
    public const string SegmentBytes = "segment.bytes";
    public const string SegmentIndexBytes = "segment.index.bytes";
    public const string SegmentJitterMs = "segment.jitter.ms";
    public const string SegmentMs = "segment.ms";
    public const string UncleanLeaderElectionEnable = "unclean.leader.election.enable";

    private const string LongMax = "9223372036854775807";

    /// <summary>Every topic config, sorted by name.</summary>
    public static IReadOnlyList<TopicConfigDefinition> All { get; } =
    [
        new(CleanupPolicy, BrokerConfigType.List, "delete",
            "What happens to old segments: delete (by retention.ms / retention.bytes), compact (keep the latest record per key), or both.",
            [TopicConfigSynonym.Same(BrokerConfigCatalog.LogCleanupPolicy)],
            validValues: ["compact", "delete"],
            check: RequireCleanupPolicy),
        new(CompressionGzipLevel, BrokerConfigType.Int, "-1",
            "Compression level when compression.type is gzip.",
            [TopicConfigSynonym.Same(BrokerConfigCatalog.CompressionGzipLevel)],
            min: -1, max: 9,
            check: GzipLevel),
        new(CompressionLz4Level, BrokerConfigType.Int, "9",
            "Compression level when compression.type is lz4.",
            [TopicConfigSynonym.Same(BrokerConfigCatalog.CompressionLz4Level)],
            min: 1, max: 17),
        new(CompressionType, BrokerConfigType.String, "producer",
            "Final compression of the topic's batches: a codec (gzip, snappy, lz4, zstd), uncompressed, or producer to keep the producer's codec.",
            [TopicConfigSynonym.Same(BrokerConfigCatalog.CompressionType)],
            validValues: ["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"]),
        new(CompressionZstdLevel, BrokerConfigType.Int, "3",
            "Compression level when compression.type is zstd.",
            [TopicConfigSynonym.Same(BrokerConfigCatalog.CompressionZstdLevel)],
            min: -131072, max: 22),
        new(DeleteRetentionMs, BrokerConfigType.Long, "86400000",
            "How long compaction keeps tombstones (and empty transaction markers) of a compacted topic.",
            [TopicConfigSynonym.Same(BrokerConfigCatalog.LogCleanerDeleteRetentionMs)],
            min: 0),
        new(FileDeleteDelayMs, BrokerConfigType.Long, "60000",
            "How long a deleted segment file stays on disk for reads still using it.",
            [TopicConfigSynonym.Same(BrokerConfigCatalog.LogSegmentDeleteDelayMs)],
            min: 0),
        new(FlushMessages, BrokerConfigType.Long, null,
            "Records appended before the log is fsynced. Unset (Chronik's default): every append is fsynced before it is acknowledged; a value relaxes that the Kafka way.",
            [TopicConfigSynonym.Same(BrokerConfigCatalog.LogFlushIntervalMessages)],
            min: 1),
        new(FlushMs, BrokerConfigType.Long, null,
            "Milliseconds data may stay unfsynced. Unset (Chronik's default): every append is fsynced before it is acknowledged; a value relaxes that the Kafka way.",
            [TopicConfigSynonym.Same(BrokerConfigCatalog.LogFlushIntervalMs)],
            min: 0),
        new(FollowerReplicationThrottledReplicas, BrokerConfigType.List, "",
            "Replicas ([partitionId]:[brokerId],... or *) throttled on the follower side (accepted; Chronik has no replication throttle).",
            check: ThrottledReplicas),
        new(IndexIntervalBytes, BrokerConfigType.Int, "4096",
            "Bytes of log between two entries of the sparse offset index.",
            [TopicConfigSynonym.Same(BrokerConfigCatalog.LogIndexIntervalBytes)],
            min: 0),
        new(LeaderReplicationThrottledReplicas, BrokerConfigType.List, "",
            "Replicas ([partitionId]:[brokerId],... or *) throttled on the leader side (accepted; Chronik has no replication throttle).",
            check: ThrottledReplicas),
        new(LocalRetentionBytes, BrokerConfigType.Long, "-2",
            "Bytes of local log kept when tiered storage is on; -2 means retention.bytes.",
            [TopicConfigSynonym.Same(BrokerConfigCatalog.LogLocalRetentionBytes)],
            min: -2),
        new(LocalRetentionMs, BrokerConfigType.Long, "-2",
            "Milliseconds of local log kept when tiered storage is on; -2 means retention.ms.",
            [TopicConfigSynonym.Same(BrokerConfigCatalog.LogLocalRetentionMs)],
            min: -2),
        new(MaxCompactionLagMs, BrokerConfigType.Long, LongMax,
            "Longest time a record stays ineligible for compaction.",
            [TopicConfigSynonym.Same(BrokerConfigCatalog.LogCleanerMaxCompactionLagMs)],
            min: 1),
        new(MaxMessageBytes, BrokerConfigType.Int, "1048588",
            "Largest record batch (after compression) the topic accepts.",
            [TopicConfigSynonym.Same(BrokerConfigCatalog.MessageMaxBytes)],
            min: 0),
        new(MessageTimestampAfterMaxMs, BrokerConfigType.Long, "3600000",
            "How far a CreateTime timestamp may be ahead of the broker's clock.",
            [TopicConfigSynonym.Same(BrokerConfigCatalog.LogMessageTimestampAfterMaxMs)],
            min: 0),
        new(MessageTimestampBeforeMaxMs, BrokerConfigType.Long, LongMax,
            "How far a CreateTime timestamp may be behind the broker's clock.",
            [TopicConfigSynonym.Same(BrokerConfigCatalog.LogMessageTimestampBeforeMaxMs)],
            min: 0),
        new(MessageTimestampType, BrokerConfigType.String, "CreateTime",
            "Record timestamps: the producer's CreateTime or the broker's LogAppendTime.",
            [TopicConfigSynonym.Same(BrokerConfigCatalog.LogMessageTimestampType)],
            validValues: ["CreateTime", "LogAppendTime"]),
        new(MinCleanableDirtyRatio, BrokerConfigType.Double, "0.5",
            "Share of the log that must be uncompacted before compaction runs.",
            [TopicConfigSynonym.Same(BrokerConfigCatalog.LogCleanerMinCleanableRatio)],
            min: 0, max: 1),
        new(MinCompactionLagMs, BrokerConfigType.Long, "0",
            "Shortest time a record stays uncompacted.",
            [TopicConfigSynonym.Same(BrokerConfigCatalog.LogCleanerMinCompactionLagMs)],
            min: 0),
        new(MinInsyncReplicas, BrokerConfigType.Int, "1",
            "In-sync replicas an acks=all produce needs.",
            [TopicConfigSynonym.Same(BrokerConfigCatalog.MinInsyncReplicas)],
            min: 1),
        new(Preallocate, BrokerConfigType.Boolean, "false",
            "Preallocate segment files on disk (accepted; Chronik does not preallocate).",
            [TopicConfigSynonym.Same(BrokerConfigCatalog.LogPreallocate)]),
        new(RemoteLogCopyDisable, BrokerConfigType.Boolean, "false",
            "Stop copying segments to tiered storage (tiered storage is not available in Chronik yet)."),
        new(RemoteLogDeleteOnDisable, BrokerConfigType.Boolean, "false",
            "Delete tiered data when tiered storage is turned off for the topic (tiered storage is not available in Chronik yet)."),
        new(RemoteStorageEnable, BrokerConfigType.Boolean, "false",
            "Copy closed segments to tiered storage; only false is accepted until Chronik has tiered storage.",
            check: RequireNoRemoteStorage),
        new(RetentionBytes, BrokerConfigType.Long, "-1",
            "Bytes kept per partition before the oldest segments are deleted; -1 means no size limit.",
            [TopicConfigSynonym.Same(BrokerConfigCatalog.LogRetentionBytes)]),
        new(RetentionMs, BrokerConfigType.Long, "604800000",
            "Milliseconds a segment is kept (by its newest timestamp) before it is deleted; -1 means no time limit.",
            [
                TopicConfigSynonym.Same(BrokerConfigCatalog.LogRetentionMs),
                TopicConfigSynonym.Minutes(BrokerConfigCatalog.LogRetentionMinutes, negativeMeansUnlimited: true),
                TopicConfigSynonym.Hours(BrokerConfigCatalog.LogRetentionHours, negativeMeansUnlimited: true),
            ],
            min: -1),
        new(SegmentBytes, BrokerConfigType.Int, "1073741824",
            "Size of one segment file; at least 1 MiB since Kafka 4.0 (KIP-1030).",
            [TopicConfigSynonym.Same(BrokerConfigCatalog.LogSegmentBytes)],
            min: 1024 * 1024),
        new(SegmentIndexBytes, BrokerConfigType.Int, "10485760",
            "Size limit of a segment's offset index; a full index rolls the segment.",
            [TopicConfigSynonym.Same(BrokerConfigCatalog.LogIndexSizeMaxBytes)],
            min: 4),
        new(SegmentJitterMs, BrokerConfigType.Long, "0",
            "Largest random amount taken off segment.ms so partitions do not roll together.",
            [TopicConfigSynonym.Same(BrokerConfigCatalog.LogRollJitterMs), TopicConfigSynonym.Hours(BrokerConfigCatalog.LogRollJitterHours)],
            min: 0),
        new(SegmentMs, BrokerConfigType.Long, "604800000",
            "Milliseconds after which the active segment is rolled even if it is not full.",
            [TopicConfigSynonym.Same(BrokerConfigCatalog.LogRollMs), TopicConfigSynonym.Hours(BrokerConfigCatalog.LogRollHours)],
            min: 1),
        new(UncleanLeaderElectionEnable, BrokerConfigType.Boolean, "false",
            "Let a replica outside the ISR become leader as a last resort (may lose data).",
            [TopicConfigSynonym.Same(BrokerConfigCatalog.UncleanLeaderElectionEnable)]),
    ];

    private static readonly Dictionary<string, TopicConfigDefinition> ByName = All.ToDictionary(d => d.Name, StringComparer.Ordinal);

    /// <summary>Every topic config name.</summary>
    public static IReadOnlySet<string> Names { get; } = new HashSet<string>(ByName.Keys, StringComparer.Ordinal);

    public static bool TryGet(string name, out TopicConfigDefinition definition) => ByName.TryGetValue(name, out definition!);

    /// <summary>Kafka's refusal of an unknown name (LogConfig.validateNames).</summary>
    public static string UnknownName(string name) => $"Unknown topic config name: {name}";

    private static string? RequireCleanupPolicy(string name, string text, object value) =>
        ((string[])value).Length > 0
            ? null
            : TopicConfigDefinition.InvalidValue(name, text, "Chronik needs at least one of compact, delete (an empty policy is not supported)");

    private static string? GzipLevel(string name, string text, object value) =>
        (int)value is -1 or >= 1
            ? null
            : TopicConfigDefinition.InvalidValue(name, text, "Value must be between 1 and 9 or equal to -1");

    // Kafka's ThrottledReplicaListValidator: "*" alone, or partition:broker pairs of digits.
    private static string? ThrottledReplicas(string name, string text, object value)
    {
        string[] items = (string[])value;
        if (items is ["*"] || items.All(IsReplicaPair))
        {
            return null;
        }

        return TopicConfigDefinition.InvalidValue(name, text,
            $"{name} must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...");

        static bool IsReplicaPair(string item)
        {
            int colon = item.IndexOf(':', StringComparison.Ordinal);
            return colon > 0 && colon < item.Length - 1
                && item.AsSpan(0, colon).IndexOfAnyExceptInRange('0', '9') < 0
                && item.AsSpan(colon + 1).IndexOfAnyExceptInRange('0', '9') < 0;
        }
    }

    private static string? RequireNoRemoteStorage(string name, string text, object value) =>
        (bool)value ? "Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage." : null;
}
