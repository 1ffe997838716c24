using Chronik.Broker.Partitions;
using Chronik.Cluster.Metadata;
using Chronik.Storage;

namespace Chronik.Broker.Tests.Partitions;

public class TopicConfigResolverTests
{
    [Fact]
    public void Defaults_are_kafkas_and_keep_fsync_before_ack()
    {
        var resolver = new TopicConfigResolver(TestConfigs.Create(), nodeId: 1);
        var settings = resolver.Resolve(new ImageBuilder().Image, "t");

        // The catalog's default log.flush.interval.messages is Long.MAX; passing it on would relax durability.
        Assert.True(settings.Log.FsyncBeforeAck);
        Assert.Null(settings.Log.FlushMessages);
        Assert.Equal(LogConfig.Default, settings.Log);
        Assert.Equal(1, settings.MinInsyncReplicas);
    }

    [Fact]
    public void Explicit_broker_configs_map_to_their_topic_names()
    {
        var resolver = new TopicConfigResolver(
            TestConfigs.Create(
                ("log.segment.bytes", "2097152"),
                ("message.max.bytes", "5000"),
                ("log.cleanup.policy", "compact,delete"),
                ("log.message.timestamp.type", "LogAppendTime"),
                ("log.retention.bytes", "123456"),
                ("log.index.interval.bytes", "100"),
                ("min.insync.replicas", "2"),
                ("log.flush.interval.messages", "1000")),
            1);
        var settings = resolver.Resolve(new ImageBuilder().Image, "t");
        Assert.Equal(2097152, settings.Log.SegmentBytes);
        Assert.Equal(5000, settings.Log.MaxMessageBytes);
        Assert.Equal(CleanupPolicy.Compact | CleanupPolicy.Delete, settings.Log.CleanupPolicy);
        Assert.Equal(TimestampType.LogAppendTime, settings.Log.MessageTimestampType);
        Assert.Equal(123456, settings.Log.RetentionBytes);
        Assert.Equal(100, settings.Log.IndexIntervalBytes);
        Assert.Equal(1000, settings.Log.FlushMessages);
        Assert.False(settings.Log.FsyncBeforeAck);
        Assert.Equal(2, settings.MinInsyncReplicas);
    }

    [Theory]
    [InlineData("log.retention.hours", "2", 7_200_000L)]
    [InlineData("log.retention.minutes", "3", 180_000L)]
    [InlineData("log.retention.ms", "42", 42L)]
    [InlineData("log.retention.hours", "-1", -1L)]
    public void Retention_units_scale_to_milliseconds(string name, string value, long expected)
    {
        var resolver = new TopicConfigResolver(TestConfigs.Create((name, value)), 1);
        Assert.Equal(expected, resolver.Resolve(new ImageBuilder().Image, "t").Log.RetentionMs);
    }

    [Fact]
    public void Retention_ms_wins_over_minutes_over_hours_and_roll_ms_over_hours()
    {
        var resolver = new TopicConfigResolver(
            TestConfigs.Create(("log.retention.hours", "1"), ("log.retention.minutes", "2"), ("log.retention.ms", "3"), ("log.roll.hours", "5"), ("log.roll.ms", "7")),
            1);
        var log = resolver.Resolve(new ImageBuilder().Image, "t").Log;
        Assert.Equal(3, log.RetentionMs);
        Assert.Equal(7, log.SegmentMs);

        var minutes = new TopicConfigResolver(TestConfigs.Create(("log.retention.hours", "1"), ("log.retention.minutes", "2"), ("log.roll.hours", "5")), 1);
        var second = minutes.Resolve(new ImageBuilder().Image, "t").Log;
        Assert.Equal(120_000, second.RetentionMs);
        Assert.Equal(5 * 3_600_000, second.SegmentMs);
    }

    [Fact]
    public void Topic_overrides_win_over_dynamic_broker_configs_which_win_over_static_ones()
    {
        var resolver = new TopicConfigResolver(TestConfigs.Create(("log.retention.ms", "1000"), ("log.segment.bytes", "2097152")), nodeId: 1);
        var builder = new ImageBuilder();
        builder.Topic("t", configs: ("retention.ms", "5"));
        builder.Topic("u");
        builder.Apply(
            new ConfigRecord(ConfigResourceType.Broker, "", "log.retention.ms", "2000"),
            new ConfigRecord(ConfigResourceType.Broker, "", "log.segment.bytes", "3145728"),
            new ConfigRecord(ConfigResourceType.Broker, "1", "log.segment.bytes", "4194304"),
            new ConfigRecord(ConfigResourceType.Broker, "2", "log.retention.ms", "9"));

        Assert.Equal(5, resolver.Resolve(builder.Image, "t").Log.RetentionMs);
        var other = resolver.Resolve(builder.Image, "u").Log;
        Assert.Equal(2000, other.RetentionMs);
        Assert.Equal(4194304, other.SegmentBytes);
    }

    [Fact]
    public void Min_insync_replicas_comes_from_the_topic()
    {
        var resolver = new TopicConfigResolver(TestConfigs.Create(), 1);
        var builder = new ImageBuilder();
        builder.Topic("t", configs: ("min.insync.replicas", "3"));
        Assert.Equal(3, resolver.Resolve(builder.Image, "t").MinInsyncReplicas);
    }

    [Fact]
    public void A_bad_value_names_its_key()
    {
        var resolver = new TopicConfigResolver(TestConfigs.Create(), 1);
        var builder = new ImageBuilder();
        builder.Topic("t", configs: ("segment.bytes", "12"));
        var e = Assert.Throws<LogConfigException>(() => resolver.Resolve(builder.Image, "t"));
        Assert.Equal("segment.bytes", e.Key);
    }
}
