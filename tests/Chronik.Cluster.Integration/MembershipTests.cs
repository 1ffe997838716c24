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
/// partition with data moves to it (AlterPartitionReassignments): the new replica copies the log, joins
/// the ISR, the controller completes the move and the new replica serves every record; the partition
/// moves back (the node is drained), the node is stopped and unregistered (UnregisterBroker).
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

            // Records to move, then the partition moves off node 1 onto node 4 (its preferred replica), through a node
            // that is not the controller.
            IReadOnlyList<SequenceDelivery> deliveries;
            await using (var producer = SequenceProducer.Start(cluster.AllBootstrapServers, "moving"))
            {
                await producer.WaitForAcknowledgedAsync(200, "records to move");
                deliveries = await producer.StopAsync();
            }

            ClusterNode forwarder = cluster.Nodes.First(n => n.NodeId != four.ControllerId);
            await ReassignAsync(forwarder, [4, 2, 3]);

            // Node 4 copies the log from the leader and joins the ISR; the controller then completes the move: node 1
            // leaves the replicas (its log is deleted) and no node lists a reassignment any more. Node 4, now the
            // preferred replica, is elected leader (the leader the move kept may be another one).
            await AgreedMetadataAsync(cluster.Nodes, m => m.Topics["moving"][0] is { Isr.Count: 3 } p && p.Replicas.SequenceEqual([4, 2, 3]), "the move to 4,2,3 completed everywhere");
            await AssertNoReassignmentListedAsync(cluster.Nodes);
            await ElectPreferredLeaderAsync(forwarder.KafkaPort, "moving", 0);
            await AgreedMetadataAsync(cluster.Nodes, m => m.Topics["moving"][0].Leader == 4, "node 4 leads");
            IReadOnlyList<ReadRecord> onNewReplica = await PartitionReader.ReadAllAsync(cluster.Node(4).BootstrapServers, "moving", 0);
            ReplicationFailoverTests.AssertEveryAcknowledgedRecordInOrder(deliveries, onNewReplica);
            output.WriteLine($"{onNewReplica.Count} records moved to node 4, which leads the partition");

            // Drain node 4: the partition moves back to node 1, which copies the whole log again; the move takes the
            // leadership from node 4, and the first replica in the ISR, node 1, takes it.
            await ReassignAsync(forwarder, [1, 2, 3]);
            await AgreedMetadataAsync(cluster.Nodes, m => m.Topics["moving"][0] is { Leader: 1, Isr.Count: 3 } p && p.Replicas.SequenceEqual([1, 2, 3]), "the move back to 1,2,3 completed everywhere");
            await AssertNoReassignmentListedAsync(cluster.Nodes);
            Assert.Equal(onNewReplica, await PartitionReader.ReadAllAsync(cluster.Node(1).BootstrapServers, "moving", 0));

            // Remove the drained node 4: stop it cleanly (fenced), then unregister it.
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

    /// <summary>AlterPartitionReassignments of moving-0 to <paramref name="replicas"/>, sent to <paramref name="node"/>.</summary>
    private static async Task ReassignAsync(ClusterNode node, List<int> replicas)
    {
        await using TestKafkaClient client = await TestKafkaClient.ConnectAsync(node.KafkaPort);
        var response = await client.SendAsync<AlterPartitionReassignmentsResponse>(Reassign(replicas), 0);
        Assert.Equal(0, response.ErrorCode);
        Assert.Equal(0, response.Responses.Single().Partitions.Single().ErrorCode);
    }

    /// <summary>Every node answers ListPartitionReassignments with nothing in progress (the state lives in the metadata image).</summary>
    private static async Task AssertNoReassignmentListedAsync(IEnumerable<ClusterNode> nodes)
    {
        foreach (ClusterNode node in nodes)
        {
            await using TestKafkaClient client = await TestKafkaClient.ConnectAsync(node.KafkaPort);
            var listed = await client.SendAsync<ListPartitionReassignmentsResponse>(new ListPartitionReassignmentsRequest { Topics = null }, 0);
            Assert.Equal(0, listed.ErrorCode);
            Assert.Empty(listed.Topics);
        }
    }

    private static AlterPartitionReassignmentsRequest Reassign(List<int> replicas) => new()
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
