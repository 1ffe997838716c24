namespace Chronik.Storage.Tests;

public class LogConfigTests
{
    [Fact]
    public void Defaults_are_kafkas_with_fsync_before_ack()
    {
        var c = LogConfig.Default;
        Assert.Equal(1073741824, c.SegmentBytes);
        Assert.Equal(604800000, c.SegmentMs);
        Assert.Equal(10485760, c.SegmentIndexBytes);
        Assert.Equal(4096, c.IndexIntervalBytes);
        Assert.Equal(604800000, c.RetentionMs);
        Assert.Equal(-1, c.RetentionBytes);
        Assert.Equal(CleanupPolicy.Delete, c.CleanupPolicy);
        Assert.Equal(86400000, c.DeleteRetentionMs);
        Assert.Equal(0, c.MinCompactionLagMs);
        Assert.Equal(long.MaxValue, c.MaxCompactionLagMs);
        Assert.Equal(0.5, c.MinCleanableDirtyRatio);
        Assert.Equal(1048588, c.MaxMessageBytes);
        Assert.Equal(TimestampType.CreateTime, c.MessageTimestampType);
        Assert.Equal(long.MaxValue, c.MessageTimestampBeforeMaxMs);
        Assert.Equal(3600000, c.MessageTimestampAfterMaxMs);
        Assert.Equal(60000, c.FileDeleteDelayMs);
        Assert.Null(c.FlushMessages);
        Assert.Null(c.FlushMs);
        Assert.True(c.FsyncBeforeAck);
    }

    [Fact]
    public void Parse_applies_kafka_names_and_ignores_keys_of_other_layers()
    {
        var c = LogConfig.Parse(new Dictionary<string, string?>
        {
            ["segment.bytes"] = "2097152",
            ["retention.ms"] = "-1",
            ["cleanup.policy"] = "compact, delete",
            ["min.cleanable.dirty.ratio"] = "0.25",
            ["message.timestamp.type"] = "LogAppendTime",
            ["compression.type"] = "zstd",
            ["min.insync.replicas"] = "2",
        });

        Assert.Equal(2097152, c.SegmentBytes);
        Assert.Equal(-1, c.RetentionMs);
        Assert.True(c.Compact && c.Delete);
        Assert.Equal(0.25, c.MinCleanableDirtyRatio);
        Assert.Equal(TimestampType.LogAppendTime, c.MessageTimestampType);
    }

    [Theory]
    [InlineData("flush.messages", "10000", false)]
    [InlineData("flush.ms", "1000", false)]
    [InlineData("flush.messages", "9223372036854775807", false)]
    [InlineData("flush.messages", "1", true)]
    [InlineData("flush.ms", "0", true)]
    public void An_explicit_flush_setting_relaxes_durability_unless_it_asks_for_every_append(string key, string value, bool fsyncBeforeAck)
    {
        var c = LogConfig.Parse([new(key, value)]);
        Assert.Equal(fsyncBeforeAck, c.FsyncBeforeAck);
    }

    [Theory]
    [InlineData("segment.bytes", "1000")]
    [InlineData("segment.bytes", "abc")]
    [InlineData("retention.ms", "-2")]
    [InlineData("cleanup.policy", "compact,shred")]
    [InlineData("cleanup.policy", "")]
    [InlineData("min.cleanable.dirty.ratio", "1.5")]
    [InlineData("message.timestamp.type", "createtime")]
    [InlineData("flush.messages", "0")]
    [InlineData("max.compaction.lag.ms", "0")]
    public void Invalid_values_fail_naming_the_key(string key, string value)
    {
        var e = Assert.Throws<LogConfigException>(() => LogConfig.Parse([new(key, value)]));
        Assert.Equal(key, e.Key);
        Assert.Contains(key, e.Message, StringComparison.Ordinal);
        Assert.Equal(Protocol.Wire.ErrorCode.InvalidConfig, e.ErrorCode);
    }

    [Fact]
    public void Compaction_lags_must_be_ordered()
    {
        var e = Assert.Throws<LogConfigException>(() => LogConfig.Parse([new("min.compaction.lag.ms", "5000"), new("max.compaction.lag.ms", "4000")]));
        Assert.Equal("min.compaction.lag.ms", e.Key);
    }

    [Fact]
    public void Parse_layers_on_broker_defaults()
    {
        var broker = LogConfig.Default with { RetentionMs = 1000, FlushMs = 500 };
        var c = LogConfig.Parse([new("flush.ms", null), new("segment.ms", "3600000")], broker);
        Assert.Equal(1000, c.RetentionMs);
        Assert.Null(c.FlushMs);
        Assert.Equal(3600000, c.SegmentMs);
    }
}
