using Chronik.Broker.Configs;
using Chronik.Storage;

namespace Chronik.Broker.Tests.Admin;

public class TopicConfigCatalogTests
{
    /// <summary>Kafka 4.0's topic configs (LogConfig) with their defaults; flush.* are unset in Chronik.</summary>
    public static TheoryData<string, string?> KafkaTopicConfigs => new()
    {
        { "cleanup.policy", "delete" },
        { "compression.gzip.level", "-1" },
        { "compression.lz4.level", "9" },
        { "compression.type", "producer" },
        { "compression.zstd.level", "3" },
        { "delete.retention.ms", "86400000" },
        { "file.delete.delay.ms", "60000" },
        { "flush.messages", null },
        { "flush.ms", null },
        { "follower.replication.throttled.replicas", "" },
        { "index.interval.bytes", "4096" },
        { "leader.replication.throttled.replicas", "" },
        { "local.retention.bytes", "-2" },
        { "local.retention.ms", "-2" },
        { "max.compaction.lag.ms", "9223372036854775807" },
        { "max.message.bytes", "1048588" },
        { "message.timestamp.after.max.ms", "3600000" },
        { "message.timestamp.before.max.ms", "9223372036854775807" },
        { "message.timestamp.type", "CreateTime" },
        { "min.cleanable.dirty.ratio", "0.5" },
        { "min.compaction.lag.ms", "0" },
        { "min.insync.replicas", "1" },
        { "preallocate", "false" },
        { "remote.log.copy.disable", "false" },
        { "remote.log.delete.on.disable", "false" },
        { "remote.storage.enable", "false" },
        { "retention.bytes", "-1" },
        { "retention.ms", "604800000" },
        { "segment.bytes", "1073741824" },
        { "segment.index.bytes", "10485760" },
        { "segment.jitter.ms", "0" },
        { "segment.ms", "604800000" },
        { "unclean.leader.election.enable", "false" },
    };

    [Theory]
    [MemberData(nameof(KafkaTopicConfigs))]
    public void Every_Kafka_topic_config_is_known_with_its_default(string name, string? defaultValue)
    {
        Assert.True(TopicConfigCatalog.TryGet(name, out TopicConfigDefinition definition));
        Assert.Equal(defaultValue, definition.Default);
        Assert.False(string.IsNullOrWhiteSpace(definition.Documentation));
        if (defaultValue is not null)
        {
            Assert.True(definition.TryParse(defaultValue, out _, out string error), error);
        }
    }

    [Fact]
    public void The_catalog_holds_exactly_Kafkas_topic_configs_sorted_by_name()
    {
        var expected = KafkaTopicConfigs.Select(row => (string)row[0]).ToList();
        Assert.Equal(expected, TopicConfigCatalog.All.Select(d => d.Name));
        Assert.Equal(expected.Order(StringComparer.Ordinal), expected);
        Assert.Equal(expected.Count, TopicConfigCatalog.Names.Count);
    }

    [Theory]
    [InlineData("cleanup.policy", "log.cleanup.policy")]
    [InlineData("delete.retention.ms", "log.cleaner.delete.retention.ms")]
    [InlineData("file.delete.delay.ms", "log.segment.delete.delay.ms")]
    [InlineData("flush.messages", "log.flush.interval.messages")]
    [InlineData("max.message.bytes", "message.max.bytes")]
    [InlineData("min.cleanable.dirty.ratio", "log.cleaner.min.cleanable.ratio")]
    [InlineData("retention.ms", "log.retention.ms,log.retention.minutes,log.retention.hours")]
    [InlineData("segment.index.bytes", "log.index.size.max.bytes")]
    [InlineData("segment.jitter.ms", "log.roll.jitter.ms,log.roll.jitter.hours")]
    [InlineData("segment.ms", "log.roll.ms,log.roll.hours")]
    [InlineData("unclean.leader.election.enable", "unclean.leader.election.enable")]
    [InlineData("remote.storage.enable", "")]
    [InlineData("leader.replication.throttled.replicas", "")]
    public void Broker_synonyms_are_Kafkas_in_precedence_order(string topicConfig, string synonyms)
    {
        Assert.True(TopicConfigCatalog.TryGet(topicConfig, out TopicConfigDefinition definition));
        Assert.Equal(synonyms, string.Join(",", definition.Synonyms.Select(s => s.BrokerConfig)));
    }

    [Fact]
    public void Every_broker_synonym_is_a_broker_config_whose_default_agrees_with_the_topic_default()
    {
        foreach (TopicConfigDefinition definition in TopicConfigCatalog.All)
        {
            foreach (TopicConfigSynonym synonym in definition.Synonyms)
            {
                Assert.True(BrokerConfigCatalog.TryGet(synonym.BrokerConfig, out BrokerConfigDefinition broker), $"{definition.Name} ← {synonym.BrokerConfig}");
                if (broker.Default is { } brokerDefault)
                {
                    Assert.Equal(definition.Default, definition.Normalize(synonym.ToTopicValue(brokerDefault)));
                }
            }
        }
    }

    [Fact]
    public void Hours_and_minutes_convert_to_milliseconds_and_negative_retention_means_unlimited()
    {
        TopicConfigCatalog.TryGet(TopicConfigCatalog.RetentionMs, out TopicConfigDefinition retention);
        Assert.Equal("86400000", retention.Synonyms[2].ToTopicValue("24"));
        Assert.Equal("120000", retention.Synonyms[1].ToTopicValue("2"));
        Assert.Equal("-1", retention.Synonyms[2].ToTopicValue("-5"));
        TopicConfigCatalog.TryGet(TopicConfigCatalog.SegmentMs, out TopicConfigDefinition segment);
        Assert.Equal("3600000", segment.Synonyms[1].ToTopicValue("1"));
    }

    [Theory]
    [InlineData("retention.ms", "abc", "Invalid value abc for configuration retention.ms: Not a number of type LONG")]
    [InlineData("retention.ms", "-2", "Invalid value -2 for configuration retention.ms: Value must be at least -1")]
    [InlineData("segment.bytes", "1000", "Invalid value 1000 for configuration segment.bytes: Value must be at least 1048576")]
    [InlineData("segment.bytes", "3000000000", "Invalid value 3000000000 for configuration segment.bytes: Not a number of type INT")]
    [InlineData("min.cleanable.dirty.ratio", "1.5", "Invalid value 1.5 for configuration min.cleanable.dirty.ratio: Value must be no more than 1")]
    [InlineData("min.cleanable.dirty.ratio", "x", "Invalid value x for configuration min.cleanable.dirty.ratio: Not a number of type DOUBLE")]
    [InlineData("compression.type", "brotli", "Invalid value brotli for configuration compression.type: String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer")]
    [InlineData("cleanup.policy", "delete,squash", "Invalid value squash for configuration cleanup.policy: String must be one of: compact, delete")]
    [InlineData("preallocate", "yes", "Invalid value yes for configuration preallocate: Expected value to be either true or false")]
    [InlineData("compression.gzip.level", "0", "Invalid value 0 for configuration compression.gzip.level: Value must be between 1 and 9 or equal to -1")]
    [InlineData("compression.lz4.level", "18", "Invalid value 18 for configuration compression.lz4.level: Value must be no more than 17")]
    [InlineData("leader.replication.throttled.replicas", "0:1,x", "Invalid value 0:1,x for configuration leader.replication.throttled.replicas: leader.replication.throttled.replicas must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...")]
    [InlineData("remote.storage.enable", "true", "Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage.")]
    [InlineData("message.timestamp.type", "createtime", "Invalid value createtime for configuration message.timestamp.type: String must be one of: CreateTime, LogAppendTime")]
    public void Bad_values_are_refused_with_Kafkas_message_naming_the_key(string name, string value, string message)
    {
        TopicConfigCatalog.TryGet(name, out TopicConfigDefinition definition);
        Assert.False(definition.TryParse(value, out object? typed, out string error));
        Assert.Null(typed);
        Assert.Equal(message, error);
    }

    [Theory]
    [InlineData("cleanup.policy", " compact , delete ", "compact,delete")]
    [InlineData("min.cleanable.dirty.ratio", "1", "1.0")]
    [InlineData("min.cleanable.dirty.ratio", "0.25", "0.25")]
    [InlineData("preallocate", "TRUE", "true")]
    [InlineData("retention.ms", " 1000 ", "1000")]
    [InlineData("follower.replication.throttled.replicas", "*", "*")]
    [InlineData("leader.replication.throttled.replicas", "0:1, 1:2", "0:1,1:2")]
    [InlineData("compression.gzip.level", "-1", "-1")]
    public void Good_values_are_accepted_and_printed_as_Kafka_prints_them(string name, string value, string printed)
    {
        TopicConfigCatalog.TryGet(name, out TopicConfigDefinition definition);
        Assert.True(definition.TryParse(value, out _, out string error), error);
        Assert.Equal(printed, definition.Normalize(value));
    }

    [Fact]
    public void An_empty_cleanup_policy_is_refused_because_storage_needs_one()
    {
        TopicConfigCatalog.TryGet(TopicConfigCatalog.CleanupPolicy, out TopicConfigDefinition definition);
        Assert.False(definition.TryParse("", out _, out string error));
        Assert.StartsWith("Invalid value  for configuration cleanup.policy:", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Storage_parses_every_accepted_value_of_the_configs_it_owns()
    {
        // The catalog validates at least as strictly as Chronik.Storage.LogConfig: what the controller
        // commits, storage can open.
        var samples = new Dictionary<string, string[]>
        {
            ["segment.bytes"] = ["1048576", "2147483647"],
            ["segment.ms"] = ["1"],
            ["segment.jitter.ms"] = ["0"],
            ["segment.index.bytes"] = ["4"],
            ["index.interval.bytes"] = ["0"],
            ["retention.ms"] = ["-1", "0"],
            ["retention.bytes"] = ["-5", "0"],
            ["cleanup.policy"] = ["compact", "delete", "compact,delete"],
            ["delete.retention.ms"] = ["0"],
            ["min.compaction.lag.ms"] = ["0"],
            ["max.compaction.lag.ms"] = ["1"],
            ["min.cleanable.dirty.ratio"] = ["0", "1", "0.5"],
            ["flush.messages"] = ["1"],
            ["flush.ms"] = ["0"],
            ["max.message.bytes"] = ["0"],
            ["message.timestamp.type"] = ["CreateTime", "LogAppendTime"],
            ["message.timestamp.before.max.ms"] = ["0"],
            ["message.timestamp.after.max.ms"] = ["0"],
            ["file.delete.delay.ms"] = ["0"],
        };
        Assert.Equal(LogConfig.Names.Order(StringComparer.Ordinal), samples.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, values) in samples)
        {
            TopicConfigCatalog.TryGet(name, out TopicConfigDefinition definition);
            foreach (string value in values)
            {
                Assert.True(definition.TryParse(value, out _, out string error), error);
                LogConfig.Parse([new KeyValuePair<string, string?>(name, definition.Normalize(value))]);
            }
        }
    }

    [Fact]
    public void The_defaults_are_storages_defaults()
    {
        var defaults = TopicConfigCatalog.All.Where(d => LogConfig.Names.Contains(d.Name) && d.Default is not null)
            .Select(d => new KeyValuePair<string, string?>(d.Name, d.Default));
        Assert.Equal(LogConfig.Default, LogConfig.Parse(defaults));
    }
}
