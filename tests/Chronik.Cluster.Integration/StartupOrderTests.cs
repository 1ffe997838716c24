using Chronik.Cluster.Integration.Harness;
using Chronik.Protocol.Messages;
using Chronik.Testing;
using Xunit.Abstractions;
using static Chronik.Cluster.Integration.Harness.ClusterTestSupport;

namespace Chronik.Cluster.Integration;

/// <summary>
/// Nodes started one at a time, in any order: a node without a quorum waits (alive, not ready, still
/// asking for votes), the quorum forms as soon as a majority runs, every node answers Metadata
/// identically, a topic is created through a node that is not the controller (forwarding), and real
/// clients bootstrapping from any single node see the whole cluster and produce and consume through it.
/// CHRONIK_STARTUP_GAP_SECONDS spaces the starts further apart (scripts/staggered-cluster.sh uses 60 s); CI
/// starts each node as soon as the previous step is proven.
/// </summary>
public class StartupOrderTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Nodes_started_one_at_a_time_in_any_order_form_one_cluster_that_every_client_sees_whole()
    {
        await using var cluster = ClusterProcesses.Create(3, FastFailureDetection);
        await WithDiagnosticsAsync(cluster, async () =>
        {
            // A lone node: alive and listening, not ready, and it keeps asking for votes instead of exiting.
            await cluster.StartAsync(1);
            ClusterNode lone = cluster.Node(1);
            var (status, body) = await lone.ReadinessAsync();
            Assert.Equal(503, status);
            Assert.Contains("metadata quorum has no leader", body);
            await Wait.UntilAsync(
                () => CountOf(lone.Process!.Output, "Transition to Candidate state has started") >= 3,
                "the lone node has asked for votes three times",
                TimeSpan.FromSeconds(60));
            Assert.False(lone.Process!.HasExited);
            using (HttpResponseMessage live = await lone.Process.Http.GetAsync("health/live"))
            {
                Assert.True(live.IsSuccessStatusCode);
            }

            Assert.Equal(503, (await lone.ReadinessAsync()).Status);

            // Node 3 next (any order): two of three voters are a majority, so the quorum forms and both register.
            await Task.Delay(StartGap);
            await cluster.StartAsync(3);
            await cluster.WaitUntilReadyAsync();
            ClusterNode[] running = [cluster.Node(1), cluster.Node(3)];
            MetadataSnapshot two = await AgreedMetadataAsync(running, m => m.BrokerIds.SequenceEqual([1, 3]) && m.ControllerId is 1 or 3, "nodes 1 and 3 agree on a two-broker cluster");
            output.WriteLine($"two nodes: {two}");

            // Topic creation works as soon as the quorum exists, also through the node that is not the controller.
            ClusterNode follower = running.First(n => n.NodeId != two.ControllerId);
            var early = await CreateTopicAsync(follower.KafkaPort, "early", 2, 2);
            Assert.Equal((0, 2, (short)2), (early.ErrorCode, early.NumPartitions, early.ReplicationFactor));

            // The third node joins the running cluster.
            await Task.Delay(StartGap);
            await cluster.StartAsync(2, waitForReady: true);
            MetadataSnapshot three = await AgreedMetadataAsync(cluster.Nodes, m => m.BrokerIds.SequenceEqual([1, 2, 3]), "all three nodes agree on three brokers");

            // Replication factor 3 from a node that is not the controller: the request is forwarded to it.
            ClusterNode nonController = cluster.Nodes.First(n => n.NodeId != three.ControllerId);
            var orders = await CreateTopicAsync(nonController.KafkaPort, "orders", 3, 3);
            Assert.Equal((0, 3, (short)3), (orders.ErrorCode, orders.NumPartitions, orders.ReplicationFactor));

            MetadataSnapshot agreed = await AgreedMetadataAsync(
                cluster.Nodes,
                m => m.Topics.ContainsKey("orders") && m.Topics.ContainsKey("early") && m.Topics.Values.SelectMany(p => p).All(p => p.Leader > 0),
                "every node answers the same Metadata with both topics led");
            output.WriteLine($"agreed: {agreed}");
            Assert.True(agreed.ControllerId is >= 1 and <= 3);
            Assert.All(agreed.Topics["orders"], p => Assert.Equal(new[] { 1, 2, 3 }, p.Replicas.Order()));
            Assert.Equal(3, agreed.Topics["orders"].Select(p => p.Replicas[0]).Distinct().Count());

            // Every node describes the same quorum: three voters, the controller as leader.
            foreach (ClusterNode node in cluster.Nodes)
            {
                await using TestKafkaClient client = await TestKafkaClient.ConnectAsync(node.KafkaPort);
                var quorum = await client.SendAsync<DescribeQuorumResponse>(new DescribeQuorumRequest
                {
                    Topics = [new DescribeQuorumRequest.TopicData { TopicName = "__cluster_metadata", Partitions = [new DescribeQuorumRequest.PartitionData { PartitionIndex = 0 }] }],
                }, 2);
                var log = quorum.Topics.Single().Partitions.Single();
                Assert.Equal(agreed.ControllerId, log.LeaderId);
                Assert.Equal([1, 2, 3], log.CurrentVoters.Select(v => v.ReplicaId).Order());
            }

            // Real clients, each bootstrapped from one node only, see every broker and the topics.
            foreach (ClusterNode node in cluster.Nodes)
            {
                ClientView kcat = await ClientViews.KcatAsync(node.BootstrapServers);
                Assert.Equal([1, 2, 3], kcat.Brokers);
                Assert.Equal(agreed.ControllerId, kcat.ControllerId);
                Assert.Contains("orders", kcat.Topics);
            }

            ClientView python = await ClientViews.KafkaPythonAsync(cluster.Node(2).BootstrapServers);
            Assert.Equal([1, 2, 3], python.Brokers);
            Assert.Equal(agreed.ControllerId, python.ControllerId);
            Assert.Contains("orders", python.Topics);

            ClientView confluent = ClientViews.Confluent(cluster.Node(3).BootstrapServers);
            Assert.Equal([1, 2, 3], confluent.Brokers);
            Assert.Contains("orders", confluent.Topics);

            // And they are served: each client writes through its own node (acks=all) and reads everything back.
            await ThreeClientRoundTrip.RunAsync(cluster.Node(1).BootstrapServers, cluster.Node(2).BootstrapServers, cluster.Node(3).BootstrapServers, "orders");
        });
    }

    private static TimeSpan StartGap =>
        int.TryParse(Environment.GetEnvironmentVariable("CHRONIK_STARTUP_GAP_SECONDS"), out int seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : TimeSpan.Zero;

    private static int CountOf(string text, string what)
    {
        int count = 0;
        for (int at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
