using Chronik.Broker.Handlers;
using Chronik.Broker.Requests;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;
using Chronik.Testing;
using Microsoft.Extensions.DependencyInjection;
using CreatableTopic = Chronik.Cluster.Controller.CreatableTopic;

namespace Chronik.Broker.Tests.Admin;

/// <summary>DescribeCluster and DescribeTopicPartitions against a real single-node BrokerNode, and what ApiVersions advertises.</summary>
public class ClusterAdminHandlerTests(AdminNodeFixture fixture) : IClassFixture<AdminNodeFixture>
{
    private BrokerNodeHarness Harness => fixture.Harness;

    private BrokerNode Node => fixture.Harness.Node;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task DescribeCluster_names_the_cluster_the_controller_and_the_live_brokers(short version)
    {
        var response = await Harness.SendAsync(new DescribeClusterHandler(Node), new DescribeClusterRequest { IncludeClusterAuthorizedOperations = true }, version);

        Assert.Equal(0, response.ErrorCode);
        Assert.Equal(Node.Image.ClusterId, response.ClusterId);
        Assert.Equal(1, response.ControllerId);
        var broker = Assert.Single(response.Brokers);
        Assert.Equal((1, "127.0.0.1", 9092, (string?)null), (broker.BrokerId, broker.Host, broker.Port, broker.Rack));
        Assert.Equal(AdminSupport.ClusterOperations, response.ClusterAuthorizedOperations);
        Assert.Equal(1, response.EndpointType);

        var without = await Harness.SendAsync(new DescribeClusterHandler(Node), new DescribeClusterRequest(), version);
        Assert.Equal(int.MinValue, without.ClusterAuthorizedOperations);
    }

    [Fact]
    public async Task DescribeCluster_refuses_controller_and_unknown_endpoint_types()
    {
        var controllers = await Harness.SendAsync(new DescribeClusterHandler(Node), new DescribeClusterRequest { EndpointType = 2 }, 1);
        Assert.Equal((short)ErrorCode.MismatchedEndpointType, controllers.ErrorCode);
        var unknown = await Harness.SendAsync(new DescribeClusterHandler(Node), new DescribeClusterRequest { EndpointType = 5 }, 1);
        Assert.Equal((short)ErrorCode.UnsupportedEndpointType, unknown.ErrorCode);
        Assert.Empty(unknown.Brokers);
    }

    private async Task CreateAsync(string name, int partitions)
    {
        var result = await Node.ControllerClient.CreateTopicsAsync([new CreatableTopic(name, partitions, 1)], validateOnly: false, CancellationToken.None);
        Assert.False(result[0].Error.IsError);
    }

    private Task<DescribeTopicPartitionsResponse> DescribeAsync(int limit, DescribeTopicPartitionsRequest.CursorData? cursor, params string[] topics) =>
        Harness.SendAsync(new DescribeTopicPartitionsHandler(Node), new DescribeTopicPartitionsRequest
        {
            Topics = [.. topics.Select(t => new DescribeTopicPartitionsRequest.TopicRequest { Name = t })],
            ResponsePartitionLimit = limit,
            Cursor = cursor,
        }, 0);

    private static string Page(DescribeTopicPartitionsResponse response) =>
        string.Join(" ", response.Topics.Select(t => $"{t.Name}:{(ErrorCode)t.ErrorCode}[{string.Join(",", t.Partitions.Select(p => p.PartitionIndex))}]"))
        + (response.NextCursor is { } next ? $" next={next.TopicName}/{next.PartitionIndex}" : "");

    [Fact]
    public async Task DescribeTopicPartitions_pages_through_named_topics_with_a_cursor()
    {
        await CreateAsync("dtp-a", 3);
        await CreateAsync("dtp-b", 2);
        await CreateAsync("dtp-c", 1);
        string[] named = ["dtp-c", "dtp-missing", "dtp-b", "dtp-a", "bad/name"];

        var first = await DescribeAsync(4, null, named);
        Assert.Equal("bad/name:InvalidTopicException[] dtp-a:None[0,1,2] dtp-b:None[0] next=dtp-b/1", Page(first));
        var second = await DescribeAsync(4, new() { TopicName = first.NextCursor!.TopicName, PartitionIndex = first.NextCursor.PartitionIndex }, named);
        Assert.Equal("dtp-b:None[1] dtp-c:None[0] dtp-missing:UnknownTopicOrPartition[]", Page(second));

        var boundary = await DescribeAsync(3, null, "dtp-a", "dtp-b");
        Assert.Equal("dtp-a:None[0,1,2] next=dtp-b/0", Page(boundary));

        var badCursor = await DescribeAsync(10, new() { TopicName = "dtp-z", PartitionIndex = 0 }, "dtp-a");
        Assert.Equal("dtp-a:InvalidRequest[]", Page(badCursor));
    }

    [Fact]
    public async Task DescribeTopicPartitions_describes_partitions_and_all_topics_in_name_order()
    {
        await CreateAsync("dtp-all", 2);
        var response = await DescribeAsync(2000, null);

        Assert.Null(response.NextCursor);
        var names = response.Topics.Select(t => t.Name!).ToList();
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
        var topic = Assert.Single(response.Topics, t => t.Name == "dtp-all");
        Assert.Equal(Node.Image.GetTopic("dtp-all")!.TopicId, topic.TopicId);
        Assert.False(topic.IsInternal);
        Assert.Equal(AdminSupport.TopicOperations, topic.TopicAuthorizedOperations);
        var partition = topic.Partitions[1];
        Assert.Equal((0, 1, 1, 0), (partition.ErrorCode, partition.PartitionIndex, partition.LeaderId, partition.LeaderEpoch));
        Assert.Equal([1], partition.ReplicaNodes);
        Assert.Equal([1], partition.IsrNodes);
        Assert.Empty(partition.OfflineReplicas);
        Assert.Empty(partition.EligibleLeaderReplicas!);
        Assert.Empty(partition.LastKnownElr!);
    }

    [Fact]
    public async Task ApiVersions_advertises_the_admin_apis_with_their_versions()
    {
        using var directory = new TempDirectory("registry");
        await using ServiceProvider provider = Admin.TestBrokerServices.Build(directory.Path);
        var registry = provider.GetRequiredService<ApiHandlerRegistry>();

        var expected = new Dictionary<ApiKey, (short Min, short Max)>
        {
            [ApiKey.CreateTopics] = (0, 7),
            [ApiKey.DeleteTopics] = (0, 6),
            [ApiKey.CreatePartitions] = (0, 3),
            [ApiKey.DescribeConfigs] = (0, 4),
            [ApiKey.AlterConfigs] = (0, 2),
            [ApiKey.IncrementalAlterConfigs] = (0, 1),
            [ApiKey.DescribeCluster] = (0, 1),
            [ApiKey.DescribeTopicPartitions] = (0, 0),
        };
        foreach (var (key, (min, max)) in expected)
        {
            IApiHandler handler = Assert.IsAssignableFrom<IApiHandler>(registry.Find((short)key));
            Assert.Equal((min, max), (handler.MinVersion, handler.MaxVersion));
            ApiMessageType type = ApiMessageTypes.Get(key);
            Assert.Equal((type.LowestSupportedVersion, type.HighestSupportedVersion), (min, max));
        }
    }
}
