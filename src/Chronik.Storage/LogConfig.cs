using System.Globalization;

namespace Chronik.Storage;

/// <summary>What happens to old segments: deleted by retention, compacted by key, or both (Kafka's cleanup.policy).</summary>
[Flags]
public enum CleanupPolicy
{
    Delete = 1,
    Compact = 2,
}

/// <summary>Which timestamp a batch carries: the producer's (CreateTime) or the broker's on append (LogAppendTime).</summary>
public enum TimestampType
{
    CreateTime,
    LogAppendTime,
}

/// <summary>
/// Per-topic log configuration with Kafka's topic config names and defaults (Apache Kafka 4.x). The broker's
/// config layer hands the explicitly set topic configs as Kafka-named strings to <see cref="Parse"/>; keys that
/// belong to other layers (compression.type, min.insync.replicas, ...) are ignored here.
/// <para>
/// Durability differs from Kafka on purpose: Kafka's flush.messages / flush.ms default to Long.MAX (acknowledge
/// from the page cache). In Chronik both are unset by default (<c>null</c>), which means an append is acknowledged
/// only after an fsync, with the fsyncs of concurrent appends grouped. Setting either explicitly relaxes that the
/// Kafka way: the log is fsynced in the background after that many messages or milliseconds and appends are
/// acknowledged from the page cache. flush.messages=1 or flush.ms=0 ask for a flush on every append, which is the
/// default behaviour, so they keep fsync-before-ack.
/// </para>
/// </summary>
public sealed record LogConfig
{
    public const string SegmentBytesConfig = "segment.bytes";
    public const string SegmentMsConfig = "segment.ms";
    public const string SegmentJitterMsConfig = "segment.jitter.ms";
    public const string SegmentIndexBytesConfig = "segment.index.bytes";
    public const string IndexIntervalBytesConfig = "index.interval.bytes";
    public const string RetentionMsConfig = "retention.ms";
    public const string RetentionBytesConfig = "retention.bytes";
    public const string CleanupPolicyConfig = "cleanup.policy";
    public const string DeleteRetentionMsConfig = "delete.retention.ms";
    public const string MinCompactionLagMsConfig = "min.compaction.lag.ms";
    public const string MaxCompactionLagMsConfig = "max.compaction.lag.ms";
    public const string MinCleanableDirtyRatioConfig = "min.cleanable.dirty.ratio";
    public const string FlushMessagesConfig = "flush.messages";
    public const string FlushMsConfig = "flush.ms";
    public const string MaxMessageBytesConfig = "max.message.bytes";
    public const string MessageTimestampTypeConfig = "message.timestamp.type";
    public const string MessageTimestampBeforeMaxMsConfig = "message.timestamp.before.max.ms";
    public const string MessageTimestampAfterMaxMsConfig = "message.timestamp.after.max.ms";
    public const string FileDeleteDelayMsConfig = "file.delete.delay.ms";

    /// <summary>Kafka 4.0 raised the minimum segment.bytes to 1 MiB (KIP-1030).</summary>
    public const int MinSegmentBytes = 1024 * 1024;

    /// <summary>Every config name this class owns.</summary>
    public static readonly IReadOnlyList<string> Names =
    [
        SegmentBytesConfig, SegmentMsConfig, SegmentJitterMsConfig, SegmentIndexBytesConfig, IndexIntervalBytesConfig,
        RetentionMsConfig, RetentionBytesConfig, CleanupPolicyConfig, DeleteRetentionMsConfig, MinCompactionLagMsConfig,
        MaxCompactionLagMsConfig, MinCleanableDirtyRatioConfig, FlushMessagesConfig, FlushMsConfig, MaxMessageBytesConfig,
        MessageTimestampTypeConfig, MessageTimestampBeforeMaxMsConfig, MessageTimestampAfterMaxMsConfig, FileDeleteDelayMsConfig,
    ];

    /// <summary>Kafka's defaults, with Chronik's fsync-before-ack durability.</summary>
    public static LogConfig Default { get; } = new();

    /// <summary>segment.bytes: roll the active segment when it would grow beyond this (1 GiB).</summary>
    public int SegmentBytes { get; init; } = 1024 * 1024 * 1024;

    /// <summary>segment.ms: roll the active segment when its first batch is this old (7 days).</summary>
    public long SegmentMs { get; init; } = 7L * 24 * 60 * 60 * 1000;

    /// <summary>segment.jitter.ms: random reduction of segment.ms so partitions do not roll together (0).</summary>
    public long SegmentJitterMs { get; init; }

    /// <summary>segment.index.bytes: size limit of the offset index; a full index rolls the segment (10 MiB).</summary>
    public int SegmentIndexBytes { get; init; } = 10 * 1024 * 1024;

    /// <summary>index.interval.bytes: bytes of log between two sparse index entries (4096).</summary>
    public int IndexIntervalBytes { get; init; } = 4096;

    /// <summary>retention.ms: delete whole segments whose newest timestamp is older than this; -1 keeps forever (7 days).</summary>
    public long RetentionMs { get; init; } = 7L * 24 * 60 * 60 * 1000;

    /// <summary>retention.bytes: delete the oldest whole segments while the log is larger than this; -1 means no limit.</summary>
    public long RetentionBytes { get; init; } = -1;

    /// <summary>cleanup.policy: delete, compact, or both.</summary>
    public CleanupPolicy CleanupPolicy { get; init; } = CleanupPolicy.Delete;

    /// <summary>delete.retention.ms: how long compaction keeps tombstones and empty transaction markers (1 day).</summary>
    public long DeleteRetentionMs { get; init; } = 24L * 60 * 60 * 1000;

    /// <summary>min.compaction.lag.ms: records younger than this are never compacted (0).</summary>
    public long MinCompactionLagMs { get; init; }

    /// <summary>max.compaction.lag.ms: a log with records older than this is compacted regardless of its dirty ratio.</summary>
    public long MaxCompactionLagMs { get; init; } = long.MaxValue;

    /// <summary>min.cleanable.dirty.ratio: compact when dirty bytes / (clean + dirty) reaches this (0.5).</summary>
    public double MinCleanableDirtyRatio { get; init; } = 0.5;

    /// <summary>flush.messages: null (unset) means fsync before acknowledging; a value fsyncs after that many records.</summary>
    public long? FlushMessages { get; init; }

    /// <summary>flush.ms: null (unset) means fsync before acknowledging; a value fsyncs data at most this old.</summary>
    public long? FlushMs { get; init; }

    /// <summary>max.message.bytes: largest record batch accepted, including its 12-byte log overhead (1048588).</summary>
    public int MaxMessageBytes { get; init; } = 1024 * 1024 + 12;

    /// <summary>message.timestamp.type: CreateTime keeps the producer's timestamps; LogAppendTime stamps the broker's clock.</summary>
    public TimestampType MessageTimestampType { get; init; } = TimestampType.CreateTime;

    /// <summary>message.timestamp.before.max.ms: how far in the past a CreateTime timestamp may be (unbounded).</summary>
    public long MessageTimestampBeforeMaxMs { get; init; } = long.MaxValue;

    /// <summary>message.timestamp.after.max.ms: how far in the future a CreateTime timestamp may be (1 hour since Kafka 4.0).</summary>
    public long MessageTimestampAfterMaxMs { get; init; } = 60L * 60 * 1000;

    /// <summary>file.delete.delay.ms: how long a deleted segment stays readable for in-flight fetches (60 s).</summary>
    public long FileDeleteDelayMs { get; init; } = 60_000;

    /// <summary>True for the default durability: an append is acknowledged only after the group fsync that covers it.</summary>
    public bool FsyncBeforeAck => (FlushMessages is null && FlushMs is null) || FlushMessages <= 1 || FlushMs == 0;

    public bool Compact => (CleanupPolicy & CleanupPolicy.Compact) != 0;

    public bool Delete => (CleanupPolicy & CleanupPolicy.Delete) != 0;

    /// <summary>
    /// Applies Kafka-named topic configs on top of <paramref name="defaults"/> (or <see cref="Default"/>). Keys this
    /// class does not own are ignored; a null value leaves the key unset. Throws <see cref="LogConfigException"/>
    /// naming the key when a value does not parse or is out of Kafka's range.
    /// </summary>
    public static LogConfig Parse(IEnumerable<KeyValuePair<string, string?>> values, LogConfig? defaults = null)
    {
        var config = defaults ?? Default;
        foreach (var (key, raw) in values)
        {
            if (raw is null)
            {
                if (key == FlushMessagesConfig)
                {
                    config = config with { FlushMessages = null };
                }
                else if (key == FlushMsConfig)
                {
                    config = config with { FlushMs = null };
                }

                continue;
            }

            string value = raw.Trim();
            config = key switch
            {
                SegmentBytesConfig => config with { SegmentBytes = ParseInt(key, value, MinSegmentBytes) },
                SegmentMsConfig => config with { SegmentMs = ParseLong(key, value, 1) },
                SegmentJitterMsConfig => config with { SegmentJitterMs = ParseLong(key, value, 0) },
                SegmentIndexBytesConfig => config with { SegmentIndexBytes = ParseInt(key, value, 4) },
                IndexIntervalBytesConfig => config with { IndexIntervalBytes = ParseInt(key, value, 0) },
                RetentionMsConfig => config with { RetentionMs = ParseLong(key, value, -1) },
                RetentionBytesConfig => config with { RetentionBytes = ParseLong(key, value, long.MinValue) },
                CleanupPolicyConfig => config with { CleanupPolicy = ParseCleanupPolicy(key, value) },
                DeleteRetentionMsConfig => config with { DeleteRetentionMs = ParseLong(key, value, 0) },
                MinCompactionLagMsConfig => config with { MinCompactionLagMs = ParseLong(key, value, 0) },
                MaxCompactionLagMsConfig => config with { MaxCompactionLagMs = ParseLong(key, value, 1) },
                MinCleanableDirtyRatioConfig => config with { MinCleanableDirtyRatio = ParseRatio(key, value) },
                FlushMessagesConfig => config with { FlushMessages = ParseLong(key, value, 1) },
                FlushMsConfig => config with { FlushMs = ParseLong(key, value, 0) },
                MaxMessageBytesConfig => config with { MaxMessageBytes = ParseInt(key, value, 0) },
                MessageTimestampTypeConfig => config with { MessageTimestampType = ParseTimestampType(key, value) },
                MessageTimestampBeforeMaxMsConfig => config with { MessageTimestampBeforeMaxMs = ParseLong(key, value, 0) },
                MessageTimestampAfterMaxMsConfig => config with { MessageTimestampAfterMaxMs = ParseLong(key, value, 0) },
                FileDeleteDelayMsConfig => config with { FileDeleteDelayMs = ParseLong(key, value, 0) },
                _ => config,
            };
        }

        config.Validate();
        return config;
    }

    /// <summary>Cross-field checks Kafka applies (LogConfig.validate): compaction lags must be ordered.</summary>
    public void Validate()
    {
        if (MinCompactionLagMs > MaxCompactionLagMs)
        {
            throw new LogConfigException(MinCompactionLagMsConfig, $"must not exceed {MaxCompactionLagMsConfig} ({MaxCompactionLagMs})");
        }
    }

    private static long ParseLong(string key, string value, long min)
    {
        if (!long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v))
        {
            throw new LogConfigException(key, $"'{value}' is not a 64-bit integer");
        }

        return v >= min ? v : throw new LogConfigException(key, $"{v} is below the minimum {min}");
    }

    private static int ParseInt(string key, string value, int min)
    {
        if (!int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v))
        {
            throw new LogConfigException(key, $"'{value}' is not a 32-bit integer");
        }

        return v >= min ? v : throw new LogConfigException(key, $"{v} is below the minimum {min}");
    }

    private static double ParseRatio(string key, string value)
    {
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || double.IsNaN(v))
        {
            throw new LogConfigException(key, $"'{value}' is not a number");
        }

        return v is >= 0 and <= 1 ? v : throw new LogConfigException(key, $"{v} is outside [0, 1]");
    }

    private static CleanupPolicy ParseCleanupPolicy(string key, string value)
    {
        CleanupPolicy policy = 0;
        foreach (string part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            policy |= part switch
            {
                "delete" => CleanupPolicy.Delete,
                "compact" => CleanupPolicy.Compact,
                _ => throw new LogConfigException(key, $"'{part}' is not one of [delete, compact]"),
            };
        }

        return policy != 0 ? policy : throw new LogConfigException(key, "must name delete, compact or both");
    }

    private static TimestampType ParseTimestampType(string key, string value) => value switch
    {
        "CreateTime" => TimestampType.CreateTime,
        "LogAppendTime" => TimestampType.LogAppendTime,
        _ => throw new LogConfigException(key, $"'{value}' is not one of [CreateTime, LogAppendTime]"),
    };
}
