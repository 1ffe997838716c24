using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Chronik.Broker.Tests.Admin;

/// <summary>Confluent.Kafka's AdminClient (librdkafka 2.16) against a chronik-server child process.</summary>
[Collection(ChronikServerCollection.Name)]
public class ConfluentAdminClientTests(ChronikServerFixture server)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private IAdminClient CreateAdmin() => new AdminClientBuilder(new AdminClientConfig
    {
        BootstrapServers = server.Broker.BootstrapServers,
        ClientId = "confluent-admin-test",
        SocketTimeoutMs = 30_000,
    }).Build();

    private static ConfigResource Topic(string name) => new() { Type = ResourceType.Topic, Name = name };

    [Fact]
    public void The_bundled_librdkafka_is_loaded()
    {
        Assert.StartsWith("2.16.", Library.VersionString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateTopics_creates_validates_and_refuses_bad_configs()
    {
        using IAdminClient admin = CreateAdmin();
        await admin.CreateTopicsAsync(
            [new TopicSpecification { Name = "cf-created", NumPartitions = 3, ReplicationFactor = 1, Configs = new() { ["retention.ms"] = "60000" } }],
            new CreateTopicsOptions { RequestTimeout = Timeout, OperationTimeout = Timeout });
        Metadata metadata = admin.GetMetadata("cf-created", Timeout);
        Assert.Equal(3, Assert.Single(metadata.Topics).Partitions.Count);

        await admin.CreateTopicsAsync([new TopicSpecification { Name = "cf-validated", NumPartitions = 1, ReplicationFactor = 1 }],
            new CreateTopicsOptions { ValidateOnly = true, RequestTimeout = Timeout });
        var listed = admin.GetMetadata(Timeout).Topics.Select(t => t.Topic).ToList();
        Assert.Contains("cf-created", listed);
        Assert.DoesNotContain("cf-validated", listed);

        var refused = await Assert.ThrowsAsync<CreateTopicsException>(() => admin.CreateTopicsAsync(
        [
            new TopicSpecification { Name = "cf-bad-value", NumPartitions = 1, ReplicationFactor = 1, Configs = new() { ["segment.bytes"] = "10" } },
            new TopicSpecification { Name = "cf-unknown-config", NumPartitions = 1, ReplicationFactor = 1, Configs = new() { ["retention.hours"] = "1" } },
            new TopicSpecification { Name = "cf-created", NumPartitions = 1, ReplicationFactor = 1 },
        ], new CreateTopicsOptions { RequestTimeout = Timeout }));
        var byTopic = refused.Results.ToDictionary(r => r.Topic, r => r.Error);
        Assert.Equal(ErrorCode.InvalidConfig, byTopic["cf-bad-value"].Code);
        Assert.Contains("segment.bytes", byTopic["cf-bad-value"].Reason, StringComparison.Ordinal);
        Assert.Equal(ErrorCode.InvalidConfig, byTopic["cf-unknown-config"].Code);
        Assert.Contains("Unknown topic config name: retention.hours", byTopic["cf-unknown-config"].Reason, StringComparison.Ordinal);
        Assert.Equal(ErrorCode.TopicAlreadyExists, byTopic["cf-created"].Code);
    }

    [Fact]
    public async Task DescribeConfigs_reports_overrides_defaults_sources_and_synonyms()
    {
        using IAdminClient admin = CreateAdmin();
        await admin.CreateTopicsAsync(
            [new TopicSpecification { Name = "cf-described", NumPartitions = 1, ReplicationFactor = 1, Configs = new() { ["cleanup.policy"] = "compact" } }],
            new CreateTopicsOptions { RequestTimeout = Timeout, OperationTimeout = Timeout });

        var described = await admin.DescribeConfigsAsync([Topic("cf-described")], new DescribeConfigsOptions { RequestTimeout = Timeout });

        var entries = Assert.Single(described).Entries;
        Assert.Equal(33, entries.Count);
        Assert.Equal(("compact", ConfigSource.DynamicTopicConfig, false), (entries["cleanup.policy"].Value, entries["cleanup.policy"].Source, entries["cleanup.policy"].IsDefault));
        Assert.Equal(("604800000", ConfigSource.DefaultConfig), (entries["retention.ms"].Value, entries["retention.ms"].Source));
        Assert.Contains(entries["retention.ms"].Synonyms, s => s.Name == "log.retention.hours" && s.Value == "168" && s.Source == ConfigSource.DefaultConfig);
        Assert.Contains(entries["cleanup.policy"].Synonyms, s => s.Name == "log.cleanup.policy" && s.Value == "delete" && s.Source == ConfigSource.DefaultConfig);

        var broker = await admin.DescribeConfigsAsync([new ConfigResource { Type = ResourceType.Broker, Name = "1" }], new DescribeConfigsOptions { RequestTimeout = Timeout });
        var brokerEntries = Assert.Single(broker).Entries;
        Assert.Equal("1", brokerEntries["num.partitions"].Value);
        Assert.True(brokerEntries["num.partitions"].IsReadOnly);
    }

    [Fact]
    public async Task AlterConfigs_replaces_and_IncrementalAlterConfigs_edits_topic_configs()
    {
        using IAdminClient admin = CreateAdmin();
        await admin.CreateTopicsAsync(
            [new TopicSpecification { Name = "cf-altered", NumPartitions = 1, ReplicationFactor = 1, Configs = new() { ["retention.ms"] = "1000" } }],
            new CreateTopicsOptions { RequestTimeout = Timeout, OperationTimeout = Timeout });

#pragma warning disable CS0618 // The legacy AlterConfigs API is what this test exercises.
        await admin.AlterConfigsAsync(
            new Dictionary<ConfigResource, List<ConfigEntry>> { [Topic("cf-altered")] = [new ConfigEntry { Name = "segment.ms", Value = "3600000" }] },
            new AlterConfigsOptions { RequestTimeout = Timeout });
#pragma warning restore CS0618
        var afterReplace = Assert.Single(await admin.DescribeConfigsAsync([Topic("cf-altered")])).Entries;
        Assert.Equal(("3600000", ConfigSource.DynamicTopicConfig), (afterReplace["segment.ms"].Value, afterReplace["segment.ms"].Source));
        Assert.Equal(("604800000", ConfigSource.DefaultConfig), (afterReplace["retention.ms"].Value, afterReplace["retention.ms"].Source));

        await admin.IncrementalAlterConfigsAsync(
            new Dictionary<ConfigResource, List<ConfigEntry>>
            {
                [Topic("cf-altered")] =
                [
                    new ConfigEntry { Name = "cleanup.policy", Value = "compact", IncrementalOperation = AlterConfigOpType.Append },
                    new ConfigEntry { Name = "segment.ms", IncrementalOperation = AlterConfigOpType.Delete },
                    new ConfigEntry { Name = "max.message.bytes", Value = "2000000", IncrementalOperation = AlterConfigOpType.Set },
                ],
            },
            new IncrementalAlterConfigsOptions { RequestTimeout = Timeout });
        var afterIncrement = Assert.Single(await admin.DescribeConfigsAsync([Topic("cf-altered")])).Entries;
        Assert.Equal("delete,compact", afterIncrement["cleanup.policy"].Value);
        Assert.Equal(ConfigSource.DefaultConfig, afterIncrement["segment.ms"].Source);
        Assert.Equal("2000000", afterIncrement["max.message.bytes"].Value);

        var refused = await Assert.ThrowsAsync<IncrementalAlterConfigsException>(() => admin.IncrementalAlterConfigsAsync(
            new Dictionary<ConfigResource, List<ConfigEntry>>
            {
                [Topic("cf-altered")] = [new ConfigEntry { Name = "retention.ms", Value = "-7", IncrementalOperation = AlterConfigOpType.Set }],
            },
            new IncrementalAlterConfigsOptions { RequestTimeout = Timeout }));
        Assert.Equal(ErrorCode.InvalidConfig, Assert.Single(refused.Results).Error.Code);

        var validateOnly = await admin.IncrementalAlterConfigsAsync(
            new Dictionary<ConfigResource, List<ConfigEntry>>
            {
                [Topic("cf-altered")] = [new ConfigEntry { Name = "retention.ms", Value = "5", IncrementalOperation = AlterConfigOpType.Set }],
            },
            new IncrementalAlterConfigsOptions { ValidateOnly = true, RequestTimeout = Timeout });
        Assert.Single(validateOnly);
        Assert.Equal(ConfigSource.DefaultConfig, Assert.Single(await admin.DescribeConfigsAsync([Topic("cf-altered")])).Entries["retention.ms"].Source);
    }

    [Fact]
    public async Task CreatePartitions_and_DeleteTopics()
    {
        using IAdminClient admin = CreateAdmin();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = "cf-grown", NumPartitions = 1, ReplicationFactor = 1 }],
            new CreateTopicsOptions { RequestTimeout = Timeout, OperationTimeout = Timeout });

        await admin.CreatePartitionsAsync([new PartitionsSpecification { Topic = "cf-grown", IncreaseTo = 4 }],
            new CreatePartitionsOptions { RequestTimeout = Timeout, OperationTimeout = Timeout });
        Assert.Equal(4, Assert.Single(admin.GetMetadata("cf-grown", Timeout).Topics).Partitions.Count);
        var shrink = await Assert.ThrowsAsync<CreatePartitionsException>(() => admin.CreatePartitionsAsync(
            [new PartitionsSpecification { Topic = "cf-grown", IncreaseTo = 2 }], new CreatePartitionsOptions { RequestTimeout = Timeout }));
        Assert.Equal(ErrorCode.InvalidPartitions, Assert.Single(shrink.Results).Error.Code);

        await admin.DeleteTopicsAsync(["cf-grown"], new DeleteTopicsOptions { RequestTimeout = Timeout, OperationTimeout = Timeout });
        Assert.DoesNotContain("cf-grown", admin.GetMetadata(Timeout).Topics.Select(t => t.Topic));
        var missing = await Assert.ThrowsAsync<DeleteTopicsException>(() => admin.DeleteTopicsAsync(["cf-grown"], new DeleteTopicsOptions { RequestTimeout = Timeout }));
        Assert.Equal(ErrorCode.UnknownTopicOrPart, Assert.Single(missing.Results).Error.Code);
    }

    [Fact]
    public async Task DescribeCluster_and_DescribeTopics()
    {
        using IAdminClient admin = CreateAdmin();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = "cf-topic-described", NumPartitions = 2, ReplicationFactor = 1 }],
            new CreateTopicsOptions { RequestTimeout = Timeout, OperationTimeout = Timeout });

        DescribeClusterResult cluster = await admin.DescribeClusterAsync(new DescribeClusterOptions { IncludeAuthorizedOperations = true, RequestTimeout = Timeout });
        Assert.False(string.IsNullOrEmpty(cluster.ClusterId));
        Assert.Equal(1, cluster.Controller.Id);
        var node = Assert.Single(cluster.Nodes);
        Assert.Equal(("127.0.0.1", server.Broker.KafkaPort), (node.Host, node.Port));
        Assert.Contains(AclOperation.Describe, cluster.AuthorizedOperations);

        DescribeTopicsResult topics = await admin.DescribeTopicsAsync(TopicCollection.OfTopicNames(["cf-topic-described"]),
            new DescribeTopicsOptions { IncludeAuthorizedOperations = true, RequestTimeout = Timeout });
        var topic = Assert.Single(topics.TopicDescriptions);
        Assert.Equal(ErrorCode.NoError, topic.Error.Code);
        Assert.Equal(2, topic.Partitions.Count);
        Assert.Equal(1, topic.Partitions[0].Leader.Id);
        Assert.Contains(AclOperation.Read, topic.AuthorizedOperations);
    }
}
