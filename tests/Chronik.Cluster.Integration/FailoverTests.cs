using System.Diagnostics;
using Chronik.Cluster.Integration.Harness;
using Chronik.Testing;
using Xunit.Abstractions;
using static Chronik.Cluster.Integration.Harness.ClusterTestSupport;

namespace Chronik.Cluster.Integration;

/// <summary>
/// Controller failover across processes: kill -9 of the Raft leader (the controller) → another node
/// takes over, metadata changes continue, the dead broker is fenced after missed heartbeats and its
/// partitions get new leaders from the ISR; it comes back, re-registers and is unfenced. A clean
/// restart (SIGTERM) is ready again within seconds: its want-shutdown heartbeat ended its session.
/// </summary>
public class FailoverTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Killing_the_controller_hands_over_control_fences_the_dead_broker_and_moves_its_leaderships()
    {
        await using var cluster = ClusterProcesses.Create(3, FastFailureDetection);
        await WithDiagnosticsAsync(cluster, async () =>
        {
            await cluster.StartAllAsync();

            // Partition p is led by node p + 1, so whichever node is the controller also leads a partition.
            var created = await CreateTopicAsync(cluster.Node(1).KafkaPort, "failover", 3, 3, [[1, 2, 3], [2, 3, 1], [3, 1, 2]]);
            Assert.Equal(0, created.ErrorCode);
            MetadataSnapshot before = await AgreedMetadataAsync(cluster.Nodes, m => m.Topics.ContainsKey("failover") && m.BrokerIds.Count == 3, "the topic is everywhere");
            int dead = before.ControllerId;
            PartitionView led = before.Topics["failover"].Single(p => p.Leader == dead);
            output.WriteLine($"before: {before}; killing the controller, node {dead}");

            var stopwatch = Stopwatch.StartNew();
            await cluster.KillAsync(dead);
            ClusterNode[] survivors = [.. cluster.Nodes.Where(n => n.NodeId != dead)];

            // Another node takes over as controller.
            MetadataSnapshot handedOver = await AgreedMetadataAsync(survivors, m => m.ControllerId > 0 && m.ControllerId != dead, "the survivors agree on a new controller");
            output.WriteLine($"new controller {handedOver.ControllerId} after {stopwatch.Elapsed.TotalSeconds:F1} s");

            // Metadata changes continue, also through the survivor that is not the new controller.
            ClusterNode forwarder = survivors.First(n => n.NodeId != handedOver.ControllerId);
            var after = await CreateTopicAsync(forwarder.KafkaPort, "after-failover", 2, 2);
            Assert.Equal(0, after.ErrorCode);

            // Missed heartbeats fence the dead broker; the partition it led gets a leader from its ISR.
            MetadataSnapshot fenced = await AgreedMetadataAsync(
                survivors,
                m => !m.BrokerIds.Contains(dead) && m.Topics["failover"].All(p => p.Leader != dead && !p.Isr.Contains(dead)),
                "the dead broker is fenced and leads nothing");
            PartitionView moved = fenced.Topics["failover"].Single(p => p.Partition == led.Partition);
            Assert.Contains(moved.Leader, led.Isr);
            Assert.Equal(led.LeaderEpoch + 1, moved.LeaderEpoch);
            Assert.Contains("after-failover", fenced.Topics.Keys);
            output.WriteLine($"fenced after {stopwatch.Elapsed.TotalSeconds:F1} s: {fenced}");

            // It returns: the new incarnation registers at once (the old one's session expired) and is unfenced.
            await cluster.StartAsync(dead, waitForReady: true);
            await AgreedMetadataAsync(cluster.Nodes, m => m.BrokerIds.SequenceEqual([1, 2, 3]), "the returned broker is registered and unfenced everywhere");
            Assert.DoesNotContain("DuplicateBrokerRegistration", cluster.Node(dead).Process!.Output);

            // A clean restart of a broker: SIGTERM fences it through its want-shutdown heartbeat, so it is ready again at once.
            MetadataSnapshot now = await TestKafkaClient.MetadataAsync(cluster.Node(dead).KafkaPort);
            int restarted = cluster.Nodes.First(n => n.NodeId != now.ControllerId).NodeId;
            Assert.Equal(0, await cluster.StopAsync(restarted));
            var restart = Stopwatch.StartNew();
            await cluster.StartAsync(restarted, waitForReady: true);
            output.WriteLine($"node {restarted} ready {restart.Elapsed.TotalSeconds:F1} s after a clean restart (process start included)");
            Assert.DoesNotContain("DuplicateBrokerRegistration", cluster.Node(restarted).Process!.Output);
            Assert.True(restart.Elapsed < TimeSpan.FromSeconds(20), $"a clean restart took {restart.Elapsed}");
        });
    }
}
