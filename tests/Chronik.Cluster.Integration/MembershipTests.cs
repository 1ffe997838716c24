using Chronik.Cluster.Integration.Harness;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;
using Chronik.Testing;
using Xunit.Abstractions;
using static Chronik.Cluster.Integration.Harness.ClusterTestSupport;

namespace Chronik.Cluster.Integration;

/// <summary>
/// Membership: a fourth node joins a running three-node cluster by the documented procedure (start it
/// with the four voters, then restart the others one at a time with the new voter list: every two voter
/// sets in use differ by one member, so their majorities always intersect), becomes a broker, and a
/// partition starts moving to it (AlterPartitionReassignments / ListPartitionReassignments); the move is
/// cancelled, the node drained and unregistered (UnregisterBroker).
/// </summary>
public class MembershipTests(ITestOutputHelper output)
{
    private static readonly int[] OldVoters = [1, 2, 3];
    private static readonly int[] NewVoters = [1, 2, 3, 4];

    [Fact]
    public async Task A_fourth_node_joins_by_rolling_restart_takes_partition_replicas_and_is_unregistered_when_drained()
    {
        await using var cluster = ClusterProcesses.Create(4, FastFailureDetection);
        await WithDiagnosticsAsync(cluster, async () =>
        {
            await Task.WhenAll(OldVoters.Select(id => cluster.StartAsync(id, waitForReady: true, voters: OldVoters)));
            Assert.Equal(0, (await CreateTopicAsync(cluster.Node(1).KafkaPort, "moving", 1, 3, [[1, 2, 3]])).ErrorCode);
            ClusterNode[] old = [.. OldVoters.Select(cluster.Node)];
            await AgreedMetadataAsync(old, m => m.Topics.ContainsKey("moving") && m.BrokerIds.SequenceEqual(OldVoters), "three brokers with the topic");

            // The new node knows all four voters; the running ones do not know it yet, so it waits (pre-vote keeps it from disturbing them).
            await cluster.StartAsync(4, voters: NewVoters);
            Assert.Equal(503, (await cluster.Node(4).ReadinessAsync()).Status);

            // Rolling restart with the new voter list, one node at a time, each back before the next.
            foreach (int id in OldVoters)
            {
                Assert.Equal(0, await cluster.StopAsync(id));
                await cluster.StartAsync(id, waitForReady: true, voters: NewVoters);
                output.WriteLine($"node {id} restarted with voters {string.Join(",", NewVoters)}");
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

            // Drain and remove node 4: stop it cleanly (fenced), then unregister it.
            Assert.Equal(0, await cluster.StopAsync(4));
            await using (TestKafkaClient client = await TestKafkaClient.ConnectAsync(cluster.Node(2).KafkaPort))
            {
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
