using Chronik.Cluster.Integration.Harness;
using Chronik.Testing;
using Confluent.Kafka;
using Xunit.Abstractions;
using static Chronik.Cluster.Integration.Harness.ClusterTestSupport;
using static Chronik.Cluster.Integration.ReplicationFailoverTests;

namespace Chronik.Cluster.Integration;

/// <summary>
/// min.insync.replicas across processes: two of a partition's three replicas die → the controller fences them and
/// the ISR shrinks to the leader → acks=all is refused with NOT_ENOUGH_REPLICAS (the client gets the error at once)
/// while acks=1 is still served; one replica returns and rejoins the ISR → acks=all succeeds again. Five nodes, so
/// the metadata quorum keeps its majority with two nodes down (with three voters two dead nodes take the quorum
/// along — ReplicationFailoverTests shows what a client sees then).
/// </summary>
public class MinInsyncReplicasTests(ITestOutputHelper output)
{
    private const string Topic = "guarded";

    [Fact]
    public async Task Two_of_three_replicas_down_refuses_acks_all_with_NOT_ENOUGH_REPLICAS_until_one_returns()
    {
        await using var cluster = ClusterProcesses.Create(5, FastFailureDetection);
        await WithDiagnosticsAsync(cluster, async () =>
        {
            await cluster.StartAllAsync();
            MetadataSnapshot start = await AgreedMetadataAsync(cluster.Nodes, m => m.BrokerIds.Count == 5 && m.ControllerId > 0, "every broker is registered");

            // Replicas away from the controller, so killing two of them leaves the controller where it is.
            int[] replicas = [.. cluster.Nodes.Select(n => n.NodeId).Where(id => id != start.ControllerId).Take(3)];
            int leader = replicas[0];
            Assert.Equal(0, (await CreateTopicAsync(cluster.Node(start.ControllerId).KafkaPort, Topic, 1, 3, [replicas], MinInsyncReplicas(2))).ErrorCode);
            await AgreedMetadataAsync(cluster.Nodes, m => PartitionOf(m, Topic) is { Isr.Count: 3 } p && p.Leader == leader, "the partition is fully in sync");
            string leaderAddress = cluster.Node(leader).BootstrapServers;
            Assert.Equal(ErrorCode.NoError, (await SingleRecord.ProduceAsync(leaderAddress, Topic, Acks.All, "all-in-sync")).Error);

            await cluster.KillAsync(replicas[1]);
            await cluster.KillAsync(replicas[2]);
            ClusterNode[] alive = [.. cluster.Nodes.Where(n => n.NodeId != replicas[1] && n.NodeId != replicas[2])];
            await AgreedMetadataAsync(alive, m => PartitionOf(m, Topic) is { Leader: var l, Isr: [var only] } && l == leader && only == leader, "the ISR shrank to the leader");

            // Refused at once: well within the produce request's timeout, which a waiting append would run into.
            SingleProduceOutcome refused = await SingleRecord.ProduceAsync(leaderAddress, Topic, Acks.All, "refused", requestTimeout: TimeSpan.FromSeconds(30), messageTimeout: TimeSpan.FromSeconds(60));
            output.WriteLine($"acks=all with one in-sync replica: {refused.Error} after {refused.Elapsed.TotalSeconds:F2} s");
            Assert.Equal(ErrorCode.NotEnoughReplicas, refused.Error);
            Assert.True(refused.Elapsed < TimeSpan.FromSeconds(10), $"the refusal took {refused.Elapsed}");
            SingleProduceOutcome leaderOnly = await SingleRecord.ProduceAsync(leaderAddress, Topic, Acks.Leader, "acks-1");
            Assert.Equal(ErrorCode.NoError, leaderOnly.Error);

            await cluster.StartAsync(replicas[1], waitForReady: true);
            await AgreedMetadataAsync(
                [.. alive, cluster.Node(replicas[1])], m => PartitionOf(m, Topic) is { Isr.Count: 2 } p && p.Isr.Contains(replicas[1]), "the returned replica rejoined the ISR");
            SingleProduceOutcome accepted = await SingleRecord.ProduceAsync(leaderAddress, Topic, Acks.All, "accepted");
            Assert.Equal(ErrorCode.NoError, accepted.Error);
            Assert.Equal(leaderOnly.Offset + 1, accepted.Offset);
        });
    }
}
