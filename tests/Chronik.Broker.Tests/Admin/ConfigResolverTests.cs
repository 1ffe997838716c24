using Chronik.Broker.Configs;
using Chronik.Cluster.Metadata;

namespace Chronik.Broker.Tests.Admin;

public class ConfigResolverTests
{
    private static readonly Guid TopicId = Guid.Parse("6a1d3f5e-0000-4000-8000-000000000001");

    private static MetadataImage ImageWith(params MetadataRecord[] records) =>
        MetadataImage.Empty.Apply([new TopicRecord("t", TopicId), .. records], 1);

    private static ConfigRecord TopicConfig(string name, string value) => new(ConfigResourceType.Topic, "t", name, value);

    private static ConfigRecord BrokerConfig(string broker, string name, string value) => new(ConfigResourceType.Broker, broker, name, value);

    private static DescribedConfig Find(IReadOnlyList<DescribedConfig> configs, string name) => Assert.Single(configs, c => c.Name == name);

    [Fact]
    public void Unset_topic_configs_take_the_broker_default_synonym_converted_to_the_topic_unit()
    {
        var resolver = new ConfigResolver(TestBrokerConfigs.Create(), brokerId: 1);
        var configs = resolver.DescribeTopic(ImageWith(), "t");

        Assert.Equal(TopicConfigCatalog.All.Select(d => d.Name), configs.Select(c => c.Name));
        DescribedConfig retention = Find(configs, "retention.ms");
        Assert.Equal("604800000", retention.Value);
        Assert.Equal(ConfigSource.DefaultConfig, retention.Source);
        Assert.Equal([new ConfigSynonym("log.retention.hours", "168", ConfigSource.DefaultConfig)], retention.Synonyms);
        Assert.False(retention.ReadOnly);
        Assert.Equal(BrokerConfigType.Long, retention.Type);

        DescribedConfig segmentMs = Find(configs, "segment.ms");
        Assert.Equal("604800000", segmentMs.Value);
        Assert.Equal([new ConfigSynonym("log.roll.hours", "168", ConfigSource.DefaultConfig)], segmentMs.Synonyms);

        DescribedConfig remote = Find(configs, "remote.storage.enable");
        Assert.Equal("false", remote.Value);
        Assert.Equal(ConfigSource.DefaultConfig, remote.Source);
        Assert.Empty(remote.Synonyms);

        DescribedConfig flush = Find(configs, "flush.messages");
        Assert.Null(flush.Value);
        Assert.Equal(ConfigSource.DefaultConfig, flush.Source);
        Assert.Empty(flush.Synonyms);
    }

    [Fact]
    public void Sources_take_precedence_topic_then_dynamic_broker_then_cluster_default_then_static_then_default()
    {
        var statics = TestBrokerConfigs.Create(new Dictionary<string, string> { ["log.retention.hours"] = "24", ["log.segment.bytes"] = "2097152" });
        var resolver = new ConfigResolver(statics, brokerId: 1);

        DescribedConfig fromStatic = Find(resolver.DescribeTopic(ImageWith(), "t"), "retention.ms");
        Assert.Equal(("86400000", ConfigSource.StaticBrokerConfig), (fromStatic.Value, fromStatic.Source));
        Assert.Equal(
            [new ConfigSynonym("log.retention.hours", "24", ConfigSource.StaticBrokerConfig), new ConfigSynonym("log.retention.hours", "168", ConfigSource.DefaultConfig)],
            fromStatic.Synonyms);

        MetadataImage image = ImageWith(BrokerConfig("", "log.retention.minutes", "10"));
        DescribedConfig fromClusterDefault = Find(resolver.DescribeTopic(image, "t"), "retention.ms");
        Assert.Equal(("600000", ConfigSource.DynamicDefaultBrokerConfig), (fromClusterDefault.Value, fromClusterDefault.Source));

        image = ImageWith(BrokerConfig("", "log.retention.minutes", "10"), BrokerConfig("1", "log.retention.ms", "5000"), BrokerConfig("2", "log.retention.ms", "7"));
        DescribedConfig fromBroker = Find(resolver.DescribeTopic(image, "t"), "retention.ms");
        Assert.Equal(("5000", ConfigSource.DynamicBrokerConfig), (fromBroker.Value, fromBroker.Source));
        Assert.Equal(
            ["log.retention.ms/DynamicBrokerConfig", "log.retention.minutes/DynamicDefaultBrokerConfig", "log.retention.hours/StaticBrokerConfig", "log.retention.hours/DefaultConfig"],
            fromBroker.Synonyms.Select(s => $"{s.Name}/{s.Source}"));

        image = ImageWith(BrokerConfig("1", "log.retention.ms", "5000"), TopicConfig("retention.ms", " 1000"));
        DescribedConfig fromTopic = Find(resolver.DescribeTopic(image, "t"), "retention.ms");
        Assert.Equal(("1000", ConfigSource.DynamicTopicConfig), (fromTopic.Value, fromTopic.Source));
        Assert.Equal(new ConfigSynonym("retention.ms", " 1000", ConfigSource.DynamicTopicConfig), fromTopic.Synonyms[0]);

        DescribedConfig segment = Find(resolver.DescribeTopic(image, "t"), "segment.bytes");
        Assert.Equal(("2097152", ConfigSource.StaticBrokerConfig), (segment.Value, segment.Source));
    }

    [Fact]
    public void Explicit_topic_configs_hold_only_what_is_set_anywhere_in_topic_names_and_units()
    {
        var statics = TestBrokerConfigs.Create(new Dictionary<string, string> { ["log.retention.hours"] = "1", ["message.max.bytes"] = "2000000" });
        var resolver = new ConfigResolver(statics, brokerId: 1);
        MetadataImage image = ImageWith(TopicConfig("cleanup.policy", "compact"), BrokerConfig("", "log.flush.interval.messages", "10"));

        var explicitConfigs = resolver.ExplicitTopicConfigs(image, "t");

        Assert.Equal(
            new Dictionary<string, string>
            {
                ["cleanup.policy"] = "compact",
                ["flush.messages"] = "10",
                ["max.message.bytes"] = "2000000",
                ["retention.ms"] = "3600000",
            },
            explicitConfigs);
        Assert.Empty(new ConfigResolver(TestBrokerConfigs.Create(), 1).ExplicitTopicConfigs(ImageWith(), "t"));
    }

    [Fact]
    public void A_topic_about_to_be_created_is_described_from_its_requested_overrides()
    {
        var resolver = new ConfigResolver(TestBrokerConfigs.Create(), brokerId: 1);
        var configs = resolver.DescribeTopic(MetadataImage.Empty, new Dictionary<string, string> { ["min.insync.replicas"] = "2" });
        DescribedConfig minIsr = Find(configs, "min.insync.replicas");
        Assert.Equal(("2", ConfigSource.DynamicTopicConfig), (minIsr.Value, minIsr.Source));
        Assert.Equal(
            [new ConfigSynonym("min.insync.replicas", "2", ConfigSource.DynamicTopicConfig), new ConfigSynonym("min.insync.replicas", "1", ConfigSource.DefaultConfig)],
            minIsr.Synonyms);
    }

    [Fact]
    public void Broker_configs_are_read_only_with_static_and_default_sources()
    {
        var statics = TestBrokerConfigs.Create(new Dictionary<string, string> { ["num.partitions"] = "3" });
        var resolver = new ConfigResolver(statics, brokerId: 1);
        var configs = resolver.DescribeBroker(MetadataImage.Empty);

        Assert.Equal(BrokerConfigCatalog.All.Select(d => d.Name), configs.Select(c => c.Name));
        Assert.All(configs, c => Assert.True(c.ReadOnly));
        DescribedConfig partitions = Find(configs, "num.partitions");
        Assert.Equal(("3", ConfigSource.StaticBrokerConfig), (partitions.Value, partitions.Source));
        Assert.Equal(
            [new ConfigSynonym("num.partitions", "3", ConfigSource.StaticBrokerConfig), new ConfigSynonym("num.partitions", "1", ConfigSource.DefaultConfig)],
            partitions.Synonyms);
        DescribedConfig retentionMs = Find(configs, "log.retention.ms");
        Assert.Null(retentionMs.Value);
        Assert.Equal(ConfigSource.DefaultConfig, retentionMs.Source);
        DescribedConfig offsetsReplicas = Find(configs, "offsets.topic.replication.factor");
        Assert.Equal("1", offsetsReplicas.Value);

        var withDynamic = resolver.DescribeBroker(ImageWith(BrokerConfig("", "num.partitions", "7")));
        Assert.Equal(("7", ConfigSource.DynamicDefaultBrokerConfig), (Find(withDynamic, "num.partitions").Value, Find(withDynamic, "num.partitions").Source));
        var defaults = resolver.DescribeClusterDefault(ImageWith(BrokerConfig("", "num.partitions", "7")));
        Assert.Equal(("num.partitions", "7", ConfigSource.DynamicDefaultBrokerConfig), (Assert.Single(defaults).Name, defaults[0].Value, defaults[0].Source));
        Assert.Empty(resolver.DescribeClusterDefault(MetadataImage.Empty));
    }
}
