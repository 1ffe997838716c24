using Chronik.Cluster.Controller;
using Chronik.Cluster.Metadata;
using Chronik.Cluster.Quorum;
using Chronik.Protocol.Wire;
using Chronik.Testing;
using static Chronik.Cluster.Tests.Quorum.QuorumTestNode;

namespace Chronik.Cluster.Tests.Quorum;

public class ThreeVoterQuorumTests
{
    [Fact]
    public async Task Nodes_started_one_at_a_time_form_one_group_replicate_and_survive_losing_the_leader()
    {
        using var dir = new TempDirectory("quorum3");
        var voters = Voters(FreePort.Next(3));
        var nodes = new MetadataQuorum?[3];
        try
        {
            // A lone voter cannot win an election: it waits (never exits) and says why it is not ready.
            nodes[0] = Create(1, voters, dir.Sub("n1"));
            await nodes[0]!.StartAsync(CancellationToken.None);
            Task<int> leaderSeenByFirst = nodes[0]!.WaitForLeaderAsync(CancellationToken.None);
            var gap = Task.Delay(TimeSpan.FromSeconds(3)); // longer than the 2 s upper election timeout
            Assert.NotSame(leaderSeenByFirst, await Task.WhenAny(leaderSeenByFirst, gap));
            Assert.Null(nodes[0]!.LeaderNodeId);
            Assert.False(nodes[0]!.IsLeader);
            Assert.Contains("no leader", nodes[0]!.NotReadyReason);
            await Assert.ThrowsAsync<NotControllerException>(() => nodes[0]!.ProposeAsync([], CancellationToken.None));

            // A second voter (the third in the list: order does not matter) makes a majority: one leader, both agree.
            nodes[2] = Create(3, voters, dir.Sub("n3"));
            await nodes[2]!.StartAsync(CancellationToken.None);
            int leaderId = await leaderSeenByFirst.WaitAsync(Patience);
            Assert.Equal(leaderId, await nodes[2]!.WaitForLeaderAsync(new CancellationTokenSource(Patience).Token));
            Assert.Contains(leaderId, new[] { 1, 3 });
            MetadataQuorum leader = nodes[leaderId - 1]!;
            MetadataQuorum follower = nodes[leaderId == 1 ? 2 : 0]!;
            await Eventually(() => leader.IsLeader, $"node {leaderId} takes up leadership");
            Assert.False(follower.IsLeader);

            var topicA = Guid.NewGuid();
            long offset = await leader.ProposeAsync([new ClusterIdRecord("cluster-1"), .. TopicWithConfig("a", topicA, "1")], CancellationToken.None);
            var notController = await Assert.ThrowsAsync<NotControllerException>(() => follower.ProposeAsync(TopicWithConfig("x", Guid.NewGuid(), "1"), CancellationToken.None));
            Assert.Equal(leaderId, notController.LeaderNodeId);
            Assert.NotNull((await follower.WaitForVersionAsync(offset, new CancellationTokenSource(Patience).Token)).GetTopic(topicA));

            // The controller on a follower answers NotController instead of deciding.
            await using (var followerController = new ControllerService(follower))
            {
                var refused = await followerController.CreateTopicsAsync([new CreatableTopic("y")], false, CancellationToken.None);
                Assert.Equal(ErrorCode.NotController, refused[0].Error.Code);
            }

            // The last voter joins late and catches up.
            await Task.Delay(TimeSpan.FromSeconds(1));
            nodes[1] = Create(2, voters, dir.Sub("n2"));
            await nodes[1]!.StartAsync(CancellationToken.None);
            Assert.Equal(leaderId, await nodes[1]!.WaitForLeaderAsync(new CancellationTokenSource(Patience).Token));
            await nodes[1]!.WaitForVersionAsync(offset, new CancellationTokenSource(Patience).Token);
            await Eventually(() => nodes.All(n => n!.Current.Version == leader.Current.Version), "all three images reach the same version");
            Assert.All(nodes, n => Assert.True(n!.Current.ContentEquals(leader.Current), $"node {n!.NodeId} image differs"));
            Assert.All(nodes, n => Assert.Equal(leaderId, n!.Current.ControllerId));
            Assert.Equal("cluster-1", nodes[1]!.Current.ClusterId);

            // Losing the leader: the other two elect a new one and proposals continue.
            await leader.DisposeAsync();
            nodes[leaderId - 1] = null;
            MetadataQuorum[] survivors = nodes.Where(n => n is not null).Select(n => n!).ToArray();
            await Eventually(() => survivors.Any(n => n.IsLeader) && survivors.All(n => n.LeaderNodeId is { } id && id != leaderId), "a new leader is elected");
            MetadataQuorum newLeader = survivors.Single(n => n.IsLeader);
            var topicB = Guid.NewGuid();
            long offsetB = await newLeader.ProposeAsync(TopicWithConfig("b", topicB, "2"), CancellationToken.None);
            foreach (MetadataQuorum node in survivors)
            {
                MetadataImage image = await node.WaitForVersionAsync(offsetB, new CancellationTokenSource(Patience).Token);
                Assert.NotNull(image.GetTopic(topicA));
                Assert.Equal("2", image.GetConfig(ConfigResource.ForTopic("b"), "retention.ms"));
            }
        }
        finally
        {
            foreach (MetadataQuorum? node in nodes)
            {
                if (node is not null)
                {
                    await node.DisposeAsync();
                }
            }
        }
    }
}
