using Chronik.Broker.Configs;
using Chronik.Broker.Handlers;
using Chronik.Cluster.Controller;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;
using CreatableTopic = Chronik.Protocol.Messages.CreateTopicsRequest.CreatableTopic;

namespace Chronik.Broker.Tests.Admin;

/// <summary>CreateTopics, DeleteTopics and CreatePartitions against a real single-node BrokerNode.</summary>
public class TopicAdminHandlerTests(AdminNodeFixture fixture) : IClassFixture<AdminNodeFixture>
{
    private BrokerNodeHarness Harness => fixture.Harness;

    private BrokerNode Node => fixture.Harness.Node;

    private static CreatableTopic Topic(string name, int partitions = 1, short replicationFactor = 1, params (string Name, string? Value)[] configs) => new()
    {
        Name = name,
        NumPartitions = partitions,
        ReplicationFactor = replicationFactor,
        Configs = [.. configs.Select(c => new CreateTopicsRequest.CreatableTopicConfig { Name = c.Name, Value = c.Value })],
    };

    private Task<CreateTopicsResponse> CreateAsync(short version, params CreatableTopic[] topics) =>
        CreateAsync(version, validateOnly: false, topics);

    private Task<CreateTopicsResponse> CreateAsync(short version, bool validateOnly, params CreatableTopic[] topics) =>
        Harness.SendAsync(new CreateTopicsHandler(Node), new CreateTopicsRequest { Topics = [.. topics], TimeoutMs = 30_000, ValidateOnly = validateOnly }, version);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    public async Task CreateTopics_creates_the_topic_visible_in_the_image_at_every_version(short version)
    {
        string name = $"create-v{version}";
        var response = await CreateAsync(version, Topic(name, partitions: 3, configs: ("retention.ms", "12345")));

        var result = Assert.Single(response.Topics);
        Assert.Equal(name, result.Name);
        Assert.Equal(0, result.ErrorCode);
        TopicImage topic = Assert.IsType<TopicImage>(Node.Image.GetTopic(name));
        Assert.Equal(3, topic.Partitions.Count);
        Assert.Equal("12345", Node.Image.GetConfig(ConfigResource.ForTopic(name), "retention.ms"));
        Assert.Equal(version >= 7 ? topic.TopicId : Guid.Empty, result.TopicId);
        if (version >= 5)
        {
            Assert.Equal(3, result.NumPartitions);
            Assert.Equal(1, result.ReplicationFactor);
            Assert.Equal(TopicConfigCatalog.All.Select(d => d.Name), result.Configs!.Select(c => c.Name));
            var retention = Assert.Single(result.Configs!, c => c.Name == "retention.ms");
            Assert.Equal(("12345", (sbyte)ConfigSource.DynamicTopicConfig, false, false), (retention.Value, retention.ConfigSource, retention.ReadOnly, retention.IsSensitive));
            var cleanup = Assert.Single(result.Configs!, c => c.Name == "cleanup.policy");
            Assert.Equal(("delete", (sbyte)ConfigSource.DefaultConfig), (cleanup.Value, cleanup.ConfigSource));
        }
        else
        {
            Assert.Equal(-1, result.NumPartitions);
        }
    }

    [Fact]
    public async Task Minus_one_takes_the_broker_defaults_and_manual_assignments_are_honoured()
    {
        var response = await CreateAsync(7,
            new CreatableTopic { Name = "defaults", NumPartitions = -1, ReplicationFactor = -1 },
            new CreatableTopic
            {
                Name = "assigned",
                NumPartitions = -1,
                ReplicationFactor = -1,
                Assignments = [new() { PartitionIndex = 0, BrokerIds = [1] }, new() { PartitionIndex = 1, BrokerIds = [1] }],
            });

        Assert.All(response.Topics, t => Assert.Equal(0, t.ErrorCode));
        Assert.Equal((1, (short)1), (response.Topics[0].NumPartitions, response.Topics[0].ReplicationFactor));
        Assert.Equal(2, response.Topics[1].NumPartitions);
        Assert.Equal([1], Node.Image.GetPartition("assigned", 1)!.Replicas.ToArray());
    }

    [Fact]
    public async Task Validate_only_checks_everything_and_creates_nothing()
    {
        var response = await CreateAsync(7, validateOnly: true, Topic("validated", 2, configs: ("cleanup.policy", "compact")), Topic("validated-bad", 1, configs: ("retention.ms", "x")));

        Assert.Equal(0, response.Topics[0].ErrorCode);
        Assert.Equal(Guid.Empty, response.Topics[0].TopicId);
        Assert.Equal(2, response.Topics[0].NumPartitions);
        Assert.Equal("compact", Assert.Single(response.Topics[0].Configs!, c => c.Name == "cleanup.policy").Value);
        Assert.Equal((short)ErrorCode.InvalidConfig, response.Topics[1].ErrorCode);
        Assert.Null(Node.Image.GetTopic("validated"));
        Assert.Null(Node.Image.GetTopic("validated-bad"));
    }

    [Theory]
    [InlineData("nope", "1", "Unknown topic config name: nope")]
    [InlineData("retention.ms", "soon", "Invalid value soon for configuration retention.ms: Not a number of type LONG")]
    [InlineData("segment.bytes", "100", "Invalid value 100 for configuration segment.bytes: Value must be at least 1048576")]
    [InlineData("remote.storage.enable", "true", "Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage.")]
    [InlineData("retention.ms", null, "Null value not supported for topic configs: retention.ms")]
    public async Task Bad_configs_answer_INVALID_CONFIG_naming_the_key_and_create_nothing(string config, string? value, string message)
    {
        string name = $"bad-config-{config}-{value ?? "null"}".Replace('.', '-');
        var response = await CreateAsync(5, Topic(name, configs: (config, value)));

        var result = Assert.Single(response.Topics);
        Assert.Equal((short)ErrorCode.InvalidConfig, result.ErrorCode);
        Assert.Equal(message, result.ErrorMessage);
        Assert.Equal(-1, result.NumPartitions);
        Assert.Empty(result.Configs!);
        Assert.Null(Node.Image.GetTopic(name));
    }

    [Fact]
    public async Task Conflicting_compaction_lags_are_refused()
    {
        var response = await CreateAsync(5, Topic("lags", configs: [("min.compaction.lag.ms", "10"), ("max.compaction.lag.ms", "5")]));
        Assert.Equal((short)ErrorCode.InvalidConfig, response.Topics[0].ErrorCode);
        Assert.Equal("conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)", response.Topics[0].ErrorMessage);
    }

    [Fact]
    public async Task A_name_given_twice_is_answered_once_with_INVALID_REQUEST_and_the_rest_is_created()
    {
        var response = await CreateAsync(5, Topic("twice"), Topic("once"), Topic("twice", 2));

        Assert.Equal(["twice", "once"], response.Topics.Select(t => t.Name));
        Assert.Equal((short)ErrorCode.InvalidRequest, response.Topics[0].ErrorCode);
        Assert.Equal("Duplicate topic name.", response.Topics[0].ErrorMessage);
        Assert.Equal(0, response.Topics[1].ErrorCode);
        Assert.Null(Node.Image.GetTopic("twice"));
        Assert.NotNull(Node.Image.GetTopic("once"));
    }

    [Fact]
    public async Task Kafka_errors_for_names_counts_and_assignments()
    {
        await CreateAsync(1, Topic("exists"));
        var response = await CreateAsync(1,
            Topic("exists"),
            Topic("bad/name"),
            Topic("no-partitions", partitions: 0),
            Topic("too-many-replicas", replicationFactor: 3),
            new CreatableTopic { Name = "assignment-twice", NumPartitions = -1, ReplicationFactor = -1, Assignments = [new() { PartitionIndex = 0, BrokerIds = [1] }, new() { PartitionIndex = 0, BrokerIds = [1] }] },
            new CreatableTopic { Name = "assignment-unknown-broker", NumPartitions = -1, ReplicationFactor = -1, Assignments = [new() { PartitionIndex = 0, BrokerIds = [7] }] },
            Topic("__consumer_offsets"),
            Topic("__cluster_metadata"));

        Assert.Equal(
            [ErrorCode.TopicAlreadyExists, ErrorCode.InvalidTopicException, ErrorCode.InvalidPartitions, ErrorCode.InvalidReplicationFactor,
                ErrorCode.InvalidReplicaAssignment, ErrorCode.InvalidReplicaAssignment, ErrorCode.InvalidRequest, ErrorCode.TopicAuthorizationFailed],
            response.Topics.Select(t => (ErrorCode)t.ErrorCode));
        Assert.All(response.Topics, t => Assert.False(string.IsNullOrEmpty(t.ErrorMessage)));
        Assert.Null(Node.Image.GetTopic("__consumer_offsets"));
    }

    [Fact]
    public async Task A_non_positive_timeout_answers_right_after_the_commit()
    {
        var response = await Harness.SendAsync(new CreateTopicsHandler(Node), new CreateTopicsRequest { Topics = [Topic("no-wait")], TimeoutMs = 0 }, 4);
        Assert.Equal(0, response.Topics[0].ErrorCode);
        Assert.NotNull(Node.Image.GetTopic("no-wait"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(5)]
    public async Task DeleteTopics_by_name_removes_the_topic_before_answering(short version)
    {
        string name = $"delete-v{version}";
        await CreateAsync(5, Topic(name, 2));
        var response = await Harness.SendAsync(new DeleteTopicsHandler(Node), new DeleteTopicsRequest { TopicNames = [name, "never-existed"], TimeoutMs = 30_000 }, version);

        Assert.Equal([(name, ErrorCode.None), ("never-existed", ErrorCode.UnknownTopicOrPartition)], response.Responses.Select(r => (r.Name, (ErrorCode)r.ErrorCode)));
        Assert.Null(Node.Image.GetTopic(name));
        Assert.Equal(version >= 5 ? "This server does not host this topic-partition." : null, response.Responses[1].ErrorMessage);
    }

    [Fact]
    public async Task DeleteTopics_v6_by_id_and_Kafkas_checks_of_malformed_entries()
    {
        await CreateAsync(7, Topic("delete-by-id"), Topic("delete-by-name"), Topic("delete-twice"));
        Guid id = Node.Image.GetTopic("delete-by-id")!.TopicId;
        Guid nameId = Node.Image.GetTopic("delete-by-name")!.TopicId;
        Guid unknown = Guid.NewGuid();
        var request = new DeleteTopicsRequest
        {
            TimeoutMs = 30_000,
            Topics =
            [
                new() { TopicId = id },
                new() { Name = "delete-by-name" },
                new() { TopicId = unknown },
                new() { Name = "delete-twice" },
                new() { Name = "delete-twice" },
                new() { Name = "both", TopicId = Guid.NewGuid() },
                new() { },
            ],
        };

        var response = await Harness.SendAsync(new DeleteTopicsHandler(Node), request, 6);

        var byOutcome = response.Responses.Select(r => (r.Name, r.TopicId, (ErrorCode)r.ErrorCode)).ToList();
        Assert.Contains(("delete-by-id", id, ErrorCode.None), byOutcome);
        Assert.Contains(("delete-by-name", nameId, ErrorCode.None), byOutcome);
        Assert.Contains((null, unknown, ErrorCode.UnknownTopicId), byOutcome);
        Assert.Single(byOutcome, r => r.Name == "delete-twice" && r.Item3 == ErrorCode.InvalidRequest);
        Assert.Contains(response.Responses, r => r.Name == "both" && r.ErrorCode == (short)ErrorCode.InvalidRequest);
        Assert.Contains(response.Responses, r => r.Name is null && r.TopicId == Guid.Empty && r.ErrorMessage == "Neither topic name nor id were specified.");
        Assert.Equal(6, response.Responses.Count);
        Assert.Null(Node.Image.GetTopic("delete-by-id"));
        Assert.Null(Node.Image.GetTopic("delete-by-name"));
        Assert.NotNull(Node.Image.GetTopic("delete-twice"));
    }

    [Fact]
    public async Task Internal_topics_are_neither_deleted_nor_grown_by_clients()
    {
        // The group coordinator creates __consumer_offsets through the controller, not through CreateTopics.
        var created = await Node.ControllerClient.CreateTopicsAsync([new Cluster.Controller.CreatableTopic(InternalTopics.ConsumerOffsets, 2, 1)], validateOnly: false, CancellationToken.None);
        Assert.False(created[0].Error.IsError);

        var deleted = await Harness.SendAsync(new DeleteTopicsHandler(Node), new DeleteTopicsRequest { TopicNames = [InternalTopics.ConsumerOffsets], TimeoutMs = 1000 }, 5);
        Assert.Equal((short)ErrorCode.InvalidRequest, deleted.Responses[0].ErrorCode);
        var byId = await Harness.SendAsync(new DeleteTopicsHandler(Node), new DeleteTopicsRequest { Topics = [new() { TopicId = created[0].TopicId }], TimeoutMs = 1000 }, 6);
        Assert.Equal((short)ErrorCode.InvalidRequest, byId.Responses[0].ErrorCode);
        var grown = await Harness.SendAsync(new CreatePartitionsHandler(Node),
            new CreatePartitionsRequest { Topics = [new() { Name = InternalTopics.ConsumerOffsets, Count = 4, Assignments = null }], TimeoutMs = 1000 }, 3);
        Assert.Equal((short)ErrorCode.InvalidRequest, grown.Results[0].ErrorCode);
        Assert.Equal(2, Node.Image.GetTopic(InternalTopics.ConsumerOffsets)!.Partitions.Count);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task CreatePartitions_grows_topics_and_refuses_anything_but_an_increase(short version)
    {
        string name = $"grow-v{version}";
        await CreateAsync(5, Topic(name, 1), Topic($"{name}-assigned", 1));
        var request = new CreatePartitionsRequest
        {
            TimeoutMs = 30_000,
            Topics =
            [
                new() { Name = name, Count = 3, Assignments = null },
                new() { Name = $"{name}-assigned", Count = 2, Assignments = [new() { BrokerIds = [1] }] },
                new() { Name = "grow-missing", Count = 2, Assignments = null },
            ],
        };

        var response = await Harness.SendAsync(new CreatePartitionsHandler(Node), request, version);
        Assert.Equal([ErrorCode.None, ErrorCode.None, ErrorCode.UnknownTopicOrPartition], response.Results.Select(r => (ErrorCode)r.ErrorCode));
        Assert.Equal(3, Node.Image.GetTopic(name)!.Partitions.Count);
        Assert.Equal(2, Node.Image.GetTopic($"{name}-assigned")!.Partitions.Count);

        var again = await Harness.SendAsync(new CreatePartitionsHandler(Node), new CreatePartitionsRequest
        {
            TimeoutMs = 30_000,
            Topics =
            [
                new() { Name = name, Count = 3, Assignments = null },
                new() { Name = $"{name}-assigned", Count = 1, Assignments = null },
            ],
        }, version);
        Assert.All(again.Results, r => Assert.Equal((short)ErrorCode.InvalidPartitions, r.ErrorCode));
        Assert.Equal("Topic already has 3 partition(s).", again.Results[0].ErrorMessage);
    }

    [Fact]
    public async Task CreatePartitions_validate_only_duplicates_and_wrong_assignments()
    {
        await CreateAsync(5, Topic("grow-checked", 1), Topic("grow-dup", 1));
        var response = await Harness.SendAsync(new CreatePartitionsHandler(Node), new CreatePartitionsRequest
        {
            TimeoutMs = 30_000,
            ValidateOnly = true,
            Topics =
            [
                new() { Name = "grow-checked", Count = 4, Assignments = null },
                new() { Name = "grow-dup", Count = 2, Assignments = null },
                new() { Name = "grow-dup", Count = 3, Assignments = null },
            ],
        }, 3);
        Assert.Equal([("grow-checked", ErrorCode.None), ("grow-dup", ErrorCode.InvalidRequest)], response.Results.Select(r => (r.Name, (ErrorCode)r.ErrorCode)));
        Assert.Single(Node.Image.GetTopic("grow-checked")!.Partitions);

        var wrong = await Harness.SendAsync(new CreatePartitionsHandler(Node), new CreatePartitionsRequest
        {
            TimeoutMs = 30_000,
            Topics = [new() { Name = "grow-checked", Count = 3, Assignments = [new() { BrokerIds = [1] }] }],
        }, 3);
        Assert.Equal((short)ErrorCode.InvalidReplicaAssignment, wrong.Results[0].ErrorCode);
    }
}

/// <summary>delete.topic.enable=false: every topic answers TOPIC_DELETION_DISABLED (INVALID_REQUEST before v3).</summary>
public sealed class DeleteTopicsDisabledTests : IAsyncLifetime
{
    private BrokerNodeHarness _harness = null!;

    public async Task InitializeAsync() => _harness = await BrokerNodeHarness.StartAsync(new Dictionary<string, string> { ["delete.topic.enable"] = "false" });

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task Deletion_is_refused_and_the_topic_stays()
    {
        BrokerNode node = _harness.Node;
        await node.ControllerClient.CreateTopicsAsync([new Cluster.Controller.CreatableTopic("kept")], validateOnly: false, CancellationToken.None);

        var v2 = await _harness.SendAsync(new DeleteTopicsHandler(node), new DeleteTopicsRequest { TopicNames = ["kept", "other"] }, 2);
        Assert.Equal([("kept", ErrorCode.InvalidRequest), ("other", ErrorCode.InvalidRequest)], v2.Responses.Select(r => (r.Name, (ErrorCode)r.ErrorCode)));
        var v3 = await _harness.SendAsync(new DeleteTopicsHandler(node), new DeleteTopicsRequest { TopicNames = ["kept"] }, 3);
        Assert.Equal((short)ErrorCode.TopicDeletionDisabled, v3.Responses[0].ErrorCode);
        var v6 = await _harness.SendAsync(new DeleteTopicsHandler(node), new DeleteTopicsRequest { Topics = [new() { Name = "kept" }] }, 6);
        Assert.Equal(("kept", (short)ErrorCode.TopicDeletionDisabled), (v6.Responses[0].Name, v6.Responses[0].ErrorCode));
        Assert.NotNull(node.Image.GetTopic("kept"));
    }
}
