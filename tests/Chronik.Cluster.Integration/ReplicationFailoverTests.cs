using System.Diagnostics;
using System.Globalization;
using Chronik.Cluster.Integration.Harness;
using Chronik.Testing;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Xunit.Abstractions;
using static Chronik.Cluster.Integration.Harness.ClusterTestSupport;

namespace Chronik.Cluster.Integration;

/// <summary>
/// Partition replication across processes with a real client: an idempotent acks=all Confluent.Kafka producer
/// writes a known sequence to a partition with replication factor 3 and min.insync.replicas 2; kill -9 of the
/// partition leader → the controller fences it and elects a leader from the ISR within seconds, the producer's
/// retries succeed, and every acknowledged record is in the new leader's log, in order, exactly once. The killed
/// node returns, truncates what it had not replicated (an acks=1 record written while the followers were paused,
/// unless a fetch already parked at the leader carried it to them), catches up and rejoins the ISR; made leader again
/// (preferred election) it serves the same log. Two of the three nodes down takes the metadata quorum with them:
/// no ISR can shrink, and acks=all ends in an error the client sees (REQUEST_TIMED_OUT), not a hang.
/// </summary>
public class ReplicationFailoverTests(ITestOutputHelper output)
{
    private const string Topic = "replicated";

    [Fact]
    public async Task Killing_the_partition_leader_loses_no_acknowledged_record_and_the_returning_node_rejoins_the_isr()
    {
        await using var cluster = ClusterProcesses.Create(3, FastFailureDetection);
        await WithDiagnosticsAsync(cluster, async () =>
        {
            await cluster.StartAllAsync();
            MetadataSnapshot start = await AgreedMetadataAsync(cluster.Nodes, m => m.BrokerIds.Count == 3 && m.ControllerId > 0, "every broker is registered");

            // The leader is not the controller: this is the data path's failover (FailoverTests kills the controller).
            int leader = cluster.Nodes.Select(n => n.NodeId).First(id => id != start.ControllerId);
            int[] replicas = [leader, .. cluster.Nodes.Select(n => n.NodeId).Where(id => id != leader)];
            var created = await CreateTopicAsync(cluster.Node(1).KafkaPort, Topic, 1, 3, [replicas], MinInsyncReplicas(2));
            Assert.Equal(0, created.ErrorCode);
            PartitionView before = PartitionOf(await AgreedMetadataAsync(
                cluster.Nodes, m => PartitionOf(m) is { Isr.Count: 3 } p && p.Leader == leader, "the partition is led by the chosen broker with all three in sync"))!;

            await using var producer = SequenceProducer.Start(cluster.AllBootstrapServers, Topic);
            await producer.WaitForAcknowledgedAsync(300, "before the kill");

            // The followers pause (SIGSTOP) and an acks=1 record lands on the leader alone, then the leader dies and
            // they resume: the old leader's log diverges from the new leader's at the end of its epoch. (acks=1 promises
            // no more than that record was on the leader; losing it is Kafka's behaviour too.)
            ClusterNode[] survivors = [.. cluster.Nodes.Where(n => n.NodeId != leader)];
            foreach (ClusterNode follower in survivors)
            {
                follower.Process!.Send(Signal.Stop);
            }

            SingleProduceOutcome unreplicated = await SingleRecord.ProduceAsync(cluster.Node(leader).BootstrapServers, Topic, Acks.Leader, "leader-only");
            Assert.Equal(ErrorCode.NoError, unreplicated.Error);
            var clock = Stopwatch.StartNew();
            await cluster.KillAsync(leader);
            foreach (ClusterNode follower in survivors)
            {
                follower.Process!.Send(Signal.Continue);
            }

            int acknowledgedAtKill = producer.Acknowledged;
            PartitionView elected = PartitionOf(await AgreedMetadataAsync(
                survivors,
                m => !m.BrokerIds.Contains(leader) && PartitionOf(m) is { Leader: > 0 } p && p.Leader != leader && !p.Isr.Contains(leader),
                "the dead broker is fenced, a survivor leads"))!;
            TimeSpan election = clock.Elapsed;
            await producer.WaitForAcknowledgedAsync(acknowledgedAtKill + 50, "after the election");
            TimeSpan resumed = clock.Elapsed;
            output.WriteLine($"killed leader {leader} after {acknowledgedAtKill} acks; broker {elected.Leader} leads in epoch {elected.LeaderEpoch} "
                + $"after {election.TotalSeconds:F1} s, ISR [{string.Join(",", elected.Isr)}]; producing resumed after {resumed.TotalSeconds:F1} s");
            Assert.True(election < TimeSpan.FromSeconds(15), $"the new leader took {election}");
            Assert.Contains(elected.Leader, before.Isr);
            Assert.True(elected.LeaderEpoch > before.LeaderEpoch);

            await producer.WaitForAcknowledgedAsync(producer.Acknowledged + 300, "well after the election");
            IReadOnlyList<SequenceDelivery> deliveries = await producer.StopAsync();
            Assert.Equal(0, producer.Failed);
            string survivorsBootstrap = string.Join(",", survivors.Select(n => n.BootstrapServers));
            IReadOnlyList<ReadRecord> log = await PartitionReader.ReadAllAsync(survivorsBootstrap, Topic, 0);
            // acks=1 promises only that "leader-only" was on the leader: a follower fetch parked at the leader when the
            // followers paused can still carry it to them, and then it survives (as in Kafka). Either way it is there at
            // most once, where it was written, and every acknowledged record is at its acknowledged offset.
            bool leaderOnlySurvived = log.Any(r => r.Value == "leader-only");
            AssertEveryAcknowledgedRecordInOrder(deliveries, log, unacknowledged: "leader-only");
            output.WriteLine($"{deliveries.Count} records acknowledged, all read back in order from broker {elected.Leader}; "
                + $"the acks=1 record {(leaderOnlySurvived ? "reached a follower before the kill and survived" : "was lost with the leader")}");

            // The old leader returns: it truncates what it never replicated, catches up and rejoins the ISR.
            await cluster.StartAsync(leader, waitForReady: true);
            clock.Restart();
            await AgreedMetadataAsync(cluster.Nodes, m => PartitionOf(m) is { Isr.Count: 3 }, "the returned broker is back in the ISR");
            output.WriteLine($"broker {leader} rejoined the ISR {clock.Elapsed.TotalSeconds:F1} s after it was ready");
            if (!leaderOnlySurvived)
            {
                Assert.Contains("truncated the log", cluster.Node(leader).Process!.Output);
            }

            // Made leader again (it is the preferred replica), it serves exactly the same log.
            using (IAdminClient admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = Loopback.Bootstrap(cluster.AllBootstrapServers) }).Build())
            {
                await admin.ElectLeadersAsync(ElectionType.Preferred, [new TopicPartition(Topic, 0)]);
            }

            await AgreedMetadataAsync(cluster.Nodes, m => PartitionOf(m) is { Isr.Count: 3 } p && p.Leader == leader, "the returned broker leads again");
            IReadOnlyList<ReadRecord> rejoined = await PartitionReader.ReadAllAsync(cluster.Node(leader).BootstrapServers, Topic, 0);
            Assert.Equal(log, rejoined);
            SingleProduceOutcome afterReturn = await SingleRecord.ProduceAsync(cluster.AllBootstrapServers, Topic, Acks.All, "after-return");
            Assert.Equal(ErrorCode.NoError, afterReturn.Error);

            // Two of three nodes down: one is fenced while the quorum still has a majority, so the ISR shrinks to two
            // and acks=all goes on; the second takes the quorum's majority with it, no ISR change can commit, and an
            // acks=all produce times out on the leader — the client gets the error.
            int[] followers = [.. replicas.Where(id => id != leader)];
            await cluster.KillAsync(followers[0]);
            ClusterNode[] remaining = [.. cluster.Nodes.Where(n => n.NodeId != followers[0])];
            await AgreedMetadataAsync(remaining, m => PartitionOf(m) is { Isr.Count: 2 } p && p.Leader == leader, "the first dead follower left the ISR");
            Assert.Equal(ErrorCode.NoError, (await SingleRecord.ProduceAsync(cluster.Node(leader).BootstrapServers, Topic, Acks.All, "one-down")).Error);

            await cluster.KillAsync(followers[1]);
            SingleProduceOutcome twoDown = await SingleRecord.ProduceAsync(
                cluster.Node(leader).BootstrapServers, Topic, Acks.All, "two-down", requestTimeout: TimeSpan.FromSeconds(3), messageTimeout: TimeSpan.FromSeconds(10));
            output.WriteLine($"acks=all with two of three nodes down: {twoDown.Error} after {twoDown.Elapsed.TotalSeconds:F1} s");
            Assert.Contains(twoDown.Error, new[] { ErrorCode.RequestTimedOut, ErrorCode.Local_MsgTimedOut });
            Assert.True(twoDown.Elapsed < TimeSpan.FromSeconds(20), $"the failed produce took {twoDown.Elapsed}");
        });
    }

    /// <summary>Where the records depart from the values 0, 1, 2, …: the first few out of place.</summary>
    private static string Discrepancies(IReadOnlyList<ReadRecord> sequence)
    {
        var odd = new List<string>();
        for (int i = 0; i < sequence.Count && odd.Count < 10; i++)
        {
            if (sequence[i].Value != i.ToString(CultureInfo.InvariantCulture))
            {
                odd.Add($"[{i}] = {sequence[i]}");
            }
        }

        return odd.Count == 0 ? "the records present are in sequence" : "out of place: " + string.Join(", ", odd);
    }

    internal static IReadOnlyDictionary<string, string> MinInsyncReplicas(int count) =>
        new Dictionary<string, string> { ["min.insync.replicas"] = count.ToString(CultureInfo.InvariantCulture) };

    internal static PartitionView? PartitionOf(MetadataSnapshot metadata, string topic = Topic, int partition = 0) =>
        metadata.Topics.TryGetValue(topic, out var partitions) ? partitions.FirstOrDefault(p => p.Partition == partition) : null;

    /// <summary>
    /// The idempotent producer's sequence, as the log holds it: every acknowledged record at the offset its
    /// acknowledgement named, the values 0, 1, 2, … in order at consecutive offsets — nothing lost, reordered or
    /// doubled. <paramref name="unacknowledged"/> names a record written without acks=all that may be among them once.
    /// </summary>
    internal static void AssertEveryAcknowledgedRecordInOrder(IReadOnlyList<SequenceDelivery> deliveries, IReadOnlyList<ReadRecord> log, string? unacknowledged = null)
    {
        Assert.All(deliveries, d => Assert.Equal(ErrorCode.NoError, d.Error));
        List<ReadRecord> sequence = [.. log.Where(r => r.Value != unacknowledged)];
        Assert.True(log.Count - sequence.Count <= 1, $"\"{unacknowledged}\" is in the log {log.Count - sequence.Count} times");
        Assert.True(deliveries.Count == sequence.Count, $"{deliveries.Count} records acknowledged, {sequence.Count} of the sequence in the log; {Discrepancies(sequence)}");
        for (int i = 0; i < log.Count; i++)
        {
            Assert.Equal(i, log[i].Offset);
        }

        for (int i = 0; i < sequence.Count; i++)
        {
            Assert.Equal(i.ToString(CultureInfo.InvariantCulture), sequence[i].Value);
            Assert.Equal(i, deliveries[i].Value);
            Assert.Equal(sequence[i].Offset, deliveries[i].Offset);
        }
    }
}
