using Chronik.Cluster.Metadata;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Records;
using Chronik.Protocol.Wire;
using static Chronik.Broker.Tests.DataPath.Requests;

namespace Chronik.Broker.Tests.DataPath;

public class ProduceHandlerTests
{
    private static ProduceResponse.PartitionProduceResponse Single(ProduceResponse? response) => Assert.Single(Assert.Single(response!.Responses).PartitionResponses);

    [Theory]
    [InlineData(CompressionType.None)]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public async Task Produce_assigns_offsets_and_fetch_returns_the_records(CompressionType compression)
    {
        await using var broker = new HandlerHarness();
        broker.CreateTopic("t");
        var first = Single(await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", Batch(compression, "a", "b", "c")), 11));
        Assert.Equal((short)ErrorCode.None, first.ErrorCode);
        Assert.Equal(0, first.BaseOffset);
        Assert.Equal(-1, first.LogAppendTimeMs);
        Assert.Equal(0, first.LogStartOffset);
        var second = Single(await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", Batch(compression, "d")), 11));
        Assert.Equal(3, second.BaseOffset);

        // acks=all answered: the high watermark covers the records.
        Assert.Equal(4, broker.Partition("t").HighWatermark);
        var fetched = await broker.CallAsync<FetchResponse>(broker.Fetch, Fetch("t", 0), 12);
        var data = Assert.Single(Assert.Single(fetched!.Responses).Partitions);
        Assert.Equal(["a", "b", "c", "d"], Values(data.Records));
        Assert.Equal([0L, 1, 2, 3], Offsets(data.Records));
        Assert.Equal(4, data.HighWatermark);
    }

    [Theory]
    [InlineData((short)1)]
    [InlineData((short)-1)]
    public async Task Acknowledged_appends_are_durable(short acks)
    {
        await using var broker = new HandlerHarness();
        broker.CreateTopic("t");
        var response = Single(await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", Batch(CompressionType.None, "x"), acks), 9));
        Assert.Equal((short)ErrorCode.None, response.ErrorCode);
        Assert.True(broker.Partition("t").Log.RecoveryPoint >= 1, "answered before the fsync");
    }

    [Fact]
    public async Task Acks_zero_appends_and_answers_nothing()
    {
        await using var broker = new HandlerHarness();
        broker.CreateTopic("t");
        Assert.Null(await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", Batch(CompressionType.None, "x"), acks: 0), 9));
        Assert.Equal(1, broker.Partition("t").LogEndOffset);
        Assert.False(broker.LastContext!.CloseRequested);
    }

    [Fact]
    public async Task Acks_zero_with_an_error_closes_the_connection_as_Kafka_does()
    {
        await using var broker = new HandlerHarness();
        Assert.Null(await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("missing", Batch(CompressionType.None, "x"), acks: 0), 9));
        Assert.True(broker.LastContext!.CloseRequested);
    }

    [Fact]
    public async Task Invalid_acks_are_rejected_per_partition()
    {
        await using var broker = new HandlerHarness();
        broker.CreateTopic("t");
        var response = Single(await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", Batch(CompressionType.None, "x"), acks: 2), 9));
        Assert.Equal((short)ErrorCode.InvalidRequiredAcks, response.ErrorCode);
        Assert.Equal(0, broker.Partition("t").LogEndOffset);
    }

    [Fact]
    public async Task Unknown_topic_and_partition_are_not_created()
    {
        await using var broker = new HandlerHarness();
        broker.CreateTopic("t");
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, Single(await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("nope", Batch(CompressionType.None, "x")), 9)).ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, Single(await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", Batch(CompressionType.None, "x"), partition: 3), 9)).ErrorCode);
        Assert.Null(broker.Replicas.GetPartition(new Storage.TopicPartition("nope", 0)));
    }

    [Fact]
    public async Task Partition_led_elsewhere_answers_not_leader_with_the_current_leader()
    {
        await using var broker = new HandlerHarness();
        broker.Images.Broker(2, 9093);
        var id = broker.Images.Topic("t", replicas: [1, 2]);
        broker.Images.Leader(id, 0, 2);
        broker.Publish();
        var response = Single(await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", Batch(CompressionType.None, "x")), 10));
        Assert.Equal((short)ErrorCode.NotLeaderOrFollower, response.ErrorCode);
        Assert.Equal(2, response.CurrentLeader.LeaderId);
        Assert.Equal(1, response.CurrentLeader.LeaderEpoch);
        var full = await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", Batch(CompressionType.None, "x")), 10);
        var endpoint = Assert.Single(full!.NodeEndpoints);
        Assert.Equal((2, 9093), (endpoint.NodeId, endpoint.Port));
    }

    [Fact]
    public async Task Corrupt_batch_is_rejected_with_corrupt_message()
    {
        await using var broker = new HandlerHarness();
        broker.CreateTopic("t");
        byte[] batch = Batch(CompressionType.None, "a", "b");
        batch[^1] ^= 0xFF;
        var response = Single(await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", batch), 9));
        Assert.Equal((short)ErrorCode.CorruptMessage, response.ErrorCode);
        Assert.Contains("CRC", response.ErrorMessage!, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, broker.Partition("t").LogEndOffset);
    }

    [Fact]
    public async Task Batch_over_max_message_bytes_is_too_large()
    {
        await using var broker = new HandlerHarness();
        broker.CreateTopic("t", configs: ("max.message.bytes", "200"));
        var response = Single(await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", Batch(CompressionType.None, new string('x', 300))), 9));
        Assert.Equal((short)ErrorCode.MessageTooLarge, response.ErrorCode);
    }

    [Fact]
    public async Task Version_3_and_later_need_exactly_one_v2_batch()
    {
        await using var broker = new HandlerHarness();
        broker.CreateTopic("t");
        byte[] two = [.. Batch(CompressionType.None, "a"), .. Batch(CompressionType.None, "b")];
        Assert.Equal((short)ErrorCode.InvalidRecord, Single(await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", two), 9)).ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidRecord, Single(await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", []), 9)).ErrorCode);
        using var legacy = new LegacyMessageSetBuilder(1);
        legacy.Append(0, Now, null, "old"u8.ToArray());
        Assert.Equal((short)ErrorCode.InvalidRecord, Single(await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", legacy.Build()), 9)).ErrorCode);
    }

    [Fact]
    public async Task Zstd_needs_version_7()
    {
        await using var broker = new HandlerHarness();
        broker.CreateTopic("t");
        var old = Single(await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", Batch(CompressionType.Zstd, "z")), 6));
        Assert.Equal((short)ErrorCode.UnsupportedCompressionType, old.ErrorCode);
        var current = Single(await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", Batch(CompressionType.Zstd, "z")), 7));
        Assert.Equal((short)ErrorCode.None, current.ErrorCode);
    }

    [Theory]
    [InlineData(CompressionType.None)]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Lz4)]
    public async Task Compacted_topic_rejects_keyless_records(CompressionType compression)
    {
        await using var broker = new HandlerHarness();
        broker.CreateTopic("c", configs: ("cleanup.policy", "compact"));
        var keyless = Single(await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("c", Batch(compression, keyless: true, Now, "v")), 9));
        Assert.Equal((short)ErrorCode.InvalidRecord, keyless.ErrorCode);
        var keyed = Single(await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("c", Batch(compression, "v")), 9));
        Assert.Equal((short)ErrorCode.None, keyed.ErrorCode);
    }

    [Fact]
    public async Task Timestamps_beyond_message_timestamp_after_max_ms_are_invalid()
    {
        await using var broker = new HandlerHarness();
        broker.CreateTopic("t", configs: ("message.timestamp.after.max.ms", "1000"));
        var response = Single(await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", Batch(CompressionType.None, keyless: false, Now + 3_600_000, "future")), 9));
        Assert.Equal((short)ErrorCode.InvalidTimestamp, response.ErrorCode);
    }

    [Fact]
    public async Task Log_append_time_topics_answer_the_broker_time()
    {
        await using var broker = new HandlerHarness();
        broker.CreateTopic("t", configs: ("message.timestamp.type", "LogAppendTime"));
        long before = Now;
        var response = Single(await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", Batch(CompressionType.None, keyless: false, 1000, "x")), 9));
        Assert.InRange(response.LogAppendTimeMs, before, Now);
    }

    [Fact]
    public async Task Internal_topics_are_written_only_by_the_admin_client_id()
    {
        await using var broker = new HandlerHarness();
        broker.CreateTopic("__consumer_offsets");
        var client = Single(await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("__consumer_offsets", Batch(CompressionType.None, "x")), 9));
        Assert.Equal((short)ErrorCode.InvalidTopicException, client.ErrorCode);
        var admin = Single(await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("__consumer_offsets", Batch(CompressionType.None, "x")), 9, clientId: "__admin_client"));
        Assert.Equal((short)ErrorCode.None, admin.ErrorCode);
    }

    [Fact]
    public async Task Idempotent_batches_are_appended()
    {
        await using var broker = new HandlerHarness();
        broker.CreateTopic("t");
        using var builder = new RecordBatchBuilder { ProducerId = 7, ProducerEpoch = 0, BaseSequence = 0 };
        builder.Append(Now, null, "idempotent"u8.ToArray());
        var response = Single(await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", builder.Build()), 9));
        Assert.Equal((short)ErrorCode.None, response.ErrorCode);
    }

    [Fact]
    public async Task Transactional_batch_without_producer_id_is_invalid()
    {
        await using var broker = new HandlerHarness();
        broker.CreateTopic("t");
        using var builder = new RecordBatchBuilder { IsTransactional = true };
        builder.Append(Now, null, "x"u8.ToArray());
        var response = Single(await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", builder.Build()), 9));
        Assert.Equal((short)ErrorCode.InvalidRecord, response.ErrorCode);
    }

    [Theory]
    [InlineData((short)0, (byte)0)]
    [InlineData((short)2, (byte)1)]
    public async Task Legacy_message_sets_are_up_converted(short version, byte magic)
    {
        await using var broker = new HandlerHarness();
        broker.CreateTopic("t");
        using var legacy = new LegacyMessageSetBuilder(magic, CompressionType.Gzip);
        legacy.Append(0, Now, "k"u8.ToArray(), "one"u8.ToArray());
        legacy.Append(1, Now, "k"u8.ToArray(), "two"u8.ToArray());
        var response = Single(await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", legacy.Build()), version));
        Assert.Equal((short)ErrorCode.None, response.ErrorCode);
        Assert.Equal(0, response.BaseOffset);
        var fetched = await broker.CallAsync<FetchResponse>(broker.Fetch, Fetch("t", 0), 11);
        var data = Assert.Single(Assert.Single(fetched!.Responses).Partitions);
        Assert.Equal(["one", "two"], Values(data.Records));
        Assert.Equal(RecordBatchHeader.CurrentMagic, data.Records!.Value.Span[RecordBatchHeader.MagicOffset]);
    }

    [Fact]
    public async Task Request_timeout_answers_request_timed_out_but_keeps_the_records()
    {
        await using var broker = new HandlerHarness();
        broker.Images.Broker(2, 9093);
        broker.Images.Topic("t", replicas: [1, 2]);
        broker.Publish();

        // ISR {1, 2}: the follower never fetches, so acks=all cannot complete.
        var response = Single(await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", Batch(CompressionType.None, "x"), acks: -1, timeoutMs: 50), 9));
        Assert.Equal((short)ErrorCode.RequestTimedOut, response.ErrorCode);
        Assert.Equal(0, response.BaseOffset);
        Assert.Equal(1, broker.Partition("t").LogEndOffset);
    }

    [Fact]
    public async Task Acks_all_below_min_insync_replicas_is_refused_before_appending()
    {
        await using var broker = new HandlerHarness();
        broker.Images.Broker(2, 9093);
        var id = broker.Images.Topic("t", replicas: [1, 2], configs: ("min.insync.replicas", "2"));
        broker.Images.Apply(new PartitionChangeRecord(id, 0, Isr: [1]));
        broker.Publish();
        var all = Single(await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", Batch(CompressionType.None, "x"), acks: -1), 9));
        Assert.Equal((short)ErrorCode.NotEnoughReplicas, all.ErrorCode);
        Assert.Equal(0, broker.Partition("t").LogEndOffset);
        var one = Single(await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", Batch(CompressionType.None, "x"), acks: 1), 9));
        Assert.Equal((short)ErrorCode.None, one.ErrorCode);

        // Kafka 4's min-ISR rule: the high watermark does not move while the ISR is too small.
        Assert.Equal(0, broker.Partition("t").HighWatermark);
    }

    [Fact]
    public async Task Min_insync_replicas_above_the_replication_factor_counts_as_the_replication_factor()
    {
        // Kafka's effectiveMinIsr: a single replica satisfies min.insync.replicas 2.
        await using var broker = new HandlerHarness();
        broker.CreateTopic("t", configs: ("min.insync.replicas", "2"));
        var all = Single(await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", Batch(CompressionType.None, "x"), acks: -1), 9));
        Assert.Equal((short)ErrorCode.None, all.ErrorCode);
        Assert.Equal(1, broker.Partition("t").HighWatermark);
    }

    [Fact]
    public async Task Pipelined_produces_keep_request_order()
    {
        await using var broker = new HandlerHarness();
        broker.CreateTopic("t");
        var pending = new List<Task<ProduceResponse?>>();
        for (int i = 0; i < 50; i++)
        {
            pending.Add(broker.StartAsync<ProduceResponse>(broker.Produce, Produce("t", Batch(CompressionType.None, $"m{i}")), 9));
        }

        var responses = await Task.WhenAll(pending);
        for (int i = 0; i < responses.Length; i++)
        {
            Assert.Equal(i, Single(responses[i]).BaseOffset);
        }
    }
    [Fact]
    public async Task Garbage_records_get_an_error_never_an_exception()
    {
        await using var broker = new HandlerHarness();
        broker.CreateTopic("t");
        var random = new Random(5);
        byte[] valid = Batch(CompressionType.Gzip, "a", "b", "c");
        using var legacyBuilder = new LegacyMessageSetBuilder(1, CompressionType.Snappy);
        legacyBuilder.Append(0, Now, null, "legacy"u8.ToArray());
        byte[] legacy = legacyBuilder.Build();
        for (int i = 0; i < 300; i++)
        {
            byte[] records = (i % 3) switch
            {
                0 => RandomBytes(random, random.Next(0, 200)),
                1 => Damage(random, valid),
                _ => Damage(random, legacy),
            };
            short version = (short)(i % 2 == 0 ? 2 : 9);
            var response = Single(await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", records), version));
            if (response.ErrorCode == (short)ErrorCode.None)
            {
                // A flip in a field the checksums do not cover (base offset, leader epoch) leaves a valid batch.
                Assert.True(response.BaseOffset >= 0);
            }
        }
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        byte[] bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static byte[] Damage(Random random, byte[] original)
    {
        byte[] copy = (byte[])original.Clone();
        int flips = 1 + random.Next(3);
        for (int f = 0; f < flips; f++)
        {
            copy[random.Next(copy.Length)] ^= (byte)(1 + random.Next(255));
        }

        return random.Next(4) == 0 ? copy[..random.Next(copy.Length)] : copy;
    }
}
