using Chronik.Cluster.Integration.Harness;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;
using Chronik.Testing;
using Xunit.Abstractions;
using static Chronik.Cluster.Integration.Harness.ClusterTestSupport;

namespace Chronik.Cluster.Integration;

/// <summary>
/// Membership: a fourth node joins a running three-node cluster by the documented procedure (start it
/// with <c>--join</c> and the current voters, then AddRaftVoter it; see RaftVoterTests for the voter
/// change itself), becomes a broker, and a partition starts moving to it (AlterPartitionReassignments /
/// ListPartitionReassignments); the move is cancelled, the node drained, removed from the voters
/// (RemoveRaftVoter) and unregistered (UnregisterBroker).
/// </summary>
public class MembershipTests(ITestOutputHelper output)
{
    private static readonly int[] OldVoters = [1, 2, 3];
    private static readonly int[] NewVoters = [1, 2, 3, 4];

    [Fact]
    public async Task A_fourth_node_joins_as_a_voter_takes_partition_replicas_and_is_removed_and_unregistered_when_drained()
    {
        await using var cluster = ClusterProcesses.Create(4, FastFailureDetection);
        await WithDiagnosticsAsync(cluster, async () =>
        {
            await Task.WhenAll(OldVoters.Select(id => cluster.StartAsync(id, waitForReady: true, voters: OldVoters)));
            Assert.Equal(0, (await CreateTopicAsync(cluster.Node(1).KafkaPort, "moving", 1, 3, [[1, 2, 3]])).ErrorCode);
            ClusterNode[] old = [.. OldVoters.Select(cluster.Node)];
            await AgreedMetadataAsync(old, m => m.Topics.ContainsKey("moving") && m.BrokerIds.SequenceEqual(OldVoters), "three brokers with the topic");

            // The new node joins the running voters: it waits, not ready, until the leader adds it.
            await cluster.StartAsync(4, voters: OldVoters, join: true);
            Assert.Equal(503, (await cluster.Node(4).ReadinessAsync()).Status);
            await using (TestKafkaClient client = await TestKafkaClient.ConnectAsync(cluster.Node(1).KafkaPort))
            {
                var added = await client.SendAsync<AddRaftVoterResponse>(new AddRaftVoterRequest
                {
                    ClusterId = null,
                    TimeoutMs = 30_000,
                    VoterId = 4,
                    Listeners = [new AddRaftVoterRequest.Listener { Name = "CONTROLLER", Host = "127.0.0.1", Port = (ushort)cluster.Node(4).RaftPort }],
                }, 0, TimeSpan.FromSeconds(45));
                Assert.Equal(0, added.ErrorCode);
                output.WriteLine("node 4 added as a voter");
            }

            await cluster.WaitUntilReadyAsync();
            MetadataSnapshot four = await AgreedMetadataAsync(cluster.Nodes, m => m.BrokerIds.SequenceEqual(NewVoters), "four brokers everywhere");
            output.WriteLine($"four nodes: {four}");

            // Move the partition off node 1 onto node 4, through a node that is not the controller.
            ClusterNode forwarder = cluster.Nodes.First(n => n.NodeId != four.ControllerId);
            await using (TestKafkaClient client = await TestKafkaClient.ConnectAsync(forwarder.KafkaPort))
            {
                var moved = await client.SendAsync<AlterPartitionReassignmentsResponse>(Reassign([2, 3, 4]), 0);
                Assert.Equal(0, moved.ErrorCode);
                Assert.Equal(0, moved.Responses.Single().Partitions.Single().ErrorCode);
            }

            // The reassignment state is in the metadata image: every node lists it.
            foreach (ClusterNode node in cluster.Nodes)
            {
                await Wait.UntilAsync(
                    async () =>
                    {
                        await using TestKafkaClient client = await TestKafkaClient.ConnectAsync(node.KafkaPort);
                        var listed = await client.SendAsync<ListPartitionReassignmentsResponse>(new ListPartitionReassignmentsRequest { Topics = null }, 0);
                        return listed.Topics.SingleOrDefault()?.Partitions.SingleOrDefault() is { } p
                            && p.Replicas.SequenceEqual([2, 3, 4, 1]) && p.AddingReplicas.SequenceEqual([4]) && p.RemovingReplicas.SequenceEqual([1]);
                    },
                    $"node {node.NodeId} lists the move 1,2,3 → 2,3,4 (adding 4, removing 1)",
                    TimeSpan.FromSeconds(30));
            }

            // Completing the move needs node 4 in the ISR (follower replication); here it is cancelled instead.
            await using (TestKafkaClient client = await TestKafkaClient.ConnectAsync(forwarder.KafkaPort))
            {
                var cancelled = await client.SendAsync<AlterPartitionReassignmentsResponse>(Reassign(null), 0);
                Assert.Equal(0, cancelled.Responses.Single().Partitions.Single().ErrorCode);
            }

            // As in Kafka, the reverted replicas keep the reassignment's order minus the added ones: 2,3,1.
            await AgreedMetadataAsync(cluster.Nodes, m => m.Topics["moving"][0].Replicas.SequenceEqual([2, 3, 1]), "the move is reverted everywhere");

            // Drain and remove node 4: stop it cleanly (fenced), remove it from the voters, then unregister it.
            Assert.Equal(0, await cluster.StopAsync(4));
            await using (TestKafkaClient client = await TestKafkaClient.ConnectAsync(cluster.Node(2).KafkaPort))
            {
                var removed = await client.SendAsync<RemoveRaftVoterResponse>(new RemoveRaftVoterRequest { ClusterId = null, VoterId = 4 }, 0, TimeSpan.FromSeconds(45));
                Assert.Equal(0, removed.ErrorCode);
                var unregistered = await client.SendAsync<UnregisterBrokerResponse>(new UnregisterBrokerRequest { BrokerId = 4 }, 0);
                Assert.Equal(0, unregistered.ErrorCode);
                var again = await client.SendAsync<UnregisterBrokerResponse>(new UnregisterBrokerRequest { BrokerId = 4 }, 0);
                Assert.Equal((short)ErrorCode.BrokerIdNotRegistered, again.ErrorCode);
            }

            await AgreedMetadataAsync(old, m => m.BrokerIds.SequenceEqual(OldVoters), "three brokers again");
        });
    }

    private static AlterPartitionReassignmentsRequest Reassign(List<int>? replicas) => new()
    {
        Topics =
        [
            new AlterPartitionReassignmentsRequest.ReassignableTopic
            {
                Name = "moving",
                Partitions = [new AlterPartitionReassignmentsRequest.ReassignablePartition { PartitionIndex = 0, Replicas = replicas }],
            },
        ],
    };
}
