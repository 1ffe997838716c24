using System.Diagnostics;
using Chronik.Cluster.Integration.Harness;
using Chronik.Testing;
using Xunit.Abstractions;
using static Chronik.Cluster.Integration.Harness.ClusterTestSupport;
using static Chronik.Cluster.Integration.ReplicationFailoverTests;

namespace Chronik.Cluster.Integration;

/// <summary>
/// Regression (chaos seed 5): SIGTERM of a partition leader under acks=all traffic. The controlled shutdown
/// moves the leadership before the Kafka listener stops, so the waiting produce requests end with
/// NOT_LEADER_OR_FOLLOWER and the node exits within seconds. The listener used to drain first: it no longer
/// served the followers' fetches, so each waiting acks=all request sat out the client's request timeout
/// (librdkafka: 30 s) and the node took as long to exit, its partition unavailable meanwhile.
/// </summary>
public class ControlledShutdownTests(ITestOutputHelper output)
{
    private const string Topic = "handover";

    [Fact]
    public async Task A_leader_stopped_under_acks_all_traffic_hands_its_partition_over_and_exits_within_seconds()
    {
        await using var cluster = ClusterProcesses.Create(3, FastFailureDetection);
        await WithDiagnosticsAsync(cluster, async () =>
        {
            await cluster.StartAllAsync();
            MetadataSnapshot start = await AgreedMetadataAsync(cluster.Nodes, m => m.BrokerIds.Count == 3 && m.ControllerId > 0, "every broker is registered");
            int leader = cluster.Nodes.Select(n => n.NodeId).First(id => id != start.ControllerId);
            int[] replicas = [leader, .. cluster.Nodes.Select(n => n.NodeId).Where(id => id != leader)];
            Assert.Equal(0, (await CreateTopicAsync(cluster.Node(1).KafkaPort, Topic, 1, 3, [replicas], MinInsyncReplicas(2))).ErrorCode);
            await AgreedMetadataAsync(cluster.Nodes, m => PartitionOf(m, Topic) is { Isr.Count: 3 } p && p.Leader == leader, "the partition is led by the chosen broker with all three in sync");

            await using var producer = SequenceProducer.Start(cluster.AllBootstrapServers, Topic);
            await producer.WaitForAcknowledgedAsync(200, "before the stop");
            var clock = Stopwatch.StartNew();
            Assert.Equal(0, await cluster.StopAsync(leader));
            TimeSpan stopping = clock.Elapsed;
            int acknowledged = producer.Acknowledged;
            await producer.WaitForAcknowledgedAsync(acknowledged + 200, "at the new leader", TimeSpan.FromSeconds(30));
            output.WriteLine($"node {leader} exited {stopping.TotalSeconds:F1} s after SIGTERM; the producer went on at the new leader after {clock.Elapsed.TotalSeconds:F1} s");

            Assert.True(stopping < TimeSpan.FromSeconds(8), $"the leader took {stopping.TotalSeconds:F1} s to exit on SIGTERM");
            Assert.Equal(0, producer.Failed);
        });
    }
}
