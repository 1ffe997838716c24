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

    private readonly ConfigResolver _configs;

    public TopicConfigResolver(BrokerConfigs staticConfigs, int nodeId)
    {
        _configs = new ConfigResolver(staticConfigs, nodeId);
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
    /// broker synonyms (resolved by the same <see cref="ConfigResolver"/> DescribeConfigs uses). Keys absent here
    /// take Kafka's defaults.
    /// </summary>
    public List<KeyValuePair<string, string?>> EffectiveConfigs(MetadataImage image, string topic)
    {
        IReadOnlyDictionary<string, string> overrides = topic.Length == 0
            ? ImmutableSortedDictionary<string, string>.Empty
            : image.GetConfigs(ConfigResource.ForTopic(topic));
        var result = new List<KeyValuePair<string, string?>>();
        foreach (var (name, value) in _configs.ExplicitTopicConfigs(image, overrides))
        {
            result.Add(new(name, value));
        }

        return result;
    }
}
