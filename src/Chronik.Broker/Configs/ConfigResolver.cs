using Chronik.Cluster.Metadata;

namespace Chronik.Broker.Configs;

/// <summary>
/// Resolves effective configs the way Kafka's DescribeConfigs does (ConfigHelper): a topic config takes
/// the topic's override, else the first of its broker synonyms set as a dynamic per-broker config, a
/// dynamic cluster default, a static broker config, or a broker default (in that order of sources, and
/// within a source in the synonyms' order), converted to the topic config's unit; else the topic
/// default. Every value found is listed as a synonym. A broker config takes its dynamic per-broker
/// value, the dynamic cluster default, its static value, or its default.
/// </summary>
/// <remarks>
/// Kafka drops a broker synonym list up to the first entry named like the config asked for (meant for
/// listener prefixes), which leaves retention.ms without synonyms unless log.retention.ms itself is set;
/// Chronik lists every set synonym (e.g. retention.ms ← DEFAULT_CONFIG log.retention.hours=168).
/// </remarks>
public sealed class ConfigResolver
{
    private readonly BrokerConfigs _static;
    private readonly ConfigResource _thisBroker;

    /// <param name="staticConfigs">This broker's static configs (flags, environment, config file, defaults).</param>
    /// <param name="brokerId">This broker's id: its per-broker dynamic configs are the broker resource of that name.</param>
    public ConfigResolver(BrokerConfigs staticConfigs, int brokerId)
    {
        _static = staticConfigs;
        _thisBroker = ConfigResource.ForBroker(brokerId);
    }

    /// <summary>Every topic config of <paramref name="topic"/> as it is now (the topic's overrides are in <paramref name="image"/>).</summary>
    public IReadOnlyList<DescribedConfig> DescribeTopic(MetadataImage image, string topic) =>
        DescribeTopic(image, image.GetConfigs(ConfigResource.ForTopic(topic)));

    /// <summary>Every topic config of a topic with <paramref name="overrides"/> (CreateTopics describes a topic before it exists).</summary>
    public IReadOnlyList<DescribedConfig> DescribeTopic(MetadataImage image, IReadOnlyDictionary<string, string> overrides)
    {
        var described = new List<DescribedConfig>(TopicConfigCatalog.All.Count);
        foreach (TopicConfigDefinition definition in TopicConfigCatalog.All)
        {
            described.Add(ResolveTopicConfig(image, overrides, definition));
        }

        return described;
    }

    /// <summary>One topic config of a topic with <paramref name="overrides"/>.</summary>
    public DescribedConfig ResolveTopicConfig(MetadataImage image, IReadOnlyDictionary<string, string> overrides, TopicConfigDefinition definition)
    {
        var synonyms = new List<ConfigSynonym>(4);
        if (overrides.TryGetValue(definition.Name, out string? own))
        {
            synonyms.Add(new ConfigSynonym(definition.Name, own, ConfigSource.DynamicTopicConfig));
        }

        var brokerNames = new string[definition.Synonyms.Count];
        for (int i = 0; i < brokerNames.Length; i++)
        {
            brokerNames[i] = definition.Synonyms[i].BrokerConfig;
        }

        AddBrokerSynonyms(image, brokerNames, synonyms);

        string? value = definition.Default;
        ConfigSource source = ConfigSource.DefaultConfig;
        if (synonyms.Count > 0)
        {
            ConfigSynonym first = synonyms[0];
            source = first.Source;
            value = first.Value;
            if (value is not null && first.Source != ConfigSource.DynamicTopicConfig)
            {
                value = SynonymOf(definition, first.Name).ToTopicValue(value);
            }

            value = value is null ? null : definition.Normalize(value);
        }

        return new DescribedConfig(definition.Name, definition.IsSensitive ? null : value, source, ReadOnly: false, definition.IsSensitive,
            definition.Type, definition.Documentation, synonyms);
    }

    /// <summary>
    /// The topic configs of <paramref name="topic"/> that are set anywhere (topic override, dynamic or
    /// static broker config), by topic config name, in topic units; configs left at their defaults are
    /// absent. This is what Chronik.Storage's LogConfig.Parse takes: it holds Kafka's defaults and reads
    /// an absent flush.messages / flush.ms as "fsync before acknowledging".
    /// </summary>
    public IReadOnlyDictionary<string, string> ExplicitTopicConfigs(MetadataImage image, string topic) =>
        ExplicitTopicConfigs(image, image.GetConfigs(ConfigResource.ForTopic(topic)));

    /// <inheritdoc cref="ExplicitTopicConfigs(MetadataImage, string)"/>
    public IReadOnlyDictionary<string, string> ExplicitTopicConfigs(MetadataImage image, IReadOnlyDictionary<string, string> overrides)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (TopicConfigDefinition definition in TopicConfigCatalog.All)
        {
            DescribedConfig config = ResolveTopicConfig(image, overrides, definition);
            if (config.Source != ConfigSource.DefaultConfig && config.Value is not null)
            {
                values[definition.Name] = config.Value;
            }
        }

        return values;
    }

    /// <summary>
    /// The effective value of one topic config given only the topic's overrides and the static broker
    /// configs (what the controller's validator can know), or null when it is unset.
    /// </summary>
    public string? EffectiveStaticValue(IReadOnlyDictionary<string, string> overrides, TopicConfigDefinition definition) =>
        ResolveTopicConfig(MetadataImage.Empty, overrides, definition).Value;

    /// <summary>Every broker config of this broker (DescribeConfigs of broker resource "id").</summary>
    public IReadOnlyList<DescribedConfig> DescribeBroker(MetadataImage image)
    {
        var described = new List<DescribedConfig>(BrokerConfigCatalog.All.Count);
        foreach (BrokerConfigDefinition definition in BrokerConfigCatalog.All)
        {
            var synonyms = new List<ConfigSynonym>(2);
            AddBrokerSynonyms(image, [definition.Name], synonyms);
            ConfigSynonym? first = synonyms.Count > 0 ? synonyms[0] : null;
            string? value = first?.Value is { } raw ? Normalize(definition, raw) : null;
            described.Add(new DescribedConfig(definition.Name, definition.IsSensitive ? null : value, first?.Source ?? ConfigSource.DefaultConfig,
                ReadOnly: true, definition.IsSensitive, definition.Type, definition.Documentation, Redact(definition, synonyms)));
        }

        return described;
    }

    /// <summary>The dynamic cluster-wide broker configs (DescribeConfigs of broker resource ""), as Kafka lists only those.</summary>
    public IReadOnlyList<DescribedConfig> DescribeClusterDefault(MetadataImage image)
    {
        var described = new List<DescribedConfig>();
        foreach (var (name, value) in image.GetConfigs(ConfigResource.ClusterDefault))
        {
            bool known = BrokerConfigCatalog.TryGet(name, out BrokerConfigDefinition definition);
            bool sensitive = known && definition.IsSensitive;
            string? shown = sensitive ? null : known ? Normalize(definition, value) : value;
            described.Add(new DescribedConfig(name, shown, ConfigSource.DynamicDefaultBrokerConfig, ReadOnly: true, sensitive,
                known ? definition.Type : BrokerConfigType.String, known ? definition.Documentation : null,
                [new ConfigSynonym(name, shown, ConfigSource.DynamicDefaultBrokerConfig)]));
        }

        return described;
    }

    private static TopicConfigSynonym SynonymOf(TopicConfigDefinition definition, string brokerConfig)
    {
        foreach (TopicConfigSynonym synonym in definition.Synonyms)
        {
            if (synonym.BrokerConfig == brokerConfig)
            {
                return synonym;
            }
        }

        throw new InvalidOperationException($"{brokerConfig} is not a synonym of {definition.Name}");
    }

    private static string Normalize(BrokerConfigDefinition definition, string raw) =>
        definition.TryParse(raw, out object? typed, out _) && typed is not null ? ConfigValueParser.Format(typed) : raw;

    private static List<ConfigSynonym> Redact(BrokerConfigDefinition definition, List<ConfigSynonym> synonyms) =>
        definition.IsSensitive ? synonyms.ConvertAll(s => s with { Value = null }) : synonyms;

    /// <summary>Appends the broker configs named <paramref name="names"/> that have a value, source by source (Kafka's order).</summary>
    private void AddBrokerSynonyms(MetadataImage image, string[] names, List<ConfigSynonym> synonyms)
    {
        if (names.Length == 0)
        {
            return;
        }

        var perBroker = image.GetConfigs(_thisBroker);
        var clusterDefault = image.GetConfigs(ConfigResource.ClusterDefault);
        foreach (string name in names)
        {
            if (perBroker.TryGetValue(name, out string? value))
            {
                synonyms.Add(new ConfigSynonym(name, value, ConfigSource.DynamicBrokerConfig));
            }
        }

        foreach (string name in names)
        {
            if (clusterDefault.TryGetValue(name, out string? value))
            {
                synonyms.Add(new ConfigSynonym(name, value, ConfigSource.DynamicDefaultBrokerConfig));
            }
        }

        foreach (string name in names)
        {
            if (_static.TryGet(name, out BrokerConfigEntry? entry) && entry.Source == BrokerConfigSource.StaticBrokerConfig && entry.Value is not null)
            {
                synonyms.Add(new ConfigSynonym(name, entry.Value, ConfigSource.StaticBrokerConfig));
            }
        }

        foreach (string name in names)
        {
            if (!_static.TryGet(name, out BrokerConfigEntry? entry))
            {
                continue;
            }

            // The default in force: Chronik's standalone default where one applies, else Kafka's.
            string? defaultValue = entry.Source == BrokerConfigSource.DefaultConfig ? entry.Value : entry.Definition.Default;
            if (defaultValue is not null)
            {
                synonyms.Add(new ConfigSynonym(name, defaultValue, ConfigSource.DefaultConfig));
            }
        }
    }
}
