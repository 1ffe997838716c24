using Chronik.Cluster.Controller;
using Chronik.Cluster.Metadata;
using Chronik.Cluster.Quorum;
using Chronik.Protocol.Wire;
using Chronik.Testing;
using static Chronik.Cluster.Tests.Quorum.QuorumTestNode;

namespace Chronik.Cluster.Tests.Quorum;

/// <summary>
/// Runtime voter changes on real quorum nodes (loopback, temp directories): a node started to join is
/// caught up and added, the four-voter configuration survives restarts of every node (the flags no longer
/// matter), a removed voter stops counting, and the controller answers Kafka's errors.
/// </summary>
public class VoterChangeTests
{
    [Fact]
    public async Task A_joining_node_is_added_the_configuration_persists_across_restarts_and_a_removed_voter_stops_counting()
    {
        using var dir = new TempDirectory("voters");
        int[] ports = FreePort.Next(4);
        IReadOnlyList<QuorumPeer> bootstrap = Voters(ports[..3]);
        var joiner = new QuorumPeer(4, "127.0.0.1", ports[3]);
        var nodes = new MetadataQuorum?[4];
        try
        {
            for (int i = 0; i < 3; i++)
            {
                nodes[i] = Create(i + 1, bootstrap, dir.Sub($"n{i + 1}"));
                await nodes[i]!.StartAsync(CancellationToken.None);
            }

            MetadataQuorum leader = await LeaderAsync(nodes);
            long first = await leader.ProposeAsync([new ClusterIdRecord("voters-cluster"), .. TopicWithConfig("a", Guid.NewGuid(), "1")], CancellationToken.None);

            // Node 4 joins: not a voter, so not ready, and it learns nothing until the leader adds it.
            nodes[3] = Join(joiner, bootstrap, dir.Sub("n4"));
            await nodes[3]!.StartAsync(CancellationToken.None);
            Assert.False(nodes[3]!.IsVoter);
            Assert.Contains("not a voter", nodes[3]!.NotReadyReason);
            Assert.Equal([1, 2, 3], nodes[3]!.Voters.Select(v => v.NodeId));

            var controller = new RaftVoterController(leader);
            ApiError added = await controller.AddRaftVoterAsync(Addition(joiner), Timeout());
            Assert.False(added.IsError, added.ToString());
            Assert.Equal([1, 2, 3, 4], leader.Voters.Select(v => v.NodeId));
            await nodes[3]!.WaitForVersionAsync(first, Timeout());
            await Eventually(() => nodes.All(n => n!.Voters.Count == 4) && nodes[3]!.IsVoter && nodes[3]!.NotReadyReason is null, "every node applies the four-voter configuration and node 4 knows the leader");
            Assert.Equal(leader.NodeId, nodes[3]!.LeaderNodeId);
            Assert.Equal(joiner, nodes[3]!.Voters.Single(v => v.NodeId == 4));

            // Adding it again is a duplicate; a second controller on a follower is not the controller.
            Assert.Equal(ErrorCode.DuplicateVoter, (await controller.AddRaftVoterAsync(Addition(joiner), Timeout())).Code);
            MetadataQuorum follower = nodes.First(n => !n!.IsLeader)!;
            Assert.Equal(ErrorCode.NotController, (await new RaftVoterController(follower).AddRaftVoterAsync(Addition(joiner), Timeout())).Code);

            // Four voters need three: with one original voter down, the other two and node 4 still commit.
            int downId = nodes.First(n => !n!.IsLeader && n!.NodeId != 4)!.NodeId;
            await nodes[downId - 1]!.DisposeAsync();
            nodes[downId - 1] = null;
            long second = await ProposeOnLeaderAsync(nodes, TopicWithConfig("b", Guid.NewGuid(), "2"));
            await nodes[3]!.WaitForVersionAsync(second, Timeout());

            // Restart every node with its original flags (node 4 still "joining"): the persisted configuration wins.
            await StopAllAsync(nodes);
            for (int i = 0; i < 3; i++)
            {
                nodes[i] = Create(i + 1, bootstrap, dir.Sub($"n{i + 1}"));
            }

            nodes[3] = Join(joiner, bootstrap, dir.Sub("n4"));
            foreach (MetadataQuorum? node in nodes)
            {
                await node!.StartAsync(CancellationToken.None);
                Assert.Equal([1, 2, 3, 4], node.Voters.Select(v => v.NodeId));
                Assert.True(node.IsVoter);
            }

            leader = await LeaderAsync(nodes);
            Assert.NotNull((await nodes[3]!.WaitForVersionAsync(second, Timeout())).GetTopic("b"));

            // Remove a voter that is not the leader: the other three keep committing without it.
            int removedId = nodes.First(n => !n!.IsLeader)!.NodeId;
            ApiError removed = await new RaftVoterController(leader).RemoveRaftVoterAsync(new RaftVoterRemoval("voters-cluster", removedId, Guid.Empty), Timeout());
            Assert.False(removed.IsError, removed.ToString());
            MetadataQuorum removedNode = nodes[removedId - 1]!;
            MetadataQuorum[] remaining = [.. nodes.Where(n => n != removedNode).Select(n => n!)];
            await Eventually(() => remaining.All(n => n.Voters.Count == 3 && n.Voters.All(v => v.NodeId != removedId)), "the remaining nodes apply the three-voter configuration");

            // DotNext stops replicating to a removed member at once, so it may never learn that it was removed:
            // it stops hearing from the leader and reports itself not ready either way.
            await Eventually(() => removedNode.NotReadyReason is not null, $"the removed node {removedId} reports itself not ready ({removedNode.NotReadyReason})");
            Assert.Equal(ErrorCode.VoterNotFound, (await new RaftVoterController(leader).RemoveRaftVoterAsync(new RaftVoterRemoval(null, removedId, Guid.Empty), Timeout())).Code);

            long third = await ProposeOnLeaderAsync(nodes, TopicWithConfig("c", Guid.NewGuid(), "3"));
            long removedVersion = removedNode.Current.Version;
            foreach (MetadataQuorum node in nodes.Where(n => n != removedNode).Select(n => n!))
            {
                Assert.NotNull((await node.WaitForVersionAsync(third, Timeout())).GetTopic("c"));
            }

            Assert.True(removedVersion < third && removedNode.Current.Version < third, "the removed voter no longer receives entries");

            // The leader removes itself: the change commits, it steps down, and the two left elect a leader and commit.
            int oldLeaderId = leader.NodeId;
            ApiError resigned = await new RaftVoterController(leader).RemoveRaftVoterAsync(new RaftVoterRemoval(null, oldLeaderId, Guid.Empty), Timeout());
            Assert.False(resigned.IsError, resigned.ToString());
            MetadataQuorum[] lastTwo = [.. remaining.Where(n => n.NodeId != oldLeaderId)];
            await Eventually(() => lastTwo.All(n => n.Voters.Count == 2) && lastTwo.Any(n => n.IsLeader), "the last two voters elect a leader among themselves");
            Assert.False(leader.IsLeader);
            long fourth = await ProposeOnLeaderAsync([.. lastTwo], TopicWithConfig("d", Guid.NewGuid(), "4"));
            foreach (MetadataQuorum node in lastTwo)
            {
                Assert.NotNull((await node.WaitForVersionAsync(fourth, Timeout())).GetTopic("d"));
            }

            // A request naming another cluster is refused before anything changes.
            MetadataQuorum lastLeader = lastTwo.Single(n => n.IsLeader);
            Assert.Equal(ErrorCode.InconsistentClusterId,
                (await new RaftVoterController(lastLeader).RemoveRaftVoterAsync(new RaftVoterRemoval("other-cluster", lastLeader.NodeId, Guid.Empty), Timeout())).Code);
        }
        finally
        {
            await StopAllAsync(nodes);
        }
    }

    /// <summary>
    /// A node that accepts connections but never answers cannot catch up: the addition is refused
    /// (REQUEST_TIMED_OUT, Kafka's "lagging behind"), and a second change asked for meanwhile is refused at
    /// once (REQUEST_TIMED_OUT: one change at a time). The voters are unchanged.
    /// </summary>
    [Fact]
    public async Task A_node_that_does_not_catch_up_is_not_added_and_changes_go_one_at_a_time()
    {
        using var dir = new TempDirectory("voters-silent");
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        var mute = new QuorumPeer(2, "127.0.0.1", ((System.Net.IPEndPoint)silent.LocalEndpoint).Port);
        await using var single = new MetadataQuorum(new MetadataQuorumOptions
        {
            NodeId = 1,
            Voters = Voters(FreePort.Next(1)),
            MetadataDirectory = Path.Combine(dir.Sub("n1"), "meta"),
            CatchUpRounds = 2,
        });
        await single.StartAsync(CancellationToken.None);
        await Eventually(() => single.IsLeader, "the single voter leads");
        await single.ProposeAsync([new ClusterIdRecord("silent-cluster")], CancellationToken.None);

        var controller = new RaftVoterController(single);
        Task<ApiError> adding = controller.AddRaftVoterAsync(Addition(mute) with { ClusterId = null }, Timeout());
        ApiError second = await controller.RemoveRaftVoterAsync(new RaftVoterRemoval(null, 1, Guid.Empty), Timeout());
        Assert.Equal(ErrorCode.RequestTimedOut, second.Code);
        Assert.Contains("previous voter change", second.Message);

        ApiError added = await adding.WaitAsync(Patience);
        Assert.Equal(ErrorCode.RequestTimedOut, added.Code);
        Assert.Contains("did not catch up", added.Message);
        Assert.Equal([1], single.Voters.Select(v => v.NodeId));
        Assert.True(single.IsLeader);

        // Nothing listening at all is refused the same way.
        var absent = new QuorumPeer(3, "127.0.0.1", FreePort.Next(1)[0]);
        Assert.Equal(ErrorCode.RequestTimedOut, (await controller.AddRaftVoterAsync(Addition(absent) with { ClusterId = null }, Timeout())).Code);
        Assert.Equal([1], single.Voters.Select(v => v.NodeId));

        // The gate is free again: the only voter cannot be removed.
        Assert.Equal(ErrorCode.InvalidRequest, (await controller.RemoveRaftVoterAsync(new RaftVoterRemoval(null, 1, Guid.Empty), Timeout())).Code);
    }

    private static MetadataQuorum Join(QuorumPeer self, IReadOnlyList<QuorumPeer> voters, string dataDir) =>
        new(new MetadataQuorumOptions
        {
            NodeId = self.NodeId,
            Voters = voters,
            JoinAs = self,
            MetadataDirectory = Path.Combine(dataDir, "meta"),
            WalCompactionInterval = CompactionInterval,
        });

    private static RaftVoterAddition Addition(QuorumPeer voter) =>
        new("voters-cluster", voter.NodeId, Guid.NewGuid(), [new RaftVoterListener(RaftVoterDecisions.ControllerListenerName, voter.Host, voter.Port)]);

    private static CancellationToken Timeout() => new CancellationTokenSource(Patience).Token;

    private static async Task<MetadataQuorum> LeaderAsync(MetadataQuorum?[] nodes)
    {
        await Eventually(() => nodes.Any(n => n is { IsLeader: true }), "a leader is elected");
        return nodes.First(n => n is { IsLeader: true })!;
    }

    /// <summary>Proposes on whoever leads, retrying across an election.</summary>
    private static async Task<long> ProposeOnLeaderAsync(MetadataQuorum?[] nodes, IReadOnlyList<MetadataRecord> records)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (true)
        {
            MetadataQuorum leader = await LeaderAsync(nodes);
            try
            {
                return await leader.ProposeAsync(records, timeout.Token);
            }
            catch (NotControllerException)
            {
                await Task.Delay(100, timeout.Token);
            }
        }
    }

    private static async Task StopAllAsync(MetadataQuorum?[] nodes)
    {
        for (int i = 0; i < nodes.Length; i++)
        {
            if (nodes[i] is { } node)
            {
                await node.DisposeAsync();
                nodes[i] = null;
            }
        }
    }
}
