using Chronik.Cluster.Controller;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Wire;

namespace Chronik.Cluster.Tests.Controller;

public class ReassignmentTests
{
    private static ControllerHarness FourBrokers()
    {
        var h = new ControllerHarness();
        for (int id = 1; id <= 4; id++)
        {
            h.AddBroker(id);
        }

        return h;
    }

    private static ApiError Reassign(ControllerHarness h, string topic, int partition, params int[]? replicas) =>
        h.Commit(ReassignmentDecisions.Alter(h.Image, [new PartitionReassignment(new TopicPartitionRef(topic, partition), replicas)], _ => false)).Single().Error;

    [Fact]
    public void A_move_adds_the_new_replica_and_completes_when_it_joins_the_isr()
    {
        var h = FourBrokers();
        Guid t = h.CreateAssigned("t", [1, 2, 3]);

        Assert.Equal(ErrorCode.None, Reassign(h, "t", 0, 2, 3, 4).Code);
        PartitionRegistration p = h.Image.GetPartition(t, 0)!;
        Assert.Equal<int>([2, 3, 4, 1], p.Replicas);
        Assert.Equal<int>([4], p.AddingReplicas);
        Assert.Equal<int>([1], p.RemovingReplicas);
        Assert.Equal((1, 0), (p.Leader, p.LeaderEpoch));
        Assert.Equal<int>([1, 2, 3], p.Isr);
        var listed = ReassignmentDecisions.List(h.Image, null).Single();
        Assert.Equal(new TopicPartitionRef("t", 0), listed.Partition);
        Assert.Equal<int>([4], listed.AddingReplicas);
        h.AssertInvariants();

        // The new replica caught up: the leader lets it into the ISR, and that completes the move; the leader (1) was removed.
        Assert.Equal(ErrorCode.None, h.AlterIsr(t, 0, 1, 2, 3, 4));
        p = h.Image.GetPartition(t, 0)!;
        Assert.Equal<int>([2, 3, 4], p.Replicas);
        Assert.Equal<int>([2, 3, 4], p.Isr);
        Assert.False(p.IsReassigning);
        Assert.Equal((2, 1), (p.Leader, p.LeaderEpoch));
        Assert.Empty(ReassignmentDecisions.List(h.Image, null));
        h.AssertInvariants();
    }

    [Fact]
    public void A_shrink_or_reorder_completes_at_once()
    {
        var h = FourBrokers();
        Guid t = h.CreateAssigned("t", [1, 2, 3], [1, 2, 3]);

        Assert.Equal(ErrorCode.None, Reassign(h, "t", 0, 3, 2).Code);
        PartitionRegistration p = h.Image.GetPartition(t, 0)!;
        Assert.Equal(("3,2", "2,3", 3), (string.Join(",", p.Replicas), string.Join(",", p.Isr), p.Leader));
        Assert.False(p.IsReassigning);

        // A pure reorder changes the preferred replica but keeps the current leader.
        Assert.Equal(ErrorCode.None, Reassign(h, "t", 1, 2, 1, 3).Code);
        p = h.Image.GetPartition(t, 1)!;
        Assert.Equal(("2,1,3", 1), (string.Join(",", p.Replicas), p.Leader));
        h.AssertInvariants();
    }

    [Fact]
    public void Cancelling_reverts_to_the_original_replicas()
    {
        var h = FourBrokers();
        Guid t = h.CreateAssigned("t", [1, 2]);
        Assert.Equal(ErrorCode.NoReassignmentInProgress, Reassign(h, "t", 0, null).Code);

        Assert.Equal(ErrorCode.None, Reassign(h, "t", 0, 3, 4).Code);
        Assert.Equal<int>([3, 4, 1, 2], h.Image.GetPartition(t, 0)!.Replicas);
        Assert.Equal(ErrorCode.None, h.AlterIsr(t, 0, 1, 2, 3));

        Assert.Equal(ErrorCode.None, Reassign(h, "t", 0, null).Code);
        PartitionRegistration p = h.Image.GetPartition(t, 0)!;
        Assert.Equal(("1,2", "1,2", 1), (string.Join(",", p.Replicas), string.Join(",", p.Isr), p.Leader));
        Assert.False(p.IsReassigning);
        h.AssertInvariants();
    }

    [Fact]
    public void Targets_are_validated_and_unknown_partitions_answered()
    {
        var h = FourBrokers();
        h.CreateAssigned("t", [1, 2]);
        Assert.Equal(ErrorCode.InvalidReplicaAssignment, Reassign(h, "t", 0).Code);
        Assert.Equal(ErrorCode.InvalidReplicaAssignment, Reassign(h, "t", 0, 1, 1).Code);
        Assert.Contains("no such broker is registered", Reassign(h, "t", 0, 1, 9).Message);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, Reassign(h, "t", 5, 1).Code);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, Reassign(h, "nope", 0, 1).Code);
        Assert.Empty(ReassignmentDecisions.List(h.Image, [new TopicPartitionRef("nope", 0), new TopicPartitionRef("t", 0)]));
    }

    [Fact]
    public void A_new_target_replaces_a_running_reassignment()
    {
        var h = FourBrokers();
        Guid t = h.CreateAssigned("t", [1, 2]);
        Reassign(h, "t", 0, 1, 3);
        Assert.Equal(ErrorCode.None, Reassign(h, "t", 0, 1, 4).Code);
        PartitionRegistration p = h.Image.GetPartition(t, 0)!;
        Assert.Equal<int>([1, 4, 2, 3], p.Replicas);
        Assert.Equal<int>([4], p.AddingReplicas);
        Assert.Equal<int>([2, 3], p.RemovingReplicas);

        Assert.Equal(ErrorCode.None, h.AlterIsr(t, 0, 1, 2, 4));
        p = h.Image.GetPartition(t, 0)!;
        Assert.Equal(("1,4", "1,4"), (string.Join(",", p.Replicas), string.Join(",", p.Isr)));
        h.AssertInvariants();
    }
}
