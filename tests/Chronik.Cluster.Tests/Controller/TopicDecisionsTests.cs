using Chronik.Cluster.Controller;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Wire;

namespace Chronik.Cluster.Tests.Controller;

public class TopicDecisionsTests
{
    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("a b")]
    [InlineData("ä")]
    [InlineData("a/b")]
    public void Illegal_names_are_InvalidTopicException(string name) =>
        Assert.Equal(ErrorCode.InvalidTopicException, TopicNames.Validate(name).Code);

    [Fact]
    public void Names_up_to_249_legal_characters_are_accepted()
    {
        Assert.False(TopicNames.Validate(new string('a', 249)).IsError);
        Assert.True(TopicNames.Validate(new string('a', 250)).IsError);
        Assert.False(TopicNames.Validate("Orders_v2.eu-1").IsError);
    }

    [Fact]
    public void Placement_spreads_each_partition_over_the_racks_the_brokers_registered_with()
    {
        // broker.rack reaches the controller in each BrokerRegistration; CreateTopics and CreatePartitions place by it.
        var h = new ControllerHarness(seed: 7);
        string[] racks = ["eu-1a", "eu-1a", "eu-1b", "eu-1b", "eu-1c", "eu-1c"];
        for (int i = 0; i < racks.Length; i++)
        {
            h.AddBroker(i + 1, racks[i]);
        }

        Assert.False(h.CreateTopic("orders", 12, 3).Error.IsError);
        Assert.False(h.Commit(h.Topics.CreatePartitions(h.Image, [new CreatePartitionsTopic("orders", 18)]))[0].Error.IsError);
        TopicImage topic = h.Image.GetTopic("orders")!;
        Assert.Equal(18, topic.Partitions.Count);
        Assert.All(topic.Partitions.Values, p => Assert.Equal(3, p.Replicas.Select(id => racks[id - 1]).Distinct().Count()));
        Assert.Equal(6, topic.Partitions.Values.Select(p => p.Leader).Distinct().Count());

        // Fewer racks than replicas: every rack holds one before any holds two.
        var uneven = new ControllerHarness(seed: 3);
        string[] twoRacks = ["a", "a", "a", "b"];
        for (int i = 0; i < twoRacks.Length; i++)
        {
            uneven.AddBroker(i + 1, twoRacks[i]);
        }

        Assert.False(uneven.CreateTopic("t", 8, 3).Error.IsError);
        Assert.All(uneven.Image.GetTopic("t")!.Partitions.Values, p => Assert.Contains(4, p.Replicas));
        h.AssertInvariants();
        uneven.AssertInvariants();
    }

    [Fact]
    public void Create_uses_the_defaults_and_elects_the_first_replica()
    {
        var h = new ControllerHarness(options: new ControllerOptions { DefaultNumPartitions = 3, DefaultReplicationFactor = 2 });
        h.AddBroker(1);
        h.AddBroker(2);
        h.AddBroker(3);

        CreateTopicResult result = h.CreateTopic("orders");
        Assert.False(result.Error.IsError);
        Assert.Equal((3, (short)2), (result.NumPartitions, result.ReplicationFactor));
        TopicImage topic = h.Image.GetTopic("orders")!;
        Assert.Equal(result.TopicId, topic.TopicId);
        Assert.All(topic.Partitions.Values, p =>
        {
            Assert.Equal(2, p.Replicas.Length);
            Assert.Equal(p.Replicas[0], p.Leader);
            Assert.Equal(p.Replicas.ToArray(), p.Isr.ToArray());
            Assert.Equal((0, 0), (p.LeaderEpoch, p.PartitionEpoch));
        });
        h.AssertInvariants();
    }

    [Fact]
    public void Create_refuses_with_Kafka_codes()
    {
        var h = new ControllerHarness();
        h.AddBroker(1);
        h.CreateTopic("a.b");

        var results = h.Commit(h.Topics.CreateTopics(h.Image,
        [
            new CreatableTopic("a.b"),
            new CreatableTopic("a_b"),
            new CreatableTopic("bad name"),
            new CreatableTopic("zero", NumPartitions: 0),
            new CreatableTopic("rf0", ReplicationFactor: 0),
            new CreatableTopic("rf2", ReplicationFactor: 2),
            new CreatableTopic("dup"),
            new CreatableTopic("dup"),
            new CreatableTopic("both", 2, -1, new Dictionary<int, IReadOnlyList<int>> { [0] = [1] }),
            new CreatableTopic("gap", Assignments: new Dictionary<int, IReadOnlyList<int>> { [1] = [1] }),
            new CreatableTopic("twice", Assignments: new Dictionary<int, IReadOnlyList<int>> { [0] = [1, 1] }),
            new CreatableTopic("ghost", Assignments: new Dictionary<int, IReadOnlyList<int>> { [0] = [9] }),
            new CreatableTopic("nullconfig", Configs: new Dictionary<string, string?> { ["retention.ms"] = null }),
        ]));

        Assert.Equal(
        [
            ErrorCode.TopicAlreadyExists, ErrorCode.InvalidTopicException, ErrorCode.InvalidTopicException, ErrorCode.InvalidPartitions,
            ErrorCode.InvalidReplicationFactor, ErrorCode.InvalidReplicationFactor, ErrorCode.InvalidRequest, ErrorCode.InvalidRequest,
            ErrorCode.InvalidRequest, ErrorCode.InvalidReplicaAssignment, ErrorCode.InvalidReplicaAssignment, ErrorCode.InvalidReplicaAssignment,
            ErrorCode.InvalidConfig,
        ], results.Select(r => r.Error.Code));
        Assert.Equal("Topic 'a_b' collides with existing topic: a.b", results[1].Error.Message);
        Assert.Single(h.Image.Topics);
    }

    [Fact]
    public void Topics_created_together_see_each_other()
    {
        var h = new ControllerHarness();
        h.AddBroker(1);
        var results = h.Commit(h.Topics.CreateTopics(h.Image, [new CreatableTopic("x.y"), new CreatableTopic("x_y")]));
        Assert.False(results[0].Error.IsError);
        Assert.Equal(ErrorCode.InvalidTopicException, results[1].Error.Code);
    }

    [Fact]
    public void Manual_assignment_on_fenced_brokers_only_is_refused_and_partial_isr_is_allowed()
    {
        var h = new ControllerHarness();
        h.AddBroker(1);
        h.AddBroker(2);
        h.Commit(h.Brokers.Heartbeat(h.Image, new BrokerHeartbeatRequest(2, h.Image.GetBroker(2)!.BrokerEpoch, h.Image.Version, WantFence: true)).Records);

        var results = h.Commit(h.Topics.CreateTopics(h.Image,
        [
            new CreatableTopic("fenced", Assignments: new Dictionary<int, IReadOnlyList<int>> { [0] = [2] }),
            new CreatableTopic("mixed", Assignments: new Dictionary<int, IReadOnlyList<int>> { [0] = [2, 1], [1] = [1, 2] }),
        ]));
        Assert.Equal(ErrorCode.InvalidReplicationFactor, results[0].Error.Code);
        Assert.False(results[1].Error.IsError);
        var p0 = h.Image.GetPartition("mixed", 0)!;
        Assert.Equal(1, p0.Leader);
        Assert.Equal(new[] { 1 }, p0.Isr.ToArray());
        h.AssertInvariants();
    }

    [Fact]
    public void Configs_are_validated_and_stored_with_the_topic()
    {
        var validator = new KnownConfigNamesValidator(new HashSet<string> { "retention.ms" }, new HashSet<string>());
        var h = new ControllerHarness(validator: validator);
        h.AddBroker(1);
        var results = h.Commit(h.Topics.CreateTopics(h.Image,
        [
            new CreatableTopic("good", Configs: new Dictionary<string, string?> { ["retention.ms"] = "1000" }),
            new CreatableTopic("bad", Configs: new Dictionary<string, string?> { ["retention.bogus"] = "1" }),
        ]));
        Assert.False(results[0].Error.IsError);
        Assert.Equal(ErrorCode.InvalidConfig, results[1].Error.Code);
        Assert.Equal("Unknown topic config name: retention.bogus", results[1].Error.Message);
        Assert.Equal("1000", h.Image.GetConfig(ConfigResource.ForTopic("good"), "retention.ms"));
    }

    [Fact]
    public void Absurd_partition_counts_are_a_policy_violation()
    {
        var h = new ControllerHarness();
        h.AddBroker(1);
        var result = h.Commit(h.Topics.CreateTopics(h.Image, [new CreatableTopic("big", int.MaxValue)]))[0];
        Assert.Equal(ErrorCode.PolicyViolation, result.Error.Code);
    }

    [Fact]
    public void Delete_by_name_and_id()
    {
        var h = new ControllerHarness();
        h.AddBroker(1);
        Guid a = h.CreateTopic("a").TopicId;
        h.CreateTopic("b");

        var results = h.Commit(h.Topics.DeleteTopics(h.Image,
        [
            new TopicReference(null, a),
            new TopicReference("b"),
            new TopicReference("b"),
            new TopicReference(null, Guid.NewGuid()),
        ]));
        Assert.Equal([ErrorCode.None, ErrorCode.None, ErrorCode.UnknownTopicOrPartition, ErrorCode.UnknownTopicId], results.Select(r => r.Error.Code));
        Assert.Equal("a", results[0].Name);
        Assert.Empty(h.Image.Topics);
    }

    [Fact]
    public void Create_partitions_continues_the_sequence_with_the_same_replication_factor()
    {
        var h = new ControllerHarness();
        h.AddBroker(1);
        h.AddBroker(2);
        h.AddBroker(3);
        h.CreateTopic("t", 2, 2);

        var results = h.Commit(h.Topics.CreatePartitions(h.Image,
        [
            new CreatePartitionsTopic("t", 5),
            new CreatePartitionsTopic("missing", 3),
        ]));
        Assert.Equal([ErrorCode.None, ErrorCode.UnknownTopicOrPartition], results.Select(r => r.Error.Code));
        Assert.Equal(5, h.Image.GetTopic("t")!.Partitions.Count);
        Assert.All(h.Image.GetTopic("t")!.Partitions.Values, p => Assert.Equal(2, p.Replicas.Length));

        results = h.Commit(h.Topics.CreatePartitions(h.Image,
        [
            new CreatePartitionsTopic("t", 4),
        ]));
        Assert.Equal(ErrorCode.InvalidPartitions, results[0].Error.Code);
        results = h.Commit(h.Topics.CreatePartitions(h.Image, [new CreatePartitionsTopic("t", 5)]));
        Assert.Equal(ErrorCode.InvalidPartitions, results[0].Error.Code);
        results = h.Commit(h.Topics.CreatePartitions(h.Image, [new CreatePartitionsTopic("t", 6, [[1]])]));
        Assert.Equal(ErrorCode.InvalidReplicaAssignment, results[0].Error.Code);
        results = h.Commit(h.Topics.CreatePartitions(h.Image, [new CreatePartitionsTopic("t", 7, [[1, 2]])]));
        Assert.Equal(ErrorCode.InvalidReplicaAssignment, results[0].Error.Code);
        results = h.Commit(h.Topics.CreatePartitions(h.Image, [new CreatePartitionsTopic("t", 6, [[3, 1]])]));
        Assert.False(results[0].Error.IsError);
        Assert.Equal(3, h.Image.GetPartition("t", 5)!.Leader);
        h.AssertInvariants();
    }
}
