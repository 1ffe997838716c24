using System.Diagnostics;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Records;
using Chronik.Protocol.Wire;
using static Chronik.Broker.Tests.DataPath.Requests;

namespace Chronik.Broker.Tests.DataPath;

public class FetchHandlerTests
{
    private static FetchResponse.PartitionData Single(FetchResponse? response) => Assert.Single(Assert.Single(response!.Responses).Partitions);

    private static async Task ProduceAsync(HandlerHarness broker, string topic, params string[] values)
    {
        var response = await broker.CallAsync<ProduceResponse>(broker.Produce, Produce(topic, Batch(CompressionType.None, values)), 9);
        Assert.Equal((short)ErrorCode.None, response!.Responses[0].PartitionResponses[0].ErrorCode);
    }

    [Fact]
    public async Task Offset_outside_the_log_is_out_of_range()
    {
        await using var broker = new HandlerHarness();
        broker.CreateTopic("t");
        await ProduceAsync(broker, "t", "a", "b");
        var beyond = Single(await broker.CallAsync<FetchResponse>(broker.Fetch, Fetch("t", 5), 12));
        Assert.Equal((short)ErrorCode.OffsetOutOfRange, beyond.ErrorCode);
        Assert.Equal(0, beyond.Records!.Value.Length);
        var atEnd = Single(await broker.CallAsync<FetchResponse>(broker.Fetch, Fetch("t", 2), 12));
        Assert.Equal((short)ErrorCode.None, atEnd.ErrorCode);
        Assert.Equal(2, atEnd.HighWatermark);
        Assert.Equal(2, atEnd.LastStableOffset);
        Assert.Equal(0, atEnd.LogStartOffset);
        Assert.Empty(Values(atEnd.Records));
    }

    [Fact]
    public async Task Unknown_topic_and_topic_id()
    {
        await using var broker = new HandlerHarness();
        broker.CreateTopic("t");
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, Single(await broker.CallAsync<FetchResponse>(broker.Fetch, Fetch("nope", 0), 12)).ErrorCode);
        var byId = await broker.CallAsync<FetchResponse>(broker.Fetch, Fetch("", 0, topicId: Guid.NewGuid()), 13);
        Assert.Equal((short)ErrorCode.UnknownTopicId, Single(byId).ErrorCode);
    }

    [Fact]
    public async Task Topic_ids_address_partitions_from_version_13()
    {
        await using var broker = new HandlerHarness();
        var id = broker.CreateTopic("t");
        await ProduceAsync(broker, "t", "x");
        var response = await broker.CallAsync<FetchResponse>(broker.Fetch, Fetch("", 0, topicId: id), 17);
        var topic = Assert.Single(response!.Responses);
        Assert.Equal(id, topic.TopicId);
        Assert.Equal(["x"], Values(Assert.Single(topic.Partitions).Records));
    }

    [Fact]
    public async Task Current_leader_epoch_fences_stale_and_future_fetchers()
    {
        await using var broker = new HandlerHarness();
        var id = broker.Images.Topic("t", leaderEpoch: 3);
        broker.Publish();
        Assert.Equal((short)ErrorCode.FencedLeaderEpoch, Single(await broker.CallAsync<FetchResponse>(broker.Fetch, Fetch("t", 0, currentLeaderEpoch: 2), 12)).ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownLeaderEpoch, Single(await broker.CallAsync<FetchResponse>(broker.Fetch, Fetch("t", 0, currentLeaderEpoch: 4), 12)).ErrorCode);
        Assert.Equal((short)ErrorCode.None, Single(await broker.CallAsync<FetchResponse>(broker.Fetch, Fetch("t", 0, currentLeaderEpoch: 3), 12)).ErrorCode);
        _ = id;
    }

    [Fact]
    public async Task Max_bytes_limits_the_response_but_the_first_batch_always_comes()
    {
        await using var broker = new HandlerHarness();
        broker.CreateTopic("t");
        for (int i = 0; i < 5; i++)
        {
            await ProduceAsync(broker, "t", new string((char)('a' + i), 200));
        }

        var tiny = Single(await broker.CallAsync<FetchResponse>(broker.Fetch, Fetch("t", 0, partitionMaxBytes: 10), 12));
        Assert.Single(Values(tiny.Records));
        var two = Single(await broker.CallAsync<FetchResponse>(broker.Fetch, Fetch("t", 0, maxBytes: 600), 12));
        Assert.Equal(2, Values(two.Records).Count);
        var all = Single(await broker.CallAsync<FetchResponse>(broker.Fetch, Fetch("t", 0), 12));
        Assert.Equal(5, Values(all.Records).Count);
        var fromMiddle = Single(await broker.CallAsync<FetchResponse>(broker.Fetch, Fetch("t", 3), 12));
        Assert.Equal([3L, 4], Offsets(fromMiddle.Records));
    }

    [Fact]
    public async Task Long_poll_wakes_when_a_produce_makes_data_available()
    {
        await using var broker = new HandlerHarness();
        broker.CreateTopic("t");
        var clock = Stopwatch.StartNew();
        var waiting = broker.StartAsync<FetchResponse>(broker.Fetch, Fetch("t", 0, maxWaitMs: 20_000), 12);
        Assert.False(waiting.IsCompleted);
        await ProduceAsync(broker, "t", "late");
        var data = Single(await waiting);
        Assert.Equal(["late"], Values(data.Records));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the fetch waited {clock.Elapsed} although data arrived");
    }

    [Fact]
    public async Task Long_poll_returns_empty_after_max_wait()
    {
        await using var broker = new HandlerHarness();
        broker.CreateTopic("t");
        var clock = Stopwatch.StartNew();
        var data = Single(await broker.CallAsync<FetchResponse>(broker.Fetch, Fetch("t", 0, maxWaitMs: 200), 12));
        Assert.Empty(Values(data.Records));
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(150), $"answered after {clock.Elapsed}, before max_wait_ms");
    }

    [Fact]
    public async Task Long_poll_ends_with_an_error_when_the_topic_is_deleted()
    {
        await using var broker = new HandlerHarness();
        var id = broker.CreateTopic("t");
        var waiting = broker.StartAsync<FetchResponse>(broker.Fetch, Fetch("t", 0, maxWaitMs: 20_000), 12);
        broker.Images.Remove(id);
        broker.Publish();
        var data = Single(await waiting.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal((short)ErrorCode.NotLeaderOrFollower, data.ErrorCode);
    }

    [Fact]
    public async Task Old_fetchers_get_down_converted_message_sets()
    {
        await using var broker = new HandlerHarness();
        broker.CreateTopic("t");
        await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", Batch(CompressionType.Gzip, "a", "b")), 9);
        await ProduceAsync(broker, "t", "c");
        foreach (var (version, magic) in new (short, byte)[] { (0, 0), (1, 0), (2, 1), (3, 1) })
        {
            var data = Single(await broker.CallAsync<FetchResponse>(broker.Fetch, Fetch("t", 0), version));
            var batches = RecordBatchDecoder.DecodeAll(data.Records!.Value);
            Assert.All(batches, b => Assert.Equal(magic, b.Magic));
            Assert.Equal(["a", "b", "c"], Values(data.Records));
            Assert.Equal([0L, 1, 2], Offsets(data.Records));
        }
    }

    [Fact]
    public async Task Read_committed_reads_to_the_last_stable_offset_with_empty_aborted_transactions()
    {
        await using var broker = new HandlerHarness();
        broker.CreateTopic("t");
        await ProduceAsync(broker, "t", "a");
        var request = Fetch("t", 0);
        request.IsolationLevel = 1;
        var data = Single(await broker.CallAsync<FetchResponse>(broker.Fetch, request, 12));
        Assert.Equal(["a"], Values(data.Records));
        Assert.NotNull(data.AbortedTransactions);
        Assert.Empty(data.AbortedTransactions!);
        Assert.Equal(1, data.LastStableOffset);
    }

    [Fact]
    public async Task Last_fetched_epoch_beyond_the_log_reports_a_diverging_epoch()
    {
        await using var broker = new HandlerHarness();
        var id = broker.CreateTopic("t");
        await ProduceAsync(broker, "t", "a", "b");

        // Leadership changes (epoch 1) and more records come: epoch 0 ends at offset 2.
        broker.Images.Leader(id, 0, 1);
        broker.Publish();
        await ProduceAsync(broker, "t", "c");
        var diverging = Single(await broker.CallAsync<FetchResponse>(broker.Fetch, Fetch("t", 3, lastFetchedEpoch: 0), 12));
        Assert.Equal((short)ErrorCode.None, diverging.ErrorCode);
        Assert.Equal(0, diverging.DivergingEpoch.Epoch);
        Assert.Equal(2, diverging.DivergingEpoch.EndOffset);
        var consistent = Single(await broker.CallAsync<FetchResponse>(broker.Fetch, Fetch("t", 2, lastFetchedEpoch: 0), 12));
        Assert.Equal(-1, consistent.DivergingEpoch.Epoch);
        Assert.Equal(["c"], Values(consistent.Records));
    }

    [Fact]
    public async Task Follower_fetch_from_a_broker_that_is_not_a_replica_is_refused()
    {
        await using var broker = new HandlerHarness();
        var id = broker.CreateTopic("t");
        var request = Fetch("", 0, topicId: id, currentLeaderEpoch: 0);
        request.ReplicaState.ReplicaId = 5;
        Assert.Equal((short)ErrorCode.UnknownLeaderEpoch, Single(await broker.CallAsync<FetchResponse>(broker.Fetch, request, 15)).ErrorCode);
        var old = Fetch("t", 0);
        old.ReplicaId = 5;
        Assert.Equal((short)ErrorCode.NotLeaderOrFollower, Single(await broker.CallAsync<FetchResponse>(broker.Fetch, old, 12)).ErrorCode);
    }

    [Fact]
    public async Task Follower_fetch_reads_to_the_log_end_and_moves_the_high_watermark()
    {
        await using var broker = new HandlerHarness();
        broker.Images.Broker(2, 9093);
        broker.Images.Topic("t", replicas: [1, 2]);
        broker.Publish();
        var produced = broker.StartAsync<ProduceResponse>(broker.Produce, Produce("t", Batch(CompressionType.None, "a", "b")), 9);
        var follower = Fetch("t", 0);
        follower.ReplicaId = 2;
        var read = Single(await broker.CallAsync<FetchResponse>(broker.Fetch, follower, 12));
        Assert.Equal(["a", "b"], Values(read.Records));
        Assert.False(produced.IsCompleted, "acks=all completed before the follower had the records");

        // The follower's next fetch position tells the leader it has both records.
        follower.Topics[0].Partitions[0].FetchOffset = 2;
        await broker.CallAsync<FetchResponse>(broker.Fetch, follower, 12);
        var response = await produced.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal((short)ErrorCode.None, response!.Responses[0].PartitionResponses[0].ErrorCode);
        Assert.Equal(2, broker.Partition("t").HighWatermark);
    }

    [Fact]
    public async Task Fetch_sessions_send_only_partitions_with_news()
    {
        await using var broker = new HandlerHarness();
        broker.CreateTopic("t", partitions: 3);
        var request = new FetchRequest
        {
            ReplicaId = -1,
            MaxWaitMs = 0,
            MinBytes = 1,
            SessionId = 0,
            SessionEpoch = 0,
            Topics = [new FetchRequest.FetchTopic { Topic = "t", Partitions = [.. Enumerable.Range(0, 3).Select(p => new FetchRequest.FetchPartition { Partition = p, PartitionMaxBytes = 1 << 20 })] }],
        };
        var full = await broker.CallAsync<FetchResponse>(broker.Fetch, request, 12);
        Assert.NotEqual(0, full!.SessionId);
        Assert.Equal(3, full.Responses[0].Partitions.Count);

        await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", Batch(CompressionType.None, "p1"), partition: 1), 9);
        var incremental = new FetchRequest { ReplicaId = -1, MaxWaitMs = 0, MinBytes = 1, SessionId = full.SessionId, SessionEpoch = 1 };
        var changed = await broker.CallAsync<FetchResponse>(broker.Fetch, incremental, 12);
        Assert.Equal(full.SessionId, changed!.SessionId);
        var only = Assert.Single(Assert.Single(changed.Responses).Partitions);
        Assert.Equal(1, only.PartitionIndex);
        Assert.Equal(["p1"], Values(only.Records));

        // Partition 1 moves past its record: no records, no moved high watermark anywhere, so nothing is sent.
        incremental.SessionEpoch = 2;
        incremental.Topics = [new FetchRequest.FetchTopic { Topic = "t", Partitions = [new FetchRequest.FetchPartition { Partition = 1, FetchOffset = 1, PartitionMaxBytes = 1 << 20 }] }];
        var quiet = await broker.CallAsync<FetchResponse>(broker.Fetch, incremental, 12);
        Assert.Empty(quiet!.Responses);

        incremental.SessionEpoch = 2;
        incremental.Topics = [];
        var stale = await broker.CallAsync<FetchResponse>(broker.Fetch, incremental, 12);
        Assert.Equal((short)ErrorCode.InvalidFetchSessionEpoch, stale!.ErrorCode);
        incremental.SessionId = 12345;
        Assert.Equal((short)ErrorCode.FetchSessionIdNotFound, (await broker.CallAsync<FetchResponse>(broker.Fetch, incremental, 12))!.ErrorCode);
    }

    [Fact]
    public async Task Many_partitions_share_max_bytes_in_request_order()
    {
        await using var broker = new HandlerHarness();
        broker.CreateTopic("t", partitions: 3);
        for (int p = 0; p < 3; p++)
        {
            await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", Batch(CompressionType.None, new string('x', 500)), partition: p), 9);
        }

        var request = new FetchRequest
        {
            ReplicaId = -1,
            MinBytes = 1,
            MaxBytes = 700,
            SessionEpoch = -1,
            Topics = [new FetchRequest.FetchTopic { Topic = "t", Partitions = [.. Enumerable.Range(0, 3).Select(p => new FetchRequest.FetchPartition { Partition = p, PartitionMaxBytes = 1 << 20 })] }],
        };
        var response = await broker.CallAsync<FetchResponse>(broker.Fetch, request, 12);
        var partitions = Assert.Single(response!.Responses).Partitions;
        Assert.Equal(3, partitions.Count);
        Assert.Single(Values(partitions[0].Records));
        Assert.Empty(Values(partitions[1].Records));
        Assert.Empty(Values(partitions[2].Records));
    }
}
