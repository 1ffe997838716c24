using Chronik.Broker.Configs;
using Chronik.Broker.Handlers;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;
using CreatableTopic = Chronik.Cluster.Controller.CreatableTopic;

namespace Chronik.Broker.Tests.Admin;

/// <summary>DescribeConfigs, AlterConfigs and IncrementalAlterConfigs against a real single-node BrokerNode.</summary>
public class ConfigAdminHandlerTests(AdminNodeFixture fixture) : IClassFixture<AdminNodeFixture>
{
    private const sbyte TopicType = 2;
    private const sbyte BrokerType = 4;
    private const sbyte BrokerLoggerType = 8;

    private BrokerNodeHarness Harness => fixture.Harness;

    private BrokerNode Node => fixture.Harness.Node;

    private async Task CreateTopicAsync(string name, params (string Name, string Value)[] configs)
    {
        var result = await Node.ControllerClient.CreateTopicsAsync(
            [new CreatableTopic(name, 1, 1, Configs: configs.ToDictionary(c => c.Name, c => (string?)c.Value))], validateOnly: false, CancellationToken.None);
        Assert.False(result[0].Error.IsError, result[0].Error.ToString());
    }

    private Task<DescribeConfigsResponse> DescribeAsync(short version, sbyte type, string name, List<string>? keys = null, bool synonyms = true, bool documentation = true) =>
        Harness.SendAsync(new DescribeConfigsHandler(Node), new DescribeConfigsRequest
        {
            Resources = [new() { ResourceType = type, ResourceName = name, ConfigurationKeys = keys }],
            IncludeSynonyms = synonyms && version >= 1,
            IncludeDocumentation = documentation && version >= 3,
        }, version);

    private Task<AlterConfigsResponse> AlterAsync(string topic, bool validateOnly, params (string Name, string? Value)[] configs) =>
        Harness.SendAsync(new AlterConfigsHandler(Node), new AlterConfigsRequest
        {
            Resources = [new() { ResourceType = TopicType, ResourceName = topic, Configs = [.. configs.Select(c => new AlterConfigsRequest.AlterableConfig { Name = c.Name, Value = c.Value })] }],
            ValidateOnly = validateOnly,
        }, 2);

    private Task<IncrementalAlterConfigsResponse> IncrementAsync(sbyte type, string name, params (string Name, sbyte Operation, string? Value)[] configs) =>
        Harness.SendAsync(new IncrementalAlterConfigsHandler(Node), new IncrementalAlterConfigsRequest
        {
            Resources =
            [
                new()
                {
                    ResourceType = type,
                    ResourceName = name,
                    Configs = [.. configs.Select(c => new IncrementalAlterConfigsRequest.AlterableConfig { Name = c.Name, ConfigOperation = c.Operation, Value = c.Value })],
                },
            ],
        }, 1);

    private ConfigResource TopicResource(string name) => ConfigResource.ForTopic(name);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task DescribeConfigs_lists_every_topic_config_with_sources_synonyms_and_documentation(short version)
    {
        string topic = $"describe-v{version}";
        await CreateTopicAsync(topic, ("retention.ms", "1000"));

        var response = await DescribeAsync(version, TopicType, topic);

        var result = Assert.Single(response.Results);
        Assert.Equal((0, TopicType, topic), (result.ErrorCode, result.ResourceType, result.ResourceName));
        Assert.Equal(TopicConfigCatalog.All.Select(d => d.Name), result.Configs.Select(c => c.Name));
        var retention = Assert.Single(result.Configs, c => c.Name == "retention.ms");
        var segment = Assert.Single(result.Configs, c => c.Name == "segment.ms");
        Assert.Equal(("1000", false, false), (retention.Value, retention.ReadOnly, retention.IsSensitive));
        Assert.Equal("604800000", segment.Value);
        if (version == 0)
        {
            Assert.False(retention.IsDefault);
            Assert.True(segment.IsDefault);
            return;
        }

        Assert.Equal((sbyte)ConfigSource.DynamicTopicConfig, retention.ConfigSource);
        Assert.Equal((sbyte)ConfigSource.DefaultConfig, segment.ConfigSource);
        Assert.Equal(
            [("retention.ms", "1000", (sbyte)ConfigSource.DynamicTopicConfig), ("log.retention.hours", "168", (sbyte)ConfigSource.DefaultConfig)],
            retention.Synonyms.Select(s => (s.Name, s.Value, s.Source)));
        if (version >= 3)
        {
            Assert.Equal((sbyte)BrokerConfigType.Long, retention.ConfigType);
            Assert.False(string.IsNullOrEmpty(retention.Documentation));
            Assert.Equal((sbyte)BrokerConfigType.List, Assert.Single(result.Configs, c => c.Name == "cleanup.policy").ConfigType);
        }
    }

    [Fact]
    public async Task DescribeConfigs_honours_keys_synonym_and_documentation_flags()
    {
        await CreateTopicAsync("describe-keys");
        var response = await DescribeAsync(4, TopicType, "describe-keys", ["cleanup.policy", "no.such.key"], synonyms: false, documentation: false);

        var config = Assert.Single(response.Results[0].Configs);
        Assert.Equal(("cleanup.policy", "delete"), (config.Name, config.Value));
        Assert.Empty(config.Synonyms);
        Assert.Null(config.Documentation);
    }

    [Fact]
    public async Task DescribeConfigs_errors_per_resource()
    {
        var response = await Harness.SendAsync(new DescribeConfigsHandler(Node), new DescribeConfigsRequest
        {
            Resources =
            [
                new() { ResourceType = TopicType, ResourceName = "describe-missing" },
                new() { ResourceType = TopicType, ResourceName = "bad/name" },
                new() { ResourceType = BrokerType, ResourceName = "2" },
                new() { ResourceType = BrokerType, ResourceName = "one" },
                new() { ResourceType = BrokerLoggerType, ResourceName = "" },
                new() { ResourceType = 3, ResourceName = "x" },
            ],
        }, 4);

        Assert.Equal(
            [ErrorCode.UnknownTopicOrPartition, ErrorCode.InvalidTopicException, ErrorCode.InvalidRequest, ErrorCode.InvalidRequest, ErrorCode.InvalidRequest, ErrorCode.InvalidRequest],
            response.Results.Select(r => (ErrorCode)r.ErrorCode));
        Assert.All(response.Results, r => Assert.Empty(r.Configs));
        Assert.Equal("Unexpected broker id, expected 1 or empty string, but received 2", response.Results[2].ErrorMessage);
    }

    [Fact]
    public async Task DescribeConfigs_of_this_broker_lists_every_broker_config_read_only()
    {
        var response = await Harness.SendAsync(new DescribeConfigsHandler(Node), new DescribeConfigsRequest
        {
            Resources =
            [
                new() { ResourceType = BrokerType, ResourceName = "1", ConfigurationKeys = null },
                new() { ResourceType = BrokerType, ResourceName = "" },
                new() { ResourceType = BrokerLoggerType, ResourceName = "1" },
            ],
            IncludeSynonyms = true,
        }, 3);

        var broker = response.Results[0];
        Assert.Equal(0, broker.ErrorCode);
        Assert.Equal(BrokerConfigCatalog.All.Select(d => d.Name), broker.Configs.Select(c => c.Name));
        Assert.All(broker.Configs, c => Assert.True(c.ReadOnly));
        var partitions = Assert.Single(broker.Configs, c => c.Name == "num.partitions");
        Assert.Equal(("1", (sbyte)ConfigSource.DefaultConfig), (partitions.Value, partitions.ConfigSource));
        Assert.Equal((sbyte)BrokerConfigType.Int, partitions.ConfigType);
        Assert.Empty(response.Results[1].Configs);
        Assert.Equal(0, response.Results[2].ErrorCode);
        Assert.Empty(response.Results[2].Configs);
    }

    [Fact]
    public async Task AlterConfigs_replaces_the_whole_set_of_overrides()
    {
        await CreateTopicAsync("alter-legacy", ("retention.ms", "1000"), ("cleanup.policy", "compact"));

        var validated = await AlterAsync("alter-legacy", validateOnly: true, ("segment.ms", "60000"));
        Assert.Equal(0, validated.Responses[0].ErrorCode);
        Assert.Equal("1000", Node.Image.GetConfig(TopicResource("alter-legacy"), "retention.ms"));

        var replaced = await AlterAsync("alter-legacy", validateOnly: false, ("segment.ms", "60000"), ("retention.ms", "2000"));
        Assert.Equal(0, replaced.Responses[0].ErrorCode);
        Assert.Equal(
            new Dictionary<string, string> { ["retention.ms"] = "2000", ["segment.ms"] = "60000" },
            Node.Image.GetConfigs(TopicResource("alter-legacy")));

        var cleared = await AlterAsync("alter-legacy", validateOnly: false);
        Assert.Equal(0, cleared.Responses[0].ErrorCode);
        Assert.Empty(Node.Image.GetConfigs(TopicResource("alter-legacy")));
    }

    [Fact]
    public async Task AlterConfigs_refusals_leave_the_overrides_alone()
    {
        await CreateTopicAsync("alter-refused", ("retention.ms", "1000"));

        var badValue = await AlterAsync("alter-refused", validateOnly: false, ("retention.ms", "2000"), ("segment.bytes", "12"));
        Assert.Equal(((short)ErrorCode.InvalidConfig, "Invalid value 12 for configuration segment.bytes: Value must be at least 1048576"),
            (badValue.Responses[0].ErrorCode, badValue.Responses[0].ErrorMessage));
        var nullValue = await AlterAsync("alter-refused", validateOnly: false, ("retention.ms", null));
        Assert.Equal(((short)ErrorCode.InvalidConfig, "Null value not supported for topic configs: retention.ms"), (nullValue.Responses[0].ErrorCode, nullValue.Responses[0].ErrorMessage));
        var missing = await AlterAsync("alter-missing", validateOnly: false, ("retention.ms", "1"));
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, missing.Responses[0].ErrorCode);
        Assert.Equal("1000", Node.Image.GetConfig(TopicResource("alter-refused"), "retention.ms"));

        var others = await Harness.SendAsync(new AlterConfigsHandler(Node), new AlterConfigsRequest
        {
            Resources =
            [
                new() { ResourceType = BrokerType, ResourceName = "1", Configs = [new() { Name = "log.retention.ms", Value = "1" }] },
                new() { ResourceType = TopicType, ResourceName = "alter-refused", Configs = [] },
                new() { ResourceType = TopicType, ResourceName = "alter-refused", Configs = [] },
                new() { ResourceType = BrokerLoggerType, ResourceName = "1", Configs = [] },
                new() { ResourceType = 99, ResourceName = "x", Configs = [] },
            ],
        }, 0);
        Assert.Equal(
            [(ErrorCode.InvalidRequest, "Cannot update these configs dynamically: Set(log.retention.ms)"), (ErrorCode.InvalidRequest, "Duplicate resource."),
                (ErrorCode.InvalidRequest, "Unexpected resource type BROKER_LOGGER."), (ErrorCode.UnsupportedVersion, "Unknown resource type 99.")],
            others.Responses.Select(r => ((ErrorCode)r.ErrorCode, r.ErrorMessage)));
        Assert.Equal("1000", Node.Image.GetConfig(TopicResource("alter-refused"), "retention.ms"));
    }

    [Fact]
    public async Task IncrementalAlterConfigs_sets_deletes_appends_and_subtracts()
    {
        await CreateTopicAsync("incremental", ("retention.ms", "1000"));
        const sbyte set = 0, delete = 1, append = 2, subtract = 3;

        var first = await IncrementAsync(TopicType, "incremental", ("retention.ms", delete, null), ("segment.ms", set, "60000"), ("cleanup.policy", append, "compact"));
        Assert.Equal(0, first.Responses[0].ErrorCode);
        Assert.Equal(
            new Dictionary<string, string> { ["cleanup.policy"] = "delete,compact", ["segment.ms"] = "60000" },
            Node.Image.GetConfigs(TopicResource("incremental")));

        var second = await IncrementAsync(TopicType, "incremental", ("cleanup.policy", subtract, "delete"));
        Assert.Equal(0, second.Responses[0].ErrorCode);
        Assert.Equal("compact", Node.Image.GetConfig(TopicResource("incremental"), "cleanup.policy"));

        var notList = await IncrementAsync(TopicType, "incremental", ("segment.ms", set, "1"), ("retention.ms", append, "5"));
        Assert.Equal(((short)ErrorCode.InvalidConfig, "Can't APPEND to key retention.ms because its type is not LIST."), (notList.Responses[0].ErrorCode, notList.Responses[0].ErrorMessage));
        Assert.Equal("60000", Node.Image.GetConfig(TopicResource("incremental"), "segment.ms"));

        var lags = await IncrementAsync(TopicType, "incremental", ("min.compaction.lag.ms", set, "10"), ("max.compaction.lag.ms", set, "5"));
        Assert.Equal((short)ErrorCode.InvalidConfig, lags.Responses[0].ErrorCode);
        Assert.Null(Node.Image.GetConfig(TopicResource("incremental"), "min.compaction.lag.ms"));
    }

    [Fact]
    public async Task IncrementalAlterConfigs_validate_only_and_refusals()
    {
        await CreateTopicAsync("incremental-refused");
        var validated = await Harness.SendAsync(new IncrementalAlterConfigsHandler(Node), new IncrementalAlterConfigsRequest
        {
            ValidateOnly = true,
            Resources = [new() { ResourceType = TopicType, ResourceName = "incremental-refused", Configs = [new() { Name = "retention.ms", ConfigOperation = 0, Value = "5" }] }],
        }, 0);
        Assert.Equal(0, validated.Responses[0].ErrorCode);
        Assert.Empty(Node.Image.GetConfigs(TopicResource("incremental-refused")));

        var refused = await Harness.SendAsync(new IncrementalAlterConfigsHandler(Node), new IncrementalAlterConfigsRequest
        {
            Resources =
            [
                new() { ResourceType = TopicType, ResourceName = "incremental-refused", Configs = [new() { Name = "nope", ConfigOperation = 0, Value = "1" }] },
                new() { ResourceType = TopicType, ResourceName = "incremental-missing", Configs = [new() { Name = "retention.ms", ConfigOperation = 0, Value = "1" }] },
                new() { ResourceType = BrokerType, ResourceName = "", Configs = [new() { Name = "log.retention.ms", ConfigOperation = 0, Value = "1" }] },
                new() { ResourceType = BrokerLoggerType, ResourceName = "1", Configs = [new() { Name = "kafka.server", ConfigOperation = 0, Value = "DEBUG" }] },
                new() { ResourceType = BrokerType, ResourceName = "1", Configs = [new() { Name = "a", ConfigOperation = 0, Value = "1" }, new() { Name = "a", ConfigOperation = 1 }] },
                new() { ResourceType = BrokerType, ResourceName = "2", Configs = [new() { Name = "a", ConfigOperation = 7, Value = "1" }] },
                new() { ResourceType = TopicType, ResourceName = "incremental-null", Configs = [new() { Name = "retention.ms", ConfigOperation = 0, Value = null }] },
            ],
        }, 1);

        Assert.Equal(
            [ErrorCode.InvalidConfig, ErrorCode.UnknownTopicOrPartition, ErrorCode.InvalidRequest, ErrorCode.InvalidConfig, ErrorCode.InvalidRequest, ErrorCode.InvalidRequest, ErrorCode.InvalidRequest],
            refused.Responses.Select(r => (ErrorCode)r.ErrorCode));
        Assert.Equal("Unknown topic config name: nope", refused.Responses[0].ErrorMessage);
        Assert.Equal("Logger kafka.server does not exist!", refused.Responses[3].ErrorMessage);
        Assert.Empty(Node.Image.GetConfigs(TopicResource("incremental-refused")));
    }
}
