using Chronik.Broker.Groups;
using Chronik.Broker.Groups.Classic;
using Chronik.Broker.Groups.Records;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;
using static Chronik.Broker.Tests.Groups.ShardHarness;

namespace Chronik.Broker.Tests.Groups;

public class ClassicGroupTests
{
    private readonly ShardHarness _h = new();

    private ClassicGroup Group(string id = "g") => (ClassicGroup)_h.Shard.GetGroup(id)!;

    /// <summary>Joins with v5 (member id required first), returns the member id and the pending join.</summary>
    private (string MemberId, Task<JoinGroupResponse> Join) JoinNew(string group = "g", string clientId = "client", string protocol = "range")
    {
        JoinGroupResponse required = Done(_h.Run(s => s.JoinGroup(Context(5, clientId), Join(group, protocol: protocol))));
        Assert.Equal((short)ErrorCode.MemberIdRequired, required.ErrorCode);
        Task<JoinGroupResponse> join = _h.Run(s => s.JoinGroup(Context(5, clientId), Join(group, required.MemberId, protocol: protocol)));
        return (required.MemberId, join);
    }

    [Fact]
    public void First_join_without_member_id_is_told_member_id_required_kip_394()
    {
        JoinGroupResponse response = Done(_h.Run(s => s.JoinGroup(Context(4, "c1"), Join("g"))));
        Assert.Equal((short)ErrorCode.MemberIdRequired, response.ErrorCode);
        Assert.StartsWith("c1-", response.MemberId);
        Assert.Empty(Group().Members);
    }

    [Fact]
    public void Before_v4_the_first_join_is_admitted_at_once()
    {
        Task<JoinGroupResponse> join = _h.Run(s => s.JoinGroup(Context(3), Join("g")));
        Assert.False(join.IsCompleted);
        Assert.Single(Group().Members);
    }

    [Fact]
    public void Initial_rebalance_waits_the_delay_then_completes_with_leader_and_generation_1()
    {
        var (a, joinA) = JoinNew(clientId: "a");
        var (b, joinB) = JoinNew(clientId: "b");
        _h.Advance(TimeSpan.FromMilliseconds(50));
        Assert.False(joinA.IsCompleted);
        _h.Advance(TimeSpan.FromMilliseconds(500));
        Assert.True(joinA.IsCompleted && joinB.IsCompleted);
        Assert.Equal(1, Done(joinA).GenerationId);
        Assert.Equal(a, Done(joinA).Leader);
        Assert.Equal(2, Done(joinA).Members.Count);
        Assert.Empty(Done(joinB).Members);
        Assert.Equal("range", Done(joinB).ProtocolName);
        Assert.Equal(ClassicGroupState.CompletingRebalance, Group().State);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void Leader_sync_stores_the_group_and_hands_out_assignments()
    {
        var (a, _) = JoinNew(clientId: "a");
        var (b, _) = JoinNew(clientId: "b");
        _h.Advance(TimeSpan.FromSeconds(1));
        Task<SyncGroupResponse> followerSync = _h.Run(s => s.SyncGroup(Context(3), Sync("g", b, 1)));
        Assert.False(followerSync.IsCompleted);
        SyncGroupResponse leaderSync = Done(_h.Run(s => s.SyncGroup(Context(3), Sync("g", a, 1, null, (a, [1]), (b, [2])))));
        Assert.Equal(new byte[] { 1 }, leaderSync.Assignment);
        Assert.Equal(new byte[] { 2 }, Done(followerSync).Assignment);
        Assert.Equal(ClassicGroupState.Stable, Group().State);
        var stored = Assert.IsType<GroupMetadataRecord>(_h.Written.Last());
        Assert.Equal(1, stored.Value!.Generation);
        Assert.Equal(2, stored.Value.Members.Count);
    }

    [Fact]
    public void Heartbeat_errors_follow_kafka()
    {
        var (a, _) = JoinNew();
        _h.Advance(TimeSpan.FromSeconds(1));
        _h.Run(s => s.SyncGroup(Context(3), Sync("g", a, 1, null, (a, [1]))));
        Assert.Equal((short)ErrorCode.None, _h.Run(s => s.Heartbeat(Context(3), Heartbeat("g", a, 1))).ErrorCode);
        Assert.Equal((short)ErrorCode.IllegalGeneration, _h.Run(s => s.Heartbeat(Context(3), Heartbeat("g", a, 7))).ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownMemberId, _h.Run(s => s.Heartbeat(Context(3), Heartbeat("g", "nobody", 1))).ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownMemberId, _h.Run(s => s.Heartbeat(Context(3), Heartbeat("other", a, 1))).ErrorCode);

        // A new member makes the group rebalance: the old member is told so.
        JoinNew(clientId: "b");
        Assert.Equal((short)ErrorCode.RebalanceInProgress, _h.Run(s => s.Heartbeat(Context(3), Heartbeat("g", a, 1))).ErrorCode);
    }

    [Fact]
    public void A_silent_member_is_removed_after_its_session_timeout_and_the_rest_rebalance()
    {
        var (a, _) = JoinNew(clientId: "a");
        var (b, _) = JoinNew(clientId: "b");
        _h.Advance(TimeSpan.FromSeconds(1));
        _h.Run(s => s.SyncGroup(Context(3), Sync("g", a, 1, null, (a, [1]), (b, [2]))));
        _h.Run(s => s.SyncGroup(Context(3), Sync("g", b, 1)));
        for (int i = 0; i < 4; i++)
        {
            _h.Advance(TimeSpan.FromSeconds(3));
            _h.Run(s => s.Heartbeat(Context(3), Heartbeat("g", a, 1)));
        }

        Assert.False(Group().HasMember(b));
        Assert.Equal(ClassicGroupState.PreparingRebalance, Group().State);
        Task<JoinGroupResponse> rejoin = _h.Run(s => s.JoinGroup(Context(5), Join("g", a)));
        Assert.Equal(2, Done(rejoin).GenerationId);
        Assert.Single(Done(rejoin).Members);
    }

    [Fact]
    public void Sync_timeout_removes_members_that_never_synced()
    {
        string JoinSlowSession(string client)
        {
            string id = Done(_h.Run(s => s.JoinGroup(Context(5, client), Join("g", sessionTimeoutMs: 60_000, rebalanceTimeoutMs: 5_000)))).MemberId;
            _h.Run(s => s.JoinGroup(Context(5, client), Join("g", id, sessionTimeoutMs: 60_000, rebalanceTimeoutMs: 5_000)));
            return id;
        }

        string a = JoinSlowSession("a");
        string b = JoinSlowSession("b");
        _h.Advance(TimeSpan.FromSeconds(1));
        _h.Run(s => s.SyncGroup(Context(3), Sync("g", a, 1, null, (a, [1]), (b, [2]))));
        Assert.True(Group().HasMember(b));
        _h.Advance(TimeSpan.FromSeconds(5));
        Assert.False(Group().HasMember(b));
        Assert.True(Group().HasMember(a));
        Assert.Equal(ClassicGroupState.PreparingRebalance, Group().State);
    }

    [Fact]
    public void Static_member_rejoining_with_its_instance_id_gets_its_assignment_back_without_a_rebalance_kip_345()
    {
        Task<JoinGroupResponse> join1 = _h.Run(s => s.JoinGroup(Context(5, "a"), Join("g", instanceId: "ia")));
        Task<JoinGroupResponse> join2 = _h.Run(s => s.JoinGroup(Context(5, "b"), Join("g", instanceId: "ib")));
        _h.Advance(TimeSpan.FromSeconds(1));
        string a = Done(join1).MemberId;
        string b = Done(join2).MemberId;
        _h.Run(s => s.SyncGroup(Context(3), Sync("g", a, 1, "ia", (a, [1]), (b, [2]))));
        _h.Run(s => s.SyncGroup(Context(3), Sync("g", b, 1, "ib")));

        // "b" restarts: a new process, same group.instance.id, no member id.
        JoinGroupResponse rejoin = Done(_h.Run(s => s.JoinGroup(Context(5, "b"), Join("g", instanceId: "ib"))));
        Assert.Equal((short)ErrorCode.None, rejoin.ErrorCode);
        Assert.Equal(1, rejoin.GenerationId);
        Assert.NotEqual(b, rejoin.MemberId);
        Assert.Equal(ClassicGroupState.Stable, Group().State);
        SyncGroupResponse sync = Done(_h.Run(s => s.SyncGroup(Context(3), Sync("g", rejoin.MemberId, 1, "ib"))));
        Assert.Equal(new byte[] { 2 }, sync.Assignment);

        // The old incarnation is fenced.
        Assert.Equal((short)ErrorCode.FencedInstanceId, _h.Run(s => s.Heartbeat(Context(3), Heartbeat("g", b, 1, "ib"))).ErrorCode);
        Assert.Equal((short)ErrorCode.None, _h.Run(s => s.Heartbeat(Context(3), Heartbeat("g", a, 1, "ia"))).ErrorCode);
    }

    [Fact]
    public void Static_leader_rejoining_with_v9_skips_the_assignment_kip_814()
    {
        Task<JoinGroupResponse> join1 = _h.Run(s => s.JoinGroup(Context(9, "a"), Join("g", instanceId: "ia")));
        _h.Advance(TimeSpan.FromSeconds(1));
        string a = Done(join1).MemberId;
        _h.Run(s => s.SyncGroup(Context(5), Sync("g", a, 1, "ia", (a, [1]))));
        JoinGroupResponse rejoin = Done(_h.Run(s => s.JoinGroup(Context(9, "a"), Join("g", instanceId: "ia"))));
        Assert.True(rejoin.SkipAssignment);
        Assert.Equal(rejoin.MemberId, rejoin.Leader);
        Assert.Single(rejoin.Members);
    }

    [Fact]
    public void Leave_group_v3_removes_members_by_id_or_instance_id_each_with_its_error()
    {
        var (a, _) = JoinNew(clientId: "a");
        Task<JoinGroupResponse> s1 = _h.Run(s => s.JoinGroup(Context(5, "s"), Join("g", instanceId: "is")));
        _h.Advance(TimeSpan.FromSeconds(1));
        var request = new LeaveGroupRequest
        {
            GroupId = "g",
            Members =
            [
                new LeaveGroupRequest.MemberIdentity { MemberId = a },
                new LeaveGroupRequest.MemberIdentity { MemberId = "", GroupInstanceId = "is" },
                new LeaveGroupRequest.MemberIdentity { MemberId = "ghost" },
                new LeaveGroupRequest.MemberIdentity { MemberId = "wrong", GroupInstanceId = "missing" },
            ],
        };
        LeaveGroupResponse response = _h.Run(s => s.LeaveGroup(Context(3), request));
        Assert.Equal(new short[] { 0, 0, (short)ErrorCode.UnknownMemberId, (short)ErrorCode.UnknownMemberId }, response.Members.Select(m => m.ErrorCode));
        Assert.Empty(Group().Members);
    }

    [Fact]
    public void Offset_commit_is_fenced_by_generation_and_fetched_back()
    {
        var (a, _) = JoinNew();
        _h.Advance(TimeSpan.FromSeconds(1));
        _h.Run(s => s.SyncGroup(Context(3), Sync("g", a, 1, null, (a, [1]))));
        OffsetCommitRequest Commit(int generation, string member) => new()
        {
            GroupId = "g",
            GenerationIdOrMemberEpoch = generation,
            MemberId = member,
            Topics = [new OffsetCommitRequest.OffsetCommitRequestTopic { Name = "t", Partitions = [new() { PartitionIndex = 0, CommittedOffset = 17, CommittedLeaderEpoch = 3, CommittedMetadata = "m" }] }],
        };

        Assert.Equal((short)ErrorCode.IllegalGeneration, _h.Run(s => s.OffsetCommit(Context(8), Commit(5, a))).Topics[0].Partitions[0].ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownMemberId, _h.Run(s => s.OffsetCommit(Context(8), Commit(1, "x"))).Topics[0].Partitions[0].ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownMemberId, _h.Run(s => s.OffsetCommit(Context(8), Commit(-1, ""))).Topics[0].Partitions[0].ErrorCode);
        Assert.Equal((short)ErrorCode.None, _h.Run(s => s.OffsetCommit(Context(8), Commit(1, a))).Topics[0].Partitions[0].ErrorCode);

        var fetched = _h.Run(s => s.OffsetFetch("g", null, -1, [("t", [0, 1])]));
        Assert.Equal(17, fetched.Topics[0].Partitions[0].CommittedOffset);
        Assert.Equal(3, fetched.Topics[0].Partitions[0].CommittedLeaderEpoch);
        Assert.Equal("m", fetched.Topics[0].Partitions[0].Metadata);
        Assert.Equal(-1, fetched.Topics[0].Partitions[1].CommittedOffset);
        Assert.Single(_h.Run(s => s.OffsetFetch("g", null, -1, null)).Topics);
    }

    [Fact]
    public void Simple_groups_commit_without_generation_and_unknown_groups_fail_by_version()
    {
        var commit = new OffsetCommitRequest
        {
            GroupId = "simple",
            GenerationIdOrMemberEpoch = -1,
            Topics = [new OffsetCommitRequest.OffsetCommitRequestTopic { Name = "t", Partitions = [new() { PartitionIndex = 0, CommittedOffset = 5 }] }],
        };
        Assert.Equal((short)ErrorCode.None, _h.Run(s => s.OffsetCommit(Context(8), commit)).Topics[0].Partitions[0].ErrorCode);
        Assert.Equal("Empty", _h.Shard.GetGroup("simple")!.StateName);
        commit.GroupId = "unknown";
        commit.GenerationIdOrMemberEpoch = 3;
        Assert.Equal((short)ErrorCode.IllegalGeneration, _h.Run(s => s.OffsetCommit(Context(8), commit)).Topics[0].Partitions[0].ErrorCode);
        Assert.Equal((short)ErrorCode.GroupIdNotFound, _h.Run(s => s.OffsetCommit(Context(9), commit)).Topics[0].Partitions[0].ErrorCode);
    }

    [Fact]
    public void Delete_groups_refuses_non_empty_and_unknown_groups()
    {
        JoinNew();
        _h.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(ErrorCode.NonEmptyGroup, _h.Run(s => s.DeleteGroup("g")));
        Assert.Equal(ErrorCode.GroupIdNotFound, _h.Run(s => s.DeleteGroup("nope")));
        Assert.Equal(ErrorCode.InvalidGroupId, _h.Run(s => s.DeleteGroup("")));
    }

    [Fact]
    public void List_and_describe_show_state_members_and_protocol()
    {
        var (a, _) = JoinNew(clientId: "cli");
        _h.Advance(TimeSpan.FromSeconds(1));
        _h.Run(s => s.SyncGroup(Context(3), Sync("g", a, 1, null, (a, [9]))));
        var listed = Assert.Single(_h.Run(s => s.ListGroups([], [])));
        Assert.Equal(("g", "consumer", "Stable", "classic"), (listed.GroupId, listed.ProtocolType, listed.GroupState, listed.GroupType));
        Assert.Empty(_h.Run(s => s.ListGroups(["empty"], [])));
        Assert.Single(_h.Run(s => s.ListGroups(["stable"], ["classic"])));
        Assert.Empty(_h.Run(s => s.ListGroups([], ["consumer"])));

        var described = _h.Run(s => s.DescribeGroup("g", includeAuthorizedOperations: false));
        Assert.Equal("Stable", described.GroupState);
        Assert.Equal("range", described.ProtocolData);
        var member = Assert.Single(described.Members);
        Assert.Equal(("cli", "/127.0.0.1"), (member.ClientId, member.ClientHost));
        Assert.Equal(new byte[] { 9 }, member.MemberAssignment);
        Assert.Equal("Dead", _h.Run(s => s.DescribeGroup("missing", false)).GroupState);
    }

    [Fact]
    public void A_reloaded_shard_rebuilds_stable_groups_and_offsets_from_the_records()
    {
        var (a, _) = JoinNew();
        _h.Advance(TimeSpan.FromSeconds(1));
        _h.Run(s => s.SyncGroup(Context(3), Sync("g", a, 1, null, (a, [4]))));
        _h.Run(s => s.OffsetCommit(Context(8), new OffsetCommitRequest
        {
            GroupId = "g",
            GenerationIdOrMemberEpoch = 1,
            MemberId = a,
            Topics = [new() { Name = "t", Partitions = [new() { PartitionIndex = 2, CommittedOffset = 99 }] }],
        }));
        GroupCoordinatorShard reloaded = _h.Reloaded();
        var group = (ClassicGroup)reloaded.GetGroup("g")!;
        Assert.Equal(ClassicGroupState.Stable, group.State);
        Assert.Equal(1, group.GenerationId);
        Assert.Equal(new byte[] { 4 }, group.GetMember(a)!.Assignment);
        Assert.Equal(99, reloaded.Offsets.Get("g", "t", 2)!.Offset);
    }

    [Fact]
    public void Empty_groups_lose_their_offsets_after_the_retention_and_then_the_group()
    {
        var h = new ShardHarness(new GroupCoordinatorOptions { OffsetsRetentionMs = 60_000, OffsetsRetentionCheckIntervalMs = 10_000 });
        h.Shard.OnLoaded();
        h.Run(s => s.OffsetCommit(Context(8), new OffsetCommitRequest
        {
            GroupId = "old",
            Topics = [new() { Name = "t", Partitions = [new() { PartitionIndex = 0, CommittedOffset = 1 }] }],
        }));
        h.Advance(TimeSpan.FromSeconds(30));
        Assert.NotNull(h.Shard.Offsets.Get("old", "t", 0));
        h.Advance(TimeSpan.FromSeconds(45));
        Assert.Null(h.Shard.Offsets.Get("old", "t", 0));
        Assert.Null(h.Shard.GetGroup("old"));
    }
}
