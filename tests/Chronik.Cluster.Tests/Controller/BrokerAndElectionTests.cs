using System.Collections.Immutable;
using Chronik.Cluster.Controller;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Wire;

namespace Chronik.Cluster.Tests.Controller;

public class BrokerAndElectionTests
{
    [Fact]
    public void A_broker_registers_fenced_and_is_unfenced_once_caught_up()
    {
        var h = new ControllerHarness();
        var reg = h.Commit(h.Brokers.Register(h.Image, new BrokerRegistrationRequest(1, Guid.NewGuid(), [new BrokerEndpoint("PLAINTEXT", "h", 9092)], "r1", "http://h:9644")));
        Assert.False(reg.Error.IsError);
        BrokerRegistration broker = h.Image.GetBroker(1)!;
        Assert.True(broker.Fenced);
        Assert.Equal(("r1", "http://h:9644"), (broker.Rack, broker.HttpEndpoint));

        var behind = h.Commit(h.Brokers.Heartbeat(h.Image, new BrokerHeartbeatRequest(1, reg.BrokerEpoch, reg.BrokerEpoch - 1)));
        Assert.Equal((false, true), (behind.IsCaughtUp, behind.IsFenced));

        var caughtUp = h.Commit(h.Brokers.Heartbeat(h.Image, new BrokerHeartbeatRequest(1, reg.BrokerEpoch, h.Image.Version)));
        Assert.Equal((true, false), (caughtUp.IsCaughtUp, caughtUp.IsFenced));
        Assert.True(h.Image.IsBrokerActive(1));
    }

    [Fact]
    public void Heartbeats_with_a_wrong_epoch_or_from_strangers_are_refused()
    {
        var h = new ControllerHarness();
        long epoch = h.AddBroker(1);
        Assert.Equal(ErrorCode.StaleBrokerEpoch, h.Brokers.Heartbeat(h.Image, new BrokerHeartbeatRequest(1, epoch + 1, 0)).Response.Error.Code);
        Assert.Equal(ErrorCode.BrokerIdNotRegistered, h.Brokers.Heartbeat(h.Image, new BrokerHeartbeatRequest(2, 1, 0)).Response.Error.Code);
    }

    [Fact]
    public void A_second_incarnation_waits_for_the_first_session_to_expire()
    {
        var h = new ControllerHarness();
        long first = h.AddBroker(1);
        var request = new BrokerRegistrationRequest(1, Guid.NewGuid(), [new BrokerEndpoint("PLAINTEXT", "h", 9092)]);
        Assert.Equal(ErrorCode.DuplicateBrokerRegistration, h.Brokers.Register(h.Image, request).Response.Error.Code);

        h.Time.Advance(h.Options.BrokerSessionTimeout);
        var second = h.Commit(h.Brokers.Register(h.Image, request));
        Assert.False(second.Error.IsError);
        Assert.True(second.BrokerEpoch > first);
        Assert.Equal(ErrorCode.StaleBrokerEpoch, h.Brokers.Heartbeat(h.Image, new BrokerHeartbeatRequest(1, first, h.Image.Version)).Response.Error.Code);
    }

    [Fact]
    public void A_registration_with_another_cluster_id_is_refused()
    {
        var h = new ControllerHarness();
        h.Commit([new ClusterIdRecord("abc")]);
        var result = h.Brokers.Register(h.Image, new BrokerRegistrationRequest(1, Guid.NewGuid(), [new BrokerEndpoint("PLAINTEXT", "h", 1)], ClusterId: "xyz"));
        Assert.Equal(ErrorCode.InconsistentClusterId, result.Response.Error.Code);
    }

    [Fact]
    public void Expired_sessions_fence_and_move_leadership_to_the_isr_with_a_new_leader_epoch()
    {
        var h = new ControllerHarness();
        long e1 = h.AddBroker(1);
        long e2 = h.AddBroker(2);
        h.Commit(h.Topics.CreateTopics(h.Image, [new CreatableTopic("t", Assignments: new Dictionary<int, IReadOnlyList<int>> { [0] = [1, 2], [1] = [2, 1] })]));

        h.Time.Advance(TimeSpan.FromSeconds(5));
        h.Commit(h.Brokers.Heartbeat(h.Image, new BrokerHeartbeatRequest(2, e2, h.Image.Version)));
        Assert.Empty(h.Brokers.ExpireSessions(h.Image));

        h.Time.Advance(TimeSpan.FromSeconds(4));
        h.Commit(h.Brokers.ExpireSessions(h.Image));
        Assert.True(h.Image.GetBroker(1)!.Fenced);
        Assert.False(h.Image.GetBroker(2)!.Fenced);

        var p0 = h.Image.GetPartition("t", 0)!;
        Assert.Equal((2, 1, 1), (p0.Leader, p0.LeaderEpoch, p0.PartitionEpoch));
        Assert.Equal(new[] { 2 }, p0.Isr.ToArray());
        var p1 = h.Image.GetPartition("t", 1)!;
        Assert.Equal((2, 0, 1), (p1.Leader, p1.LeaderEpoch, p1.PartitionEpoch));
        h.AssertInvariants();

        // Broker 2 dies as well: nobody in the ISR is alive, so no leader (no unclean election); the ISR keeps 2.
        h.Time.Advance(h.Options.BrokerSessionTimeout);
        h.Commit(h.Brokers.ExpireSessions(h.Image));
        p0 = h.Image.GetPartition("t", 0)!;
        Assert.Equal((-1, 2), (p0.Leader, p0.LeaderEpoch));
        Assert.Equal(new[] { 2 }, p0.Isr.ToArray());
        h.AssertInvariants();

        // Broker 1 returns: it is not in the ISR, so it may not lead.
        h.Commit(h.Brokers.Heartbeat(h.Image, new BrokerHeartbeatRequest(1, e1, h.Image.Version)));
        Assert.Equal(-1, h.Image.GetPartition("t", 0)!.Leader);
        h.AssertInvariants();

        // Broker 2 returns: it is the ISR, and leads again.
        h.Commit(h.Brokers.Heartbeat(h.Image, new BrokerHeartbeatRequest(2, e2, h.Image.Version)));
        p0 = h.Image.GetPartition("t", 0)!;
        Assert.Equal((2, 3), (p0.Leader, p0.LeaderEpoch));
        h.AssertInvariants();
    }

    [Fact]
    public void A_shutdown_heartbeat_fences_and_says_shut_down()
    {
        var h = new ControllerHarness();
        long epoch = h.AddBroker(1);
        h.AddBroker(2);
        h.Commit(h.Topics.CreateTopics(h.Image, [new CreatableTopic("t", Assignments: new Dictionary<int, IReadOnlyList<int>> { [0] = [1, 2] })]));
        var result = h.Commit(h.Brokers.Heartbeat(h.Image, new BrokerHeartbeatRequest(1, epoch, h.Image.Version, WantShutdown: true)));
        Assert.True(result.ShouldShutdown && result.IsFenced);
        Assert.Equal(2, h.Image.GetPartition("t", 0)!.Leader);
    }

    [Fact]
    public void Producer_id_blocks_never_overlap()
    {
        var h = new ControllerHarness();
        long e1 = h.AddBroker(1);
        long e2 = h.AddBroker(2);
        var a = h.Commit(h.Brokers.AllocateProducerIds(h.Image, 1, e1));
        var b = h.Commit(h.Brokers.AllocateProducerIds(h.Image, 2, e2));
        Assert.Equal((0L, 1000), (a.FirstProducerId, a.Size));
        Assert.Equal(1000L, b.FirstProducerId);
        Assert.Equal(ErrorCode.StaleBrokerEpoch, h.Brokers.AllocateProducerIds(h.Image, 1, e1 + 5).Response.Error.Code);
        Assert.Equal(ErrorCode.BrokerIdNotRegistered, h.Brokers.AllocateProducerIds(h.Image, 9, 1).Response.Error.Code);
    }

    [Fact]
    public void Alter_partition_validates_in_Kafka_order()
    {
        var h = new ControllerHarness();
        long e1 = h.AddBroker(1);
        long e2 = h.AddBroker(2);
        long e3 = h.AddBroker(3);
        Guid t = h.Commit(h.Topics.CreateTopics(h.Image, [new CreatableTopic("t", Assignments: new Dictionary<int, IReadOnlyList<int>> { [0] = [1, 2, 3] })]))[0].TopicId;

        ErrorCode Alter(int broker, long epoch, int leaderEpoch, int partitionEpoch, params int[] isr) =>
            h.Commit(AlterPartitionDecisions.Decide(h.Image, new AlterPartitionRequest(broker, epoch,
                [new AlterPartitionItem(t, 0, leaderEpoch, partitionEpoch, isr.Select(b => new IsrMember(b)).ToList())])))
            .Partitions.Single().Error.Code;

        Assert.Equal(ErrorCode.None, Alter(1, e1, 0, 0, 1, 2));
        var p = h.Image.GetPartition(t, 0)!;
        Assert.Equal(new[] { 1, 2 }, p.Isr.ToArray());
        Assert.Equal((0, 1), (p.LeaderEpoch, p.PartitionEpoch));

        Assert.Equal(ErrorCode.InvalidUpdateVersion, Alter(1, e1, 0, 0, 1, 2, 3));
        Assert.Equal(ErrorCode.NotController, Alter(1, e1, 1, 1, 1));
        Assert.Equal(ErrorCode.InvalidRequest, Alter(2, e2, 0, 1, 1, 2));
        Assert.Equal(ErrorCode.InvalidRequest, Alter(1, e1, 0, 1, 2, 3));
        Assert.Equal(ErrorCode.InvalidRequest, Alter(1, e1, 0, 1, 1, 4));
        Assert.Equal(ErrorCode.InvalidRequest, Alter(1, e1, 0, 1, 1, 1));

        h.Commit(h.Brokers.Heartbeat(h.Image, new BrokerHeartbeatRequest(3, e3, h.Image.Version, WantFence: true)).Records);
        Assert.Equal(ErrorCode.IneligibleReplica, Alter(1, e1, 0, 1, 1, 2, 3));

        var staleMember = h.Commit(AlterPartitionDecisions.Decide(h.Image, new AlterPartitionRequest(1, e1,
            [new AlterPartitionItem(t, 0, 0, 1, [new IsrMember(1, e1), new IsrMember(2, e2 + 1)])])));
        Assert.Equal(ErrorCode.IneligibleReplica, staleMember.Partitions.Single().Error.Code);

        Assert.Equal(ErrorCode.StaleBrokerEpoch, AlterPartitionDecisions.Decide(h.Image, new AlterPartitionRequest(1, e1 + 9, [])).Response.Error.Code);
        var unknown = AlterPartitionDecisions.Decide(h.Image, new AlterPartitionRequest(1, e1, [new AlterPartitionItem(Guid.NewGuid(), 0, 0, 0, [])]));
        Assert.Equal(ErrorCode.UnknownTopicId, unknown.Response.Partitions.Single().Error.Code);
        var missing = AlterPartitionDecisions.Decide(h.Image, new AlterPartitionRequest(1, e1, [new AlterPartitionItem(t, 7, 0, 0, [])]));
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, missing.Response.Partitions.Single().Error.Code);

        // Leadership moves (broker 1 fenced): the old leader's epoch is now fenced.
        h.Commit(h.Brokers.Heartbeat(h.Image, new BrokerHeartbeatRequest(1, e1, h.Image.Version, WantFence: true)).Records);
        Assert.Equal(ErrorCode.FencedLeaderEpoch, Alter(1, e1, 0, 1, 1, 2));
        h.AssertInvariants();
    }

    [Fact]
    public void Config_changes_set_delete_append_and_subtract()
    {
        var h = new ControllerHarness();
        h.AddBroker(1);
        h.CreateTopic("t");
        var topic = ConfigResource.ForTopic("t");

        var results = h.Commit(h.Configs.AlterConfigs(h.Image,
        [
            new AlterConfigsResource(topic, [new ConfigChange("cleanup.policy", ConfigOperation.Set, "delete"), new ConfigChange("cleanup.policy", ConfigOperation.Append, "compact")]),
            new AlterConfigsResource(ConfigResource.ClusterDefault, [new ConfigChange("log.retention.ms", ConfigOperation.Set, "5")]),
            new AlterConfigsResource(ConfigResource.ForTopic("missing"), [new ConfigChange("a", ConfigOperation.Set, "b")]),
            new AlterConfigsResource(new ConfigResource(ConfigResourceType.Broker, "x"), [new ConfigChange("a", ConfigOperation.Set, "b")]),
        ]));
        Assert.Equal([ErrorCode.None, ErrorCode.None, ErrorCode.UnknownTopicOrPartition, ErrorCode.InvalidRequest], results.Select(r => r.Error.Code));
        Assert.Equal("delete,compact", h.Image.GetConfig(topic, "cleanup.policy"));
        Assert.Equal("5", h.Image.GetConfig(ConfigResource.ClusterDefault, "log.retention.ms"));

        h.Commit(h.Configs.AlterConfigs(h.Image, [new AlterConfigsResource(topic, [new ConfigChange("cleanup.policy", ConfigOperation.Subtract, "delete")])]));
        Assert.Equal("compact", h.Image.GetConfig(topic, "cleanup.policy"));
        h.Commit(h.Configs.AlterConfigs(h.Image, [new AlterConfigsResource(topic, [new ConfigChange("cleanup.policy", ConfigOperation.Delete, null)])]));
        Assert.Empty(h.Image.GetConfigs(topic));

        var refused = new ControllerHarness(validator: new KnownConfigNamesValidator(new HashSet<string>(), new HashSet<string>()));
        var error = refused.Configs.AlterConfigs(h.Image, [new AlterConfigsResource(topic, [new ConfigChange("nope", ConfigOperation.Set, "1")])]);
        Assert.Equal(ErrorCode.InvalidConfig, error.Response[0].Error.Code);
        Assert.Empty(error.Records);
    }

    [Fact]
    public void Randomized_schedules_keep_leaders_alive_and_in_sync_and_epochs_monotonic()
    {
        for (int seed = 0; seed < 60; seed++)
        {
            var random = new Random(seed);
            var h = new ControllerHarness(seed);
            var epochs = new Dictionary<int, long>();
            var lastLeaderEpoch = new Dictionary<(Guid, int), int>();
            for (int step = 0; step < 150; step++)
            {
                int broker = random.Next(1, 6);
                switch (random.Next(11))
                {
                    case 0:
                        var reg = h.Commit(h.Brokers.Register(h.Image, new BrokerRegistrationRequest(broker, new Guid(broker, 0, 0, new byte[8]), [new BrokerEndpoint("PLAINTEXT", "h", 1)], "r" + (broker % 2))));
                        if (!reg.Error.IsError)
                        {
                            epochs[broker] = reg.BrokerEpoch;
                        }

                        break;
                    case 1:
                    case 2:
                        if (epochs.TryGetValue(broker, out long epoch))
                        {
                            h.Commit(h.Brokers.Heartbeat(h.Image, new BrokerHeartbeatRequest(broker, epoch, h.Image.Version, WantFence: random.Next(6) == 0)));
                        }

                        break;
                    case 3:
                        h.Time.Advance(TimeSpan.FromSeconds(random.Next(1, 6)));
                        h.Commit(h.Brokers.ExpireSessions(h.Image));
                        break;
                    case 4:
                        h.Commit(h.Topics.CreateTopics(h.Image, [new CreatableTopic("t" + random.Next(5), random.Next(1, 4), (short)random.Next(1, 4))]));
                        break;
                    case 5:
                        var topic = h.Image.Topics.Values.ElementAtOrDefault(random.Next(Math.Max(1, h.Image.Topics.Count)));
                        if (topic is not null && topic.Partitions.Values.First() is { HasLeader: true } p && epochs.TryGetValue(p.Leader, out long le))
                        {
                            var isr = p.Replicas.Where(r => r == p.Leader || random.Next(2) == 0).Select(r => new IsrMember(r)).ToList();
                            h.Commit(AlterPartitionDecisions.Decide(h.Image, new AlterPartitionRequest(p.Leader, le, [new AlterPartitionItem(topic.TopicId, 0, p.LeaderEpoch, p.PartitionEpoch, isr)])));
                        }

                        break;
                    case 6:
                        h.Commit(h.Topics.CreatePartitions(h.Image, [new CreatePartitionsTopic("t" + random.Next(5), random.Next(1, 6))]));
                        break;
                    case 7:
                        int[] target = [.. Enumerable.Range(1, 5).OrderBy(_ => random.Next()).Take(random.Next(0, 4))];
                        h.Commit(ReassignmentDecisions.Alter(h.Image,
                            [new PartitionReassignment(new TopicPartitionRef("t" + random.Next(5), random.Next(3)), random.Next(4) == 0 ? null : target)],
                            _ => random.Next(2) == 0));
                        break;
                    case 8:
                        var type = random.Next(2) == 0 ? ElectionType.Preferred : ElectionType.Unclean;
                        h.Commit(LeaderElectionDecisions.Elect(h.Image, type, random.Next(3) == 0 ? null : [new TopicPartitionRef("t" + random.Next(5), 0)]));
                        break;
                    case 9:
                        if (random.Next(5) == 0)
                        {
                            h.Commit(h.Brokers.Unregister(h.Image, broker));
                        }

                        break;
                    default:
                        if (random.Next(4) == 0)
                        {
                            h.Commit(h.Topics.DeleteTopics(h.Image, [new TopicReference("t" + random.Next(5))]));
                        }

                        break;
                }

                h.AssertInvariants();
                foreach (TopicImage t in h.Image.Topics.Values)
                {
                    foreach (PartitionRegistration part in t.Partitions.Values)
                    {
                        Assert.True(!lastLeaderEpoch.TryGetValue((t.TopicId, part.Partition), out int previous) || part.LeaderEpoch >= previous, $"seed {seed}: leader epoch went back");
                        lastLeaderEpoch[(t.TopicId, part.Partition)] = part.LeaderEpoch;
                    }
                }
            }
        }
    }
}
