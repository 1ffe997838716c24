using Chronik.Broker.Configs;
using Chronik.Cluster.Controller;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Tests.Admin;

public class ConfigValidatorTests
{
    private static readonly ConfigResource Topic = ConfigResource.ForTopic("t");

    private readonly ConfigValidator _validator = new(TestBrokerConfigs.Create());

    [Fact]
    public void Topic_configs_are_checked_by_name_and_value()
    {
        Assert.Equal(ApiError.None, _validator.Validate(Topic, "retention.ms", "1000"));
        Assert.Equal(new ApiError(ErrorCode.InvalidConfig, "Unknown topic config name: retention.hours"), _validator.Validate(Topic, "retention.hours", "1"));
        Assert.Equal(new ApiError(ErrorCode.InvalidConfig, "Invalid value x for configuration segment.ms: Not a number of type LONG"), _validator.Validate(Topic, "segment.ms", "x"));
        // Deleting an override is always fine, even of a name Kafka does not know (a no-op there too).
        Assert.Equal(ApiError.None, _validator.Validate(Topic, "retention.hours", null));
        Assert.Equal(ApiError.None, _validator.Validate(Topic, "retention.ms", null));
    }

    [Fact]
    public void No_broker_config_is_dynamic_yet()
    {
        Assert.Equal(new ApiError(ErrorCode.InvalidRequest, "Cannot update these configs dynamically: Set(log.retention.ms)"),
            _validator.Validate(ConfigResource.ClusterDefault, "log.retention.ms", "1"));
        Assert.Equal(new ApiError(ErrorCode.InvalidRequest, "Cannot update these configs dynamically: Set(num.partitions)"),
            _validator.Validate(ConfigResource.ForBroker(1), "num.partitions", null));
        Assert.Equal(ErrorCode.InvalidConfig, _validator.Validate(ConfigResource.ForBroker(1), "no.such.config", "1").Code);
    }

    [Fact]
    public void The_resulting_set_must_keep_min_compaction_lag_at_most_max_compaction_lag()
    {
        Assert.Equal(ApiError.None, _validator.ValidateResulting(Topic, new Dictionary<string, string> { ["min.compaction.lag.ms"] = "10", ["max.compaction.lag.ms"] = "10" }));
        Assert.Equal(new ApiError(ErrorCode.InvalidConfig, "conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)"),
            _validator.ValidateResulting(Topic, new Dictionary<string, string> { ["min.compaction.lag.ms"] = "10", ["max.compaction.lag.ms"] = "5" }));

        // The broker-level value counts where the topic sets nothing.
        var strictBroker = new ConfigValidator(TestBrokerConfigs.Create(new Dictionary<string, string> { ["log.cleaner.max.compaction.lag.ms"] = "100" }));
        Assert.Equal(ErrorCode.InvalidConfig, strictBroker.ValidateResulting(Topic, new Dictionary<string, string> { ["min.compaction.lag.ms"] = "200" }).Code);
        Assert.Equal(ApiError.None, strictBroker.ValidateResulting(Topic, new Dictionary<string, string> { ["min.compaction.lag.ms"] = "50" }));
    }

    [Fact]
    public void Append_and_subtract_apply_to_list_configs_starting_from_their_default()
    {
        Assert.True(_validator.IsListConfig(Topic, "cleanup.policy", out string? cleanupDefault));
        Assert.Equal("delete", cleanupDefault);
        Assert.True(_validator.IsListConfig(Topic, "leader.replication.throttled.replicas", out string? throttledDefault));
        Assert.Equal("", throttledDefault);
        Assert.False(_validator.IsListConfig(Topic, "retention.ms", out _));
        Assert.False(_validator.IsListConfig(Topic, "unknown", out _));
        Assert.True(_validator.IsListConfig(ConfigResource.ForBroker(1), "log.cleanup.policy", out string? brokerDefault));
        Assert.Equal("delete", brokerDefault);
    }

    [Fact]
    public void The_controller_applies_append_and_subtract_from_the_default_and_refuses_them_on_other_types()
    {
        var image = MetadataImage.Empty.Apply([new TopicRecord("t", Guid.NewGuid())], 1);
        var decisions = new ConfigDecisions(_validator);

        var appended = decisions.AlterConfigs(image, [new AlterConfigsResource(Topic, [new ConfigChange("cleanup.policy", ConfigOperation.Append, "compact")])]);
        Assert.Equal(ApiError.None, appended.Response[0].Error);
        image = image.Apply(appended.Records, 2);
        Assert.Equal("delete,compact", image.GetConfig(Topic, "cleanup.policy"));

        var subtracted = decisions.AlterConfigs(image, [new AlterConfigsResource(Topic, [new ConfigChange("cleanup.policy", ConfigOperation.Subtract, "delete")])]);
        image = image.Apply(subtracted.Records, 3);
        Assert.Equal("compact", image.GetConfig(Topic, "cleanup.policy"));

        // Subtracting the last element leaves an empty list, which Chronik cannot store: refused whole.
        var emptied = decisions.AlterConfigs(image, [new AlterConfigsResource(Topic, [new ConfigChange("cleanup.policy", ConfigOperation.Subtract, "compact")])]);
        Assert.Equal(ErrorCode.InvalidConfig, emptied.Response[0].Error.Code);
        Assert.Empty(emptied.Records);

        var notList = decisions.AlterConfigs(image, [new AlterConfigsResource(Topic, [new ConfigChange("retention.ms", ConfigOperation.Append, "5")])]);
        Assert.Equal(new ApiError(ErrorCode.InvalidConfig, "Can't APPEND to key retention.ms because its type is not LIST."), notList.Response[0].Error);

        var conflicting = decisions.AlterConfigs(image, [new AlterConfigsResource(Topic,
        [
            new ConfigChange("max.compaction.lag.ms", ConfigOperation.Set, "5"),
            new ConfigChange("min.compaction.lag.ms", ConfigOperation.Set, "10"),
        ])]);
        Assert.Equal(ErrorCode.InvalidConfig, conflicting.Response[0].Error.Code);
        Assert.Empty(conflicting.Records);
    }
}
