using System.Collections.Immutable;
using System.Globalization;
using Chronik.Broker.Configs;
using Chronik.Cluster.Metadata;
using Chronik.Storage;

namespace Chronik.Broker.Partitions;

/// <summary>What the data path needs of a topic's effective configs: the log's settings and the acks=all bar.</summary>
/// <param name="Log">The storage settings (segment, retention, flush, timestamps, max.message.bytes ...).</param>
/// <param name="MinInsyncReplicas">min.insync.replicas: ISR size an acks=all produce needs.</param>
public sealed record TopicSettings(LogConfig Log, int MinInsyncReplicas)
{
    public static TopicSettings Default { get; } = new(LogConfig.Default, 1);
}

/// <summary>
/// Computes a topic's effective configs as Kafka does: a topic override wins; otherwise the broker-level
/// synonym (ServerTopicConfigSynonyms: log.retention.ms → retention.ms, log.segment.bytes → segment.bytes,
/// message.max.bytes → max.message.bytes, ...), taken from a dynamic per-broker config, then the dynamic
/// cluster-wide default, then this node's static config; otherwise Kafka's default (in <see cref="LogConfig"/>).
/// Several broker names can feed one topic config (log.retention.ms over .minutes over .hours); the first one set
/// wins, scaled to milliseconds. Static configs count only when set explicitly, so the catalog's Long.MAX default
/// of log.flush.interval.messages never relaxes Chronik's fsync-before-ack durability. Pure: no I/O.
/// </summary>
public sealed class TopicConfigResolver
{
    public const string MinInsyncReplicasConfig = "min.insync.replicas";

    /// <summary>Topic config → broker configs that set its default, in precedence order, with their unit in ms (1 = as is).</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<(string Name, long Scale)>> Synonyms { get; } =
        new Dictionary<string, IReadOnlyList<(string Name, long Scale)>>(StringComparer.Ordinal)
        {
            [LogConfig.SegmentBytesConfig] = [("log.segment.bytes", 1)],
            [LogConfig.SegmentMsConfig] = [("log.roll.ms", 1), ("log.roll.hours", 3_600_000)],
            [LogConfig.SegmentJitterMsConfig] = [("log.roll.jitter.ms", 1), ("log.roll.jitter.hours", 3_600_000)],
            [LogConfig.SegmentIndexBytesConfig] = [("log.index.size.max.bytes", 1)],
            [LogConfig.FlushMessagesConfig] = [("log.flush.interval.messages", 1)],
            [LogConfig.FlushMsConfig] = [("log.flush.interval.ms", 1), ("log.flush.scheduler.interval.ms", 1)],
            [LogConfig.RetentionBytesConfig] = [("log.retention.bytes", 1)],
            [LogConfig.RetentionMsConfig] = [("log.retention.ms", 1), ("log.retention.minutes", 60_000), ("log.retention.hours", 3_600_000)],
            [LogConfig.MaxMessageBytesConfig] = [("message.max.bytes", 1)],
            [LogConfig.IndexIntervalBytesConfig] = [("log.index.interval.bytes", 1)],
            [LogConfig.DeleteRetentionMsConfig] = [("log.cleaner.delete.retention.ms", 1)],
            [LogConfig.MinCompactionLagMsConfig] = [("log.cleaner.min.compaction.lag.ms", 1)],
            [LogConfig.MaxCompactionLagMsConfig] = [("log.cleaner.max.compaction.lag.ms", 1)],
            [LogConfig.FileDeleteDelayMsConfig] = [("log.segment.delete.delay.ms", 1)],
            [LogConfig.MinCleanableDirtyRatioConfig] = [("log.cleaner.min.cleanable.ratio", 1)],
            [LogConfig.CleanupPolicyConfig] = [("log.cleanup.policy", 1)],
            [LogConfig.MessageTimestampTypeConfig] = [("log.message.timestamp.type", 1)],
            [LogConfig.MessageTimestampBeforeMaxMsConfig] = [("log.message.timestamp.before.max.ms", 1)],
            [LogConfig.MessageTimestampAfterMaxMsConfig] = [("log.message.timestamp.after.max.ms", 1)],
            [MinInsyncReplicasConfig] = [("min.insync.replicas", 1)],
        };

    private readonly BrokerConfigs _static;
    private readonly ConfigResource _thisBroker;

    public TopicConfigResolver(BrokerConfigs staticConfigs, int nodeId)
    {
        _static = staticConfigs;
        _thisBroker = ConfigResource.ForBroker(nodeId);
    }

    /// <summary>The effective settings of <paramref name="topic"/> in <paramref name="image"/>.</summary>
    /// <exception cref="LogConfigException">A value does not parse or is out of range (names the key).</exception>
    public TopicSettings Resolve(MetadataImage image, string topic)
    {
        var effective = EffectiveConfigs(image, topic);
        var log = LogConfig.Parse(effective);
        int minIsr = 1;
        foreach (var (key, value) in effective)
        {
            if (key == MinInsyncReplicasConfig && value is not null)
            {
                if (!int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out minIsr) || minIsr < 1)
                {
                    throw new LogConfigException(MinInsyncReplicasConfig, $"'{value}' is not an int of at least 1");
                }
            }
        }

        return new TopicSettings(log, minIsr);
    }

    /// <summary>The broker-level defaults alone (logs found on disk before their topic is known).</summary>
    public TopicSettings ResolveDefaults() => Resolve(MetadataImage.Empty, "");

    /// <summary>
    /// The explicitly set configs that apply to <paramref name="topic"/>, by topic config name: overrides, then
    /// broker synonyms. Keys absent here take Kafka's defaults.
    /// </summary>
    public List<KeyValuePair<string, string?>> EffectiveConfigs(MetadataImage image, string topic)
    {
        var overrides = topic.Length == 0 ? ImmutableSortedDictionary<string, string>.Empty : image.GetConfigs(ConfigResource.ForTopic(topic));
        var perBroker = image.GetConfigs(_thisBroker);
        var clusterWide = image.GetConfigs(ConfigResource.ClusterDefault);
        var result = new List<KeyValuePair<string, string?>>(Synonyms.Count + overrides.Count);
        foreach (var (topicName, brokerNames) in Synonyms)
        {
            if (overrides.TryGetValue(topicName, out string? value))
            {
                result.Add(new(topicName, value));
                continue;
            }

            if (FromBroker(brokerNames, perBroker, clusterWide) is { } brokerValue)
            {
                result.Add(new(topicName, brokerValue));
            }
        }

        // Topic configs without a broker synonym (none of them feeds LogConfig today) are passed through as set.
        foreach (var (name, value) in overrides)
        {
            if (!Synonyms.ContainsKey(name))
            {
                result.Add(new(name, value));
            }
        }

        return result;
    }

    private string? FromBroker(IReadOnlyList<(string Name, long Scale)> names, ImmutableSortedDictionary<string, string> perBroker, ImmutableSortedDictionary<string, string> clusterWide)
    {
        // Kafka's precedence: every dynamic per-broker synonym, then every dynamic cluster default, then static.
        foreach (var source in (ReadOnlySpan<ImmutableSortedDictionary<string, string>>)[perBroker, clusterWide])
        {
            foreach (var (name, scale) in names)
            {
                if (source.TryGetValue(name, out string? value))
                {
                    return Scale(name, value, scale);
                }
            }
        }

        foreach (var (name, scale) in names)
        {
            if (BrokerConfigCatalog.TryGet(name, out _) && _static[name] is { Source: BrokerConfigSource.StaticBrokerConfig, Value: { } value })
            {
                return Scale(name, value, scale);
            }
        }

        return null;
    }

    private static string Scale(string name, string value, long scale)
    {
        if (scale == 1)
        {
            return value;
        }

        if (!long.TryParse(value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long units))
        {
            throw new LogConfigException(name, $"'{value}' is not an integer");
        }

        // -1 means "unlimited" in every unit (log.retention.hours=-1).
        long ms = units < 0 ? units : units > long.MaxValue / scale ? long.MaxValue : units * scale;
        return ms.ToString(CultureInfo.InvariantCulture);
    }
}
