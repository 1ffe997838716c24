using Chronik.Cluster.Controller;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Wire;

namespace Chronik.Cluster.Tests.Controller;

/// <summary>ElectLeaders (preferred, unclean) and the automatic preferred-leader rebalance decision.</summary>
public class LeaderElectionTests
{
    private static ErrorCode Elect(ControllerHarness h, ElectionType type, string topic, int partition) =>
        h.Commit(LeaderElectionDecisions.Elect(h.Image, type, [new TopicPartitionRef(topic, partition)])).Partitions.Single().Error.Code;

    private static void Fence(ControllerHarness h, int broker) =>
        h.Commit(h.Brokers.Heartbeat(h.Image, new BrokerHeartbeatRequest(broker, h.Image.GetBroker(broker)!.BrokerEpoch, h.Image.Version, WantFence: true)));

    private static void Unfence(ControllerHarness h, int broker) =>
        h.Commit(h.Brokers.Heartbeat(h.Image, new BrokerHeartbeatRequest(broker, h.Image.GetBroker(broker)!.BrokerEpoch, h.Image.Version)));

    [Fact]
    public void Preferred_election_returns_leadership_to_the_first_replica_once_it_is_back_in_the_isr()
    {
        var h = new ControllerHarness();
        h.AddBroker(1);
        h.AddBroker(2);
        Guid t = h.CreateAssigned("t", [1, 2]);
        Assert.Equal(ErrorCode.ElectionNotNeeded, Elect(h, ElectionType.Preferred, "t", 0));

        Fence(h, 1);
        Unfence(h, 1);
        Assert.Equal((2, "2"), (h.Image.GetPartition(t, 0)!.Leader, string.Join(",", h.Image.GetPartition(t, 0)!.Isr)));

        // Not in the ISR yet: it may not lead.
        Assert.Equal(ErrorCode.PreferredLeaderNotAvailable, Elect(h, ElectionType.Preferred, "t", 0));
        Assert.Equal(ErrorCode.None, h.AlterIsr(t, 0, 2, 1));
        int epoch = h.Image.GetPartition(t, 0)!.LeaderEpoch;

        Assert.Equal(ErrorCode.None, Elect(h, ElectionType.Preferred, "t", 0));
        PartitionRegistration p = h.Image.GetPartition(t, 0)!;
        Assert.Equal((1, epoch + 1), (p.Leader, p.LeaderEpoch));
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, Elect(h, ElectionType.Preferred, "t", 3));
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, Elect(h, ElectionType.Preferred, "x", 0));
        h.AssertInvariants();
    }

    [Fact]
    public void Unclean_election_happens_only_when_asked_and_only_for_leaderless_partitions()
    {
        var h = new ControllerHarness();
        h.AddBroker(1);
        h.AddBroker(2);
        Guid t = h.CreateAssigned("t", [1, 2]);
        Assert.Equal(ErrorCode.None, h.AlterIsr(t, 0, 1));
        Assert.Equal(ErrorCode.ElectionNotNeeded, Elect(h, ElectionType.Unclean, "t", 0));

        // The only in-sync replica dies: no leader, and nothing changes by itself.
        Fence(h, 1);
        PartitionRegistration p = h.Image.GetPartition(t, 0)!;
        Assert.Equal((-1, "1"), (p.Leader, string.Join(",", p.Isr)));
        Assert.Equal(ErrorCode.PreferredLeaderNotAvailable, Elect(h, ElectionType.Preferred, "t", 0));

        Assert.Equal(ErrorCode.None, Elect(h, ElectionType.Unclean, "t", 0));
        p = h.Image.GetPartition(t, 0)!;
        Assert.Equal((2, "2"), (p.Leader, string.Join(",", p.Isr)));

        Fence(h, 2);
        Assert.Equal(ErrorCode.EligibleLeadersNotAvailable, Elect(h, ElectionType.Unclean, "t", 0));
    }

    [Fact]
    public void Electing_every_partition_answers_only_those_that_needed_it()
    {
        var h = new ControllerHarness();
        h.AddBroker(1);
        h.AddBroker(2);
        Guid t = h.CreateAssigned("t", [1, 2], [2, 1], [1, 2]);
        Fence(h, 1);
        Unfence(h, 1);
        h.AlterIsr(t, 0, 2, 1);

        ElectLeadersOutcome outcome = h.Commit(LeaderElectionDecisions.Elect(h.Image, ElectionType.Preferred, null));
        Assert.Equal(
            [(new TopicPartitionRef("t", 0), ErrorCode.None), (new TopicPartitionRef("t", 2), ErrorCode.PreferredLeaderNotAvailable)],
            outcome.Partitions.Select(r => (r.Partition, r.Error.Code)));
    }

    [Fact]
    public void The_rebalance_picks_partitions_of_brokers_above_the_imbalance_threshold()
    {
        var h = new ControllerHarness();
        h.AddBroker(1);
        h.AddBroker(2);
        h.AddBroker(3);

        // Broker 1 is preferred for 4 partitions; after it returns it leads none of them (100% imbalance).
        Guid t = h.CreateAssigned("t", [1, 2], [1, 2], [1, 3], [1, 3], [2, 3], [3, 2]);
        Fence(h, 1);
        Unfence(h, 1);
        Assert.Empty(LeaderImbalance.PartitionsToRebalance(h.Image, 10));
        h.AlterIsr(t, 0, 2, 1);
        h.AlterIsr(t, 2, 3, 1);

        Assert.Equal([new TopicPartitionRef("t", 0), new TopicPartitionRef("t", 2)], LeaderImbalance.PartitionsToRebalance(h.Image, 10));

        // 4 of 4 not led by broker 1 is above 99% too, but not above 100%.
        Assert.Empty(LeaderImbalance.PartitionsToRebalance(h.Image, 100));

        h.Commit(LeaderElectionDecisions.Elect(h.Image, ElectionType.Preferred, LeaderImbalance.PartitionsToRebalance(h.Image, 10)));

        // 2 of 4 (50%) still elsewhere, but those cannot lead yet.
        Assert.Empty(LeaderImbalance.PartitionsToRebalance(h.Image, 10));
        h.AssertInvariants();
    }
}
