using System.Collections.Immutable;
using Chronik.Broker.Coordinators;
using Chronik.Broker.Partitions;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Records;
using Chronik.Protocol.Wire;
using Chronik.Testing;
using static Chronik.Broker.Tests.DataPath.Requests;

namespace Chronik.Broker.Tests.Replication;

/// <summary>Replication between in-process brokers: real logs, real handlers over the wire format, real controller decisions.</summary>
public class ReplicationTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static async Task<ProduceResponse.PartitionProduceResponse> ProduceAsync(ReplicationCluster cluster, int broker, string topic, short acks, params string[] values)
    {
        var response = await cluster.CallAsync<ProduceResponse>(broker, cluster.Produce(broker), Produce(topic, Batch(CompressionType.None, values), acks, timeoutMs: 20_000), 9);
        return Assert.Single(Assert.Single(response.Responses).PartitionResponses);
    }

    /// <summary>The members of an ISR in id order: an ISR is a set, listed in the order its members (re)joined (as in Kafka).</summary>
    private static int[] Members(IEnumerable<int> isr) => [.. isr.Order()];

    /// <summary>
    /// Waits until the controller committed an ISR of exactly these members and the leader applied it: the leader learns
    /// it a moment after the image has it (from the AlterPartition answer or the published image).
    /// </summary>
    private static async Task WaitForIsrAsync(ReplicationCluster cluster, string topic, int[] isr)
    {
        int[] expected = Members(isr);
        try
        {
            await Wait.UntilAsync(
                () => Members(CommittedIsr(cluster, topic)).SequenceEqual(expected) && Members(LeaderIsr(cluster, topic)).SequenceEqual(expected),
                $"ISR of {topic}-0 to become [{string.Join(",", expected)}]",
                Patience);
        }
        catch (TimeoutException e)
        {
            // The ISR at the deadline, not the one the wait started from.
            throw new TimeoutException(
                $"{e.Message} (is [{string.Join(",", CommittedIsr(cluster, topic))}], on the leader [{string.Join(",", LeaderIsr(cluster, topic))}])", e);
        }
    }

    private static ImmutableArray<int> CommittedIsr(ReplicationCluster cluster, string topic) => cluster.Images.Image.GetPartition(topic, 0)!.Isr;

    private static ImmutableArray<int> LeaderIsr(ReplicationCluster cluster, string topic) =>
        cluster.Partition(cluster.Images.Image.GetPartition(topic, 0)!.Leader, topic).Isr;

    [Fact]
    public async Task Followers_replicate_the_leaders_log_and_acks_all_completes_once_the_isr_has_it()
    {
        // A follower slowed down by a loaded machine must not leave the ISR here (the default of this harness is 1 s):
        // acks=all waits only for the ISR, and this test checks that both followers have every acknowledged batch.
        await using var cluster = new ReplicationCluster(3, replicaLagTimeMaxMs: 60_000);
        cluster.CreateTopic("t", [1, 2, 3], configs: ("min.insync.replicas", "2"));

        for (int i = 0; i < 20; i++)
        {
            var ack = await ProduceAsync(cluster, 1, "t", -1, $"a{i}", $"b{i}");
            Assert.Equal((short)ErrorCode.None, ack.ErrorCode);
            Assert.Equal(2 * i, ack.BaseOffset);

            // acks=all: the whole ISR has the batch when it is acknowledged.
            foreach (int follower in new[] { 2, 3 })
            {
                Assert.True(cluster.Partition(follower, "t").LogEndOffset >= 2 * i + 2, $"follower {follower} lacks an acknowledged batch");
            }
        }

        var leader = cluster.Partition(1, "t");
        Assert.Equal(40, leader.HighWatermark);
        await Wait.UntilAsync(() => cluster.Partition(2, "t").HighWatermark == 40 && cluster.Partition(3, "t").HighWatermark == 40, "followers' high watermark", Patience);
        byte[] expected = cluster.LogBytes(1, "t");
        Assert.Equal(expected, cluster.LogBytes(2, "t"));
        Assert.Equal(expected, cluster.LogBytes(3, "t"));
        Assert.Equal([1, 2, 3], Members(cluster.Images.Image.GetPartition("t", 0)!.Isr));

        // Consumers read only from the leader (no KIP-392).
        var fromFollower = await cluster.CallAsync<FetchResponse>(2, cluster.Fetch(2), Fetch("t", 0), 12);
        Assert.Equal((short)ErrorCode.NotLeaderOrFollower, Assert.Single(Assert.Single(fromFollower.Responses).Partitions).ErrorCode);
    }

    [Theory]
    [InlineData(17)]
    [InlineData(11)]
    public async Task A_returning_leader_truncates_its_unreplicated_suffix_and_ends_with_the_new_leaders_log(short fetchVersion)
    {
        // Fetch v12+ finds the divergence from last_fetched_epoch (KIP-595); v11 makes the follower ask OffsetForLeaderEpoch.
        await using var cluster = new ReplicationCluster(2);
        cluster.VersionCaps[ApiKey.Fetch] = fetchVersion;
        var id = cluster.CreateTopic("t", [1, 2]);
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal((short)ErrorCode.None, (await ProduceAsync(cluster, 1, "t", -1, $"common{i}")).ErrorCode);
        }

        // B stops hearing from A (its fetch in flight ends, the next one fails); A takes five more records that never reach B.
        cluster.Cut(2, 1);
        await Wait.UntilAsync(() => cluster[2].Fetchers!.State(new Storage.TopicPartition("t", 0))?.DelayedUntilMs > 0, "B's fetcher to notice the cut", Patience);
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal((short)ErrorCode.None, (await ProduceAsync(cluster, 1, "t", 1, $"lost{i}")).ErrorCode);
        }

        Assert.Equal(10, cluster.Partition(1, "t").LogEndOffset);
        Assert.Equal(5, cluster.Partition(1, "t").HighWatermark);
        cluster.Stop(1);

        long common = cluster.Partition(2, "t").LogEndOffset;
        Assert.Equal(5, common);

        // The controller elects B (it was in the ISR); B writes different records at the same offsets.
        cluster.Apply(new FenceBrokerRecord(1, 1), new PartitionChangeRecord(id, 0, Leader: 2, Isr: [2]));
        cluster.Cut(2, 1, cut: false);
        for (int i = 0; i < 7; i++)
        {
            Assert.Equal((short)ErrorCode.None, (await ProduceAsync(cluster, 2, "t", -1, $"new{i}")).ErrorCode);
        }

        Assert.Equal(common + 7, cluster.Partition(2, "t").LogEndOffset);

        // A comes back as a follower: it must end up with B's log exactly, and rejoin the ISR.
        cluster.Apply(new UnfenceBrokerRecord(1, 1));
        cluster.Start(1);
        await Wait.UntilAsync(() => cluster.Partition(1, "t").LogEndOffset == common + 7, "the returning broker to catch up", Patience);
        Assert.Equal(cluster.LogBytes(2, "t"), cluster.LogBytes(1, "t"));
        await WaitForIsrAsync(cluster, "t", [2, 1]);
        Assert.Equal([new Storage.Epochs.EpochEntry(0, 0), new Storage.Epochs.EpochEntry(1, common)], cluster.Partition(1, "t").Log.LeaderEpochs.Entries);
    }

    [Fact]
    public async Task A_follower_that_stops_fetching_leaves_the_isr_after_the_lag_time_and_rejoins_when_it_caught_up()
    {
        await using var cluster = new ReplicationCluster(3, replicaLagTimeMaxMs: 500);
        cluster.CreateTopic("t", [1, 2, 3], configs: ("min.insync.replicas", "2"));
        Assert.Equal((short)ErrorCode.None, (await ProduceAsync(cluster, 1, "t", -1, "x")).ErrorCode);

        // A follower at the leader's end stays in sync (Kafka's rule); one that misses new data falls out.
        cluster.Cut(3, 1);
        Assert.Equal((short)ErrorCode.None, (await ProduceAsync(cluster, 1, "t", 1, "3 misses this")).ErrorCode);
        await WaitForIsrAsync(cluster, "t", [1, 2]);

        // Two in the ISR satisfy min.insync.replicas 2.
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal((short)ErrorCode.None, (await ProduceAsync(cluster, 1, "t", -1, $"two{i}")).ErrorCode);
        }

        long committed = cluster.Partition(1, "t").HighWatermark;
        Assert.Equal(cluster.Partition(1, "t").LogEndOffset, committed);
        cluster.Cut(2, 1);
        Assert.Equal((short)ErrorCode.None, (await ProduceAsync(cluster, 1, "t", 1, "2 misses this")).ErrorCode);
        await WaitForIsrAsync(cluster, "t", [1]);
        var refused = await ProduceAsync(cluster, 1, "t", -1, "refused");
        Assert.Equal((short)ErrorCode.NotEnoughReplicas, refused.ErrorCode);
        Assert.Equal((short)ErrorCode.None, (await ProduceAsync(cluster, 1, "t", 1, "acks=1 still works")).ErrorCode);

        // Under min.insync.replicas the high watermark stands (Kafka 4): consumers see nothing new.
        Assert.Equal(committed, cluster.Partition(1, "t").HighWatermark);

        // 3 comes back first, so the ISR becomes [1,3,2]: whichever order they rejoin in, both are members again.
        cluster.Cut(3, 1, cut: false);
        await WaitForIsrAsync(cluster, "t", [1, 3]);
        cluster.Cut(2, 1, cut: false);
        await WaitForIsrAsync(cluster, "t", [1, 2, 3]);
        long end = cluster.Partition(1, "t").LogEndOffset;
        await Wait.UntilAsync(() => cluster.Partition(1, "t").HighWatermark == end, "the high watermark to cover the acks=1 records", Patience);
        Assert.Equal(cluster.LogBytes(1, "t"), cluster.LogBytes(3, "t"));
        Assert.Equal((short)ErrorCode.None, (await ProduceAsync(cluster, 1, "t", -1, "back")).ErrorCode);
    }

    [Fact]
    public async Task An_isr_change_the_controller_does_not_take_is_sent_again()
    {
        await using var cluster = new ReplicationCluster(2, replicaLagTimeMaxMs: 300);
        var id = cluster.CreateTopic("t", [1, 2]);
        // Refusals armed before the ISR shrinks: the leader may propose the expansion as soon as it sees the change.
        cluster.Controller.RefuseAlterPartition(3);
        cluster.Apply(new PartitionChangeRecord(id, 0, Isr: [1]));
        Assert.Equal((short)ErrorCode.None, (await ProduceAsync(cluster, 1, "t", -1, "x")).ErrorCode);
        await WaitForIsrAsync(cluster, "t", [1, 2]);
        Assert.True(cluster.Controller.AlterPartitionCalls >= 4);
        Assert.Null(cluster.Partition(1, "t").PendingIsrChange);
    }

    [Fact]
    public async Task Acks_all_waiting_when_leadership_moves_fails_with_not_leader_or_follower()
    {
        await using var cluster = new ReplicationCluster(2);
        var id = cluster.CreateTopic("t", [1, 2]);
        cluster.Cut(2, 1);
        var pending = ProduceAsync(cluster, 1, "t", -1, "stuck");
        await Wait.UntilAsync(() => cluster.Partition(1, "t").LogEndOffset == 1, "the append", Patience);
        Assert.False(pending.IsCompleted);

        cluster.Apply(new PartitionChangeRecord(id, 0, Leader: 2));
        Assert.Equal((short)ErrorCode.NotLeaderOrFollower, (await pending).ErrorCode);
    }

    [Fact]
    public async Task A_new_leader_answers_offset_not_available_until_its_high_watermark_reaches_its_epoch_start()
    {
        await using var cluster = new ReplicationCluster(3, replicaLagTimeMaxMs: 10_000);
        var id = cluster.CreateTopic("t", [1, 2, 3]);

        // Broker 3 hears nothing, so nothing is committed; broker 2 gets all three records.
        cluster.Cut(3, 1);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal((short)ErrorCode.None, (await ProduceAsync(cluster, 1, "t", 1, $"r{i}")).ErrorCode);
        }

        await Wait.UntilAsync(() => cluster.Partition(2, "t").LogEndOffset == 3, "broker 2 to replicate", Patience);
        Assert.Equal(0, cluster.Partition(1, "t").HighWatermark);
        cluster.Cut(3, 2);
        cluster.Stop(1);
        cluster.Apply(new FenceBrokerRecord(1, 1), new PartitionChangeRecord(id, 0, Leader: 2, Isr: [2, 3]));
        var leader = cluster.Partition(2, "t");
        Assert.Equal(3, leader.LeaderEpochStartOffset);
        Assert.Equal(0, leader.HighWatermark);
        var lagging = await cluster.CallAsync<ListOffsetsResponse>(2, new Handlers.ListOffsetsHandler(cluster[2]), ListOffsets("t", -1), 5);
        Assert.Equal((short)ErrorCode.OffsetNotAvailable, Assert.Single(Assert.Single(lagging.Topics).Partitions).ErrorCode);

        cluster.Cut(3, 2, cut: false);
        await Wait.UntilAsync(() => leader.HighWatermark == 3, "the new leader's high watermark", Patience);
        var latest = await cluster.CallAsync<ListOffsetsResponse>(2, new Handlers.ListOffsetsHandler(cluster[2]), ListOffsets("t", -1), 5);
        var answer = Assert.Single(Assert.Single(latest.Topics).Partitions);
        Assert.Equal((short)ErrorCode.None, answer.ErrorCode);
        Assert.Equal(3, answer.Offset);
    }

    [Fact]
    public async Task A_coordinator_log_on_a_new_leader_loads_only_once_its_records_are_committed()
    {
        await using var cluster = new ReplicationCluster(2);
        var id = cluster.CreateTopic("t", [1, 2]);
        Assert.Equal((short)ErrorCode.None, (await ProduceAsync(cluster, 1, "t", -1, "committed")).ErrorCode);
        await Wait.UntilAsync(() => cluster.Partition(2, "t").HighWatermark == 1, "the follower's high watermark", Patience);
        cluster.Cut(2, 1);
        Assert.Equal((short)ErrorCode.None, (await ProduceAsync(cluster, 1, "t", 1, "not replicated")).ErrorCode);

        // Broker 1 leads in a new epoch with the follower cut off: its high watermark cannot reach its log end.
        cluster.Apply(new PartitionChangeRecord(id, 0, Leader: 1));
        var log = new PartitionCoordinatorLog(cluster.Partition(1, "t"));
        var loading = log.WaitForCommittedEndAsync(CancellationToken.None).AsTask();
        await Task.Delay(200);
        Assert.False(loading.IsCompleted);
        cluster.Cut(2, 1, cut: false);
        Assert.Equal(2, await loading.WaitAsync(Patience));
    }

    [Fact]
    public async Task A_follower_behind_the_leaders_log_start_restarts_its_log_there()
    {
        await using var cluster = new ReplicationCluster(2);
        cluster.CreateTopic("t", [1, 2]);
        cluster.Cut(2, 1);
        cluster.Apply(new PartitionChangeRecord(cluster.Images.Image.GetTopic("t")!.TopicId, 0, Isr: [1]));
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal((short)ErrorCode.None, (await ProduceAsync(cluster, 1, "t", -1, $"r{i}")).ErrorCode);
        }

        Assert.Equal(6, cluster.Partition(1, "t").DeleteRecordsBefore(6));
        cluster.Cut(2, 1, cut: false);
        await Wait.UntilAsync(() => cluster.Partition(2, "t").LogEndOffset == 10, "the follower to catch up", Patience);
        Assert.Equal(6, cluster.Partition(2, "t").LogStartOffset);
        Assert.Equal(cluster.LogBytes(1, "t"), cluster.LogBytes(2, "t"));
    }
}
