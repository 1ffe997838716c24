using Chronik.Cluster.Integration.Harness;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;
using Chronik.Testing;
using Xunit.Abstractions;
using static Chronik.Cluster.Integration.Harness.ClusterTestSupport;

namespace Chronik.Cluster.Integration;

/// <summary>
/// Runtime voter changes across processes (KIP-853's AddRaftVoter / RemoveRaftVoter): a fourth node
/// started with <c>--join</c> is added through a node that is not the controller and counts at once (one
/// original voter down, metadata still commits); after every node restarts with its original flags the
/// persisted four-voter configuration is in force; a removed voter stops counting (with it and one more
/// voter down, the remaining two of three still commit).
/// </summary>
public class RaftVoterTests(ITestOutputHelper output)
{
    private static readonly int[] Original = [1, 2, 3];

    [Fact]
    public async Task A_joining_node_is_added_the_four_voters_persist_across_restarts_and_a_removed_voter_stops_counting()
    {
        await using var cluster = ClusterProcesses.Create(4, FastFailureDetection);
        await WithDiagnosticsAsync(cluster, async () =>
        {
            await Task.WhenAll(Original.Select(id => cluster.StartAsync(id, waitForReady: true, voters: Original)));
            await cluster.StartAsync(4, voters: Original, join: true);

            // Not a voter yet, so not ready (it serves nothing until then).
            var (status, reason) = await cluster.Node(4).ReadinessAsync();
            Assert.Equal(503, status);
            Assert.Contains("not a voter", reason);

            // Added through a node that is not the controller (forwarded to the Raft leader).
            MetadataSnapshot three = await AgreedMetadataAsync([.. Original.Select(cluster.Node)], m => m.BrokerIds.SequenceEqual(Original), "three brokers");
            ClusterNode forwarder = cluster.Node(Original.First(id => id != three.ControllerId));
            Assert.Equal((short)ErrorCode.None, (await AddVoterAsync(forwarder, cluster.Node(4))).ErrorCode);
            await cluster.WaitUntilReadyAsync();
            await AgreedVotersAsync(cluster, cluster.Nodes, [1, 2, 3, 4]);
            Assert.Equal((short)ErrorCode.DuplicateVoter, (await AddVoterAsync(forwarder, cluster.Node(4))).ErrorCode);
            output.WriteLine("node 4 added: four voters everywhere");

            // Four voters need three: with an original voter down, node 4 makes the majority.
            int down = Original.First(id => id != three.ControllerId && id != forwarder.NodeId);
            await cluster.KillAsync(down);
            Assert.Equal((short)ErrorCode.None, (await CreateTopicAsync(cluster.Node(4).KafkaPort, "with-four", 1, 1)).ErrorCode);

            // Every node restarts with its original flags (1-3: the three bootstrap voters; 4: --join): the persisted configuration wins.
            foreach (ClusterNode node in cluster.Nodes.Where(n => n.NodeId != down))
            {
                Assert.Equal(0, await cluster.StopAsync(node.NodeId));
            }

            await Task.WhenAll(
                Original.Select(id => cluster.StartAsync(id, voters: Original))
                    .Append(cluster.StartAsync(4, voters: Original, join: true)));
            await cluster.WaitUntilReadyAsync();
            await AgreedVotersAsync(cluster, cluster.Nodes, [1, 2, 3, 4]);
            await AgreedMetadataAsync(cluster.Nodes, m => m.Topics.ContainsKey("with-four") && m.BrokerIds.SequenceEqual([1, 2, 3, 4]), "four brokers and the topic after the restart");
            output.WriteLine("restarted: the four-voter configuration persisted");

            // Remove voter 3 (through another node): the remaining three apply the configuration without it.
            MetadataSnapshot four = await TestKafkaClient.MetadataAsync(cluster.Node(1).KafkaPort);
            const int removed = 3;
            ClusterNode via = cluster.Nodes.First(n => n.NodeId != removed && n.NodeId != four.ControllerId);
            Assert.Equal((short)ErrorCode.None, (await RemoveVoterAsync(via, removed)).ErrorCode);
            ClusterNode[] remaining = [.. cluster.Nodes.Where(n => n.NodeId != removed)];
            await AgreedVotersAsync(cluster, remaining, [1, 2, 4]);
            Assert.Equal((short)ErrorCode.VoterNotFound, (await RemoveVoterAsync(via, removed)).ErrorCode);

            // It no longer counts: stopped, and with one more voter down, two of the three voters still commit.
            Assert.Equal(0, await cluster.StopAsync(removed));
            MetadataSnapshot now = await AgreedMetadataAsync(remaining, m => m.ControllerId > 0, "a controller among the remaining voters");
            int alsoDown = remaining.First(n => n.NodeId != now.ControllerId).NodeId;
            await cluster.KillAsync(alsoDown);
            ClusterNode[] lastTwo = [.. remaining.Where(n => n.NodeId != alsoDown)];
            Assert.Equal((short)ErrorCode.None, (await CreateTopicAsync(lastTwo[0].KafkaPort, "after-removal", 1, 1)).ErrorCode);
            await AgreedMetadataAsync(lastTwo, m => m.Topics.ContainsKey("after-removal"), "the last two voters committed a topic");
            output.WriteLine($"voter {removed} removed; with it and node {alsoDown} down, nodes {string.Join(",", lastTwo.Select(n => n.NodeId))} still commit");
        });
    }

    private sealed record QuorumView(int LeaderId, IReadOnlyList<int> Voters, IReadOnlyList<int> Observers, IReadOnlyList<(int Id, string? Raft)> Nodes);

    private static async Task<QuorumView> DescribeQuorumAsync(ClusterNode node)
    {
        await using TestKafkaClient client = await TestKafkaClient.ConnectAsync(node.KafkaPort);
        var response = await client.SendAsync<DescribeQuorumResponse>(new DescribeQuorumRequest
        {
            Topics = [new DescribeQuorumRequest.TopicData { TopicName = "__cluster_metadata", Partitions = [new DescribeQuorumRequest.PartitionData { PartitionIndex = 0 }] }],
        }, 2);
        DescribeQuorumResponse.PartitionData log = response.Topics.Single().Partitions.Single();
        return new QuorumView(
            log.LeaderId,
            [.. log.CurrentVoters.Select(v => v.ReplicaId).Order()],
            [.. log.Observers.Select(v => v.ReplicaId).Order()],
            [.. response.Nodes.Select(n => (n.NodeId, n.Listeners.FirstOrDefault(l => l.Name == "CONTROLLER") is { } l ? $"{l.Host}:{l.Port}" : null))]);
    }

    /// <summary>Waits until every node in <paramref name="nodes"/> describes a leader and the voters <paramref name="voters"/>, each with its Raft address as listener CONTROLLER.</summary>
    private async Task AgreedVotersAsync(ClusterProcesses cluster, IReadOnlyList<ClusterNode> nodes, int[] voters)
    {
        string last = "";
        string[] addresses = [.. voters.Select(id => Loopback.Address(cluster.Node(id).RaftPort))];
        try
        {
            await Wait.UntilAsync(
                async () =>
                {
                    foreach (ClusterNode node in nodes)
                    {
                        QuorumView view;
                        try
                        {
                            view = await DescribeQuorumAsync(node);
                        }
                        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
                        {
                            last = $"node {node.NodeId}: {e.Message}";
                            return false;
                        }

                        last = $"node {node.NodeId}: leader {view.LeaderId}, voters {string.Join(",", view.Voters)}, observers {string.Join(",", view.Observers)}, " +
                            $"raft {string.Join(",", view.Nodes.Select(n => $"{n.Id}@{n.Raft}"))}";
                        if (view.LeaderId < 0 || !view.Voters.SequenceEqual(voters) || view.Observers.Count != 0
                            || !view.Nodes.OrderBy(n => n.Id).Select(n => n.Raft).SequenceEqual(addresses))
                        {
                            return false;
                        }
                    }

                    return true;
                },
                $"every node describes voters {string.Join(",", voters)}",
                TimeSpan.FromSeconds(60),
                TimeSpan.FromMilliseconds(200));
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; last answer: {last}", e);
        }

        output.WriteLine($"voters {string.Join(",", voters)} agreed ({last})");
    }

    private static Task<AddRaftVoterResponse> AddVoterAsync(ClusterNode via, ClusterNode voter) =>
        SendAsync<AddRaftVoterResponse>(via, new AddRaftVoterRequest
        {
            ClusterId = null,
            TimeoutMs = 30_000,
            VoterId = voter.NodeId,
            VoterDirectoryId = Guid.NewGuid(),
            Listeners = [new AddRaftVoterRequest.Listener { Name = "CONTROLLER", Host = "127.0.0.1", Port = (ushort)voter.RaftPort }],
        });

    private static Task<RemoveRaftVoterResponse> RemoveVoterAsync(ClusterNode via, int voterId) =>
        SendAsync<RemoveRaftVoterResponse>(via, new RemoveRaftVoterRequest { ClusterId = null, VoterId = voterId, VoterDirectoryId = Guid.Empty });

    private static async Task<TResponse> SendAsync<TResponse>(ClusterNode via, IApiRequest request)
        where TResponse : IApiResponse, new()
    {
        await using TestKafkaClient client = await TestKafkaClient.ConnectAsync(via.KafkaPort);
        return await client.SendAsync<TResponse>(request, 0, TimeSpan.FromSeconds(45));
    }
}
