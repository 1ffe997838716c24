using System.Collections.Immutable;
using Chronik.Broker.Groups;
using Chronik.Broker.Groups.Consumer;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;
using static Chronik.Broker.Tests.Groups.ShardHarness;

namespace Chronik.Broker.Tests.Groups;

public class ConsumerGroupTests
{
    public static readonly Guid TopicId = Guid.Parse("00000000-0000-0000-0000-0000000000aa");

    public static MetadataImage ImageWith(string topic, Guid topicId, int partitions)
    {
        MetadataImage image = MetadataImage.Empty.Apply(new TopicRecord(topic, topicId));
        for (int p = 0; p < partitions; p++)
        {
            image = image.Apply(new PartitionRecord(topicId, p, ImmutableArray.Create(1), ImmutableArray.Create(1), 1, 0, 0));
        }

        return image;
    }

    private readonly ShardHarness _h = new(image: ImageWith("t", TopicId, 6));

    private ConsumerGroupHeartbeatResponse Beat(string memberId, int epoch, Assignment? owned = null, string? instanceId = null, string? assignor = null, bool full = false) =>
        _h.Run(s => s.ConsumerGroupHeartbeat(Context(1), new ConsumerGroupHeartbeatRequest
        {
            GroupId = "g",
            MemberId = memberId,
            MemberEpoch = epoch,
            InstanceId = instanceId,
            RebalanceTimeoutMs = epoch == 0 || full ? 30_000 : -1,
            SubscribedTopicNames = epoch == 0 || full ? ["t"] : null,
            ServerAssignor = assignor,
            TopicPartitions = epoch == 0 ? [] : owned is null ? null : [.. owned.TopicIds.Select(t => new ConsumerGroupHeartbeatRequest.TopicPartitionsData { TopicId = t, Partitions = [.. owned.Partitions(t)] })],
        }));

    private static Assignment Owned(ConsumerGroupHeartbeatResponse response, Assignment previous) =>
        response.Assignment is null ? previous : Assignment.From(response.Assignment.TopicPartitions.Select(t => new KeyValuePair<Guid, IEnumerable<int>>(t.TopicId, t.Partitions)));

    [Fact]
    public void A_single_member_gets_every_partition_at_epoch_1()
    {
        ConsumerGroupHeartbeatResponse response = Beat("m1", 0);
        Assert.Equal((short)ErrorCode.None, response.ErrorCode);
        Assert.Equal(1, response.MemberEpoch);
        Assert.Equal(6, Owned(response, Assignment.Empty).Count);
        Assert.Equal(5000, response.HeartbeatIntervalMs);
        Assert.Equal("Stable", _h.Shard.GetGroup("g")!.StateName);
    }

    [Fact]
    public void A_second_member_gets_partitions_only_after_the_first_revoked_them()
    {
        Assignment owned1 = Owned(Beat("m1", 0), Assignment.Empty);
        ConsumerGroupHeartbeatResponse join2 = Beat("m2", 0);
        Assert.Equal(2, join2.MemberEpoch);
        Assert.True(Owned(join2, Assignment.Empty).IsEmpty, "m2 must wait until m1 revoked");

        ConsumerGroupHeartbeatResponse revoke = Beat("m1", 1, owned1);
        Assert.Equal(1, revoke.MemberEpoch);
        Assignment kept = Owned(revoke, owned1);
        Assert.Equal(3, kept.Count);
        Assert.Equal("Reconciling", _h.Shard.GetGroup("g")!.StateName);

        // m1 acknowledges the revocation; then m2 gets the released partitions.
        Assert.Equal(2, Beat("m1", 1, kept).MemberEpoch);
        Assignment owned2 = Owned(Beat("m2", 2, Assignment.Empty), Assignment.Empty);
        Assert.Equal(3, owned2.Count);
        Assert.Empty(kept.All().Intersect(owned2.All()));
        Assert.Equal("Stable", _h.Shard.GetGroup("g")!.StateName);
    }

    [Fact]
    public void Epoch_fencing_and_unknown_members_follow_kafka()
    {
        Beat("m1", 0);
        Assert.Equal((short)ErrorCode.FencedMemberEpoch, Beat("m1", 7).ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownMemberId, Beat("ghost", 1).ErrorCode);
        Assert.Equal((short)ErrorCode.UnsupportedAssignor, Beat("m9", 0, assignor: "nope").ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidRequest, _h.Run(s => s.ConsumerGroupHeartbeat(Context(1), new ConsumerGroupHeartbeatRequest { GroupId = "g", MemberId = "x", MemberEpoch = 0 })).ErrorCode);
    }

    [Fact]
    public void A_member_that_stops_heartbeating_is_fenced_after_the_session_timeout()
    {
        Assignment owned1 = Owned(Beat("m1", 0), Assignment.Empty);
        Beat("m2", 0);
        _h.Advance(TimeSpan.FromSeconds(40));
        Beat("m2", 2, Assignment.Empty);
        _h.Advance(TimeSpan.FromSeconds(10));
        var group = (ConsumerGroup)_h.Shard.GetGroup("g")!;
        Assert.Null(group.GetMember("m1"));
        Assignment owned2 = Assignment.Empty;
        for (int i = 0; i < 3; i++)
        {
            ConsumerGroupHeartbeatResponse r = Beat("m2", group.GetMember("m2")!.MemberEpoch, owned2);
            owned2 = Owned(r, owned2);
        }

        Assert.Equal(6, owned2.Count);
        Assert.Equal((short)ErrorCode.UnknownMemberId, Beat("m1", 1, owned1).ErrorCode);
    }

    [Fact]
    public void A_static_member_leaving_with_minus_2_returns_to_its_partitions_kip_848()
    {
        Assignment owned = Owned(Beat("m1", 0, instanceId: "i1"), Assignment.Empty);
        int epoch = ((ConsumerGroup)_h.Shard.GetGroup("g")!).GroupEpoch;
        Assert.Equal(-2, Beat("m1", -2, instanceId: "i1").MemberEpoch);
        ConsumerGroupHeartbeatResponse back = Beat("m1-restarted", 0, instanceId: "i1");
        Assert.Equal((short)ErrorCode.None, back.ErrorCode);
        Assert.Equal(owned, Owned(back, Assignment.Empty));
        Assert.Equal(epoch, ((ConsumerGroup)_h.Shard.GetGroup("g")!).GroupEpoch);

        // An instance id still in use cannot be taken.
        Assert.Equal((short)ErrorCode.UnreleasedInstanceId, Beat("intruder", 0, instanceId: "i1").ErrorCode);
    }

    [Fact]
    public void Offset_commits_of_consumer_groups_are_fenced_by_member_epoch()
    {
        Beat("m1", 0);
        OffsetCommitRequest Commit(int epoch, string member) => new()
        {
            GroupId = "g",
            GenerationIdOrMemberEpoch = epoch,
            MemberId = member,
            Topics = [new() { Name = "t", Partitions = [new() { PartitionIndex = 0, CommittedOffset = 3 }] }],
        };

        Assert.Equal((short)ErrorCode.None, _h.Run(s => s.OffsetCommit(Context(9), Commit(1, "m1"))).Topics[0].Partitions[0].ErrorCode);
        Assert.Equal((short)ErrorCode.StaleMemberEpoch, _h.Run(s => s.OffsetCommit(Context(9), Commit(0, "m1"))).Topics[0].Partitions[0].ErrorCode);
        Assert.Equal((short)ErrorCode.FencedMemberEpoch, _h.Run(s => s.OffsetCommit(Context(9), Commit(5, "m1"))).Topics[0].Partitions[0].ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownMemberId, _h.Run(s => s.OffsetCommit(Context(9), Commit(1, "x"))).Topics[0].Partitions[0].ErrorCode);
        Assert.Equal((short)ErrorCode.StaleMemberEpoch, _h.Run(s => s.OffsetFetch("g", "m1", 0, null)).ErrorCode);
    }

    [Fact]
    public void Describe_and_list_show_the_consumer_group()
    {
        Beat("m1", 0);
        var described = _h.Run(s => s.ConsumerGroupDescribe("g", false));
        Assert.Equal(("Stable", 1, 1, "uniform"), (described.GroupState, described.GroupEpoch, described.AssignmentEpoch, described.AssignorName));
        var member = Assert.Single(described.Members);
        Assert.Equal("t", member.Assignment.TopicPartitions[0].TopicName);
        Assert.Equal(6, member.TargetAssignment.TopicPartitions[0].Partitions.Count);
        var listed = Assert.Single(_h.Run(s => s.ListGroups([], ["consumer"])));
        Assert.Equal(("consumer", "consumer", "Stable"), (listed.GroupType, listed.ProtocolType, listed.GroupState));
        Assert.Equal((short)ErrorCode.GroupIdNotFound, _h.Run(s => s.ConsumerGroupDescribe("missing", false)).ErrorCode);
    }

    [Fact]
    public void Leaving_members_and_deleting_the_empty_group_leave_nothing_behind_after_reload()
    {
        Beat("m1", 0);
        Assert.Equal(-1, Beat("m1", -1).MemberEpoch);
        Assert.Equal("Empty", _h.Shard.GetGroup("g")!.StateName);
        Assert.Equal(ErrorCode.None, _h.Run(s => s.DeleteGroup("g")));
        Assert.Null(_h.Shard.GetGroup("g"));
        Assert.Null(_h.Reloaded().GetGroup("g"));
    }
}
