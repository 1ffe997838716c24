using System.Diagnostics;
using Chronik.Cluster.Integration.Harness;
using Chronik.Testing;
using Confluent.Kafka;
using Xunit.Abstractions;
using static Chronik.Cluster.Integration.Harness.ClusterTestSupport;
using static Chronik.Cluster.Integration.ReplicationFailoverTests;

namespace Chronik.Cluster.Integration;

/// <summary>
/// Consumer groups across a coordinator failover: __consumer_offsets is created with offsets.topic.replication.factor
/// (Kafka's default 3 in raft-cluster mode) and replicates like any topic; a group commits offsets through its
/// coordinator (the leader of the group's __consumer_offsets partition), the coordinator's node is killed -9, the
/// partition's new leader becomes the coordinator, and a new member of the group resumes from the committed offset.
/// </summary>
public class GroupCoordinatorFailoverTests(ITestOutputHelper output)
{
    private const string Topic = "events";
    private const string Group = "survivors";
    private const int Committed = 40;

    [Fact]
    public async Task Committed_offsets_survive_killing_the_coordinators_node()
    {
        await using var cluster = ClusterProcesses.Create(3, [.. FastFailureDetection, "--override", "group.initial.rebalance.delay.ms=0"]);
        await WithDiagnosticsAsync(cluster, async () =>
        {
            await cluster.StartAllAsync();
            Assert.Equal(0, (await CreateTopicAsync(cluster.Node(1).KafkaPort, Topic, 1, 3, configs: MinInsyncReplicas(2))).ErrorCode);
            await AgreedMetadataAsync(cluster.Nodes, m => PartitionOf(m, Topic) is { Isr.Count: 3 }, "the topic is fully in sync");
            await using (var producer = SequenceProducer.Start(cluster.AllBootstrapServers, Topic))
            {
                await producer.WaitForAcknowledgedAsync(100, "the records the group consumes");
                await producer.StopAsync();
            }

            // A member consumes part of the partition and commits (the first FindCoordinator creates __consumer_offsets).
            using (IConsumer<Ignore, string> first = BuildConsumer(cluster.AllBootstrapServers))
            {
                first.Subscribe(Topic);
                for (int i = 0; i < Committed; i++)
                {
                    ConsumeResult<Ignore, string> record = first.Consume(TimeSpan.FromSeconds(60)) ?? throw new TimeoutException($"record {i} did not come");
                    Assert.Equal(i, record.Offset.Value);
                }

                first.Commit([new TopicPartitionOffset(Topic, 0, Committed)]);
                first.Close();
            }

            MetadataSnapshot offsetsTopic = await AgreedMetadataAsync(
                cluster.Nodes,
                m => m.Topics.TryGetValue("__consumer_offsets", out var partitions) && partitions.All(p => p.Isr.Count == 3),
                "__consumer_offsets is fully in sync");
            Assert.All(offsetsTopic.Topics["__consumer_offsets"], p => Assert.Equal(3, p.Replicas.Count));
            var (error, coordinator) = await FindGroupCoordinatorAsync(cluster.Node(1).KafkaPort, Group);
            Assert.Equal(0, error);
            output.WriteLine($"__consumer_offsets has {offsetsTopic.Topics["__consumer_offsets"].Count} partitions of 3 replicas; group {Group} is coordinated by broker {coordinator}");

            var clock = Stopwatch.StartNew();
            await cluster.KillAsync(coordinator);
            ClusterNode[] survivors = [.. cluster.Nodes.Where(n => n.NodeId != coordinator)];
            int successor = -1;
            await Wait.UntilAsync(
                async () =>
                {
                    var (e, node) = await FindGroupCoordinatorAsync(survivors[0].KafkaPort, Group);
                    successor = node;
                    return e == 0 && node != coordinator;
                },
                "another broker coordinates the group",
                TimeSpan.FromSeconds(30),
                TimeSpan.FromMilliseconds(200));
            output.WriteLine($"broker {successor} coordinates the group {clock.Elapsed.TotalSeconds:F1} s after the kill");

            // A new member resumes where the group committed.
            string survivorsBootstrap = string.Join(",", survivors.Select(n => n.BootstrapServers));
            using IConsumer<Ignore, string> second = BuildConsumer(survivorsBootstrap);
            second.Subscribe(Topic);
            ConsumeResult<Ignore, string> resumed = second.Consume(TimeSpan.FromSeconds(60)) ?? throw new TimeoutException("the new member consumed nothing");
            Assert.Equal(Committed, resumed.Offset.Value);
            Assert.Equal(Committed.ToString(System.Globalization.CultureInfo.InvariantCulture), resumed.Message.Value);
            List<TopicPartitionOffset> committed = second.Committed([new TopicPartition(Topic, 0)], TimeSpan.FromSeconds(30));
            Assert.Equal(Committed, Assert.Single(committed).Offset.Value);
            second.Close();
        });
    }

    private static IConsumer<Ignore, string> BuildConsumer(string bootstrap) =>
        new ConsumerBuilder<Ignore, string>(new ConsumerConfig
        {
            BootstrapServers = Loopback.Bootstrap(bootstrap),
            GroupId = Group,
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            SessionTimeoutMs = 10_000,
        }).Build();
}
