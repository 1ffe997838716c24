using System.Diagnostics;
using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Chronik.Broker.Tests.DataPath;

/// <summary>Confluent.Kafka 2.16 (librdkafka 2.16, in-process) against a chronik-server child process.</summary>
public class ConfluentClientTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public void The_bundled_librdkafka_is_loaded()
    {
        // A silent fallback to the system's librdkafka 2.0.2 would hide recent protocol versions (tests/Confluent.Kafka.targets).
        Assert.StartsWith("2.16.", Library.VersionString, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(CompressionType.None)]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public async Task Produce_and_consume_every_codec(CompressionType compression)
    {
        string topic = $"codec-{compression}-{Guid.NewGuid():N}".ToLowerInvariant();
        const int count = 500;
        using (var producer = Clients.Producer(server.Bootstrap, compression))
        {
            var sent = new List<Task<DeliveryResult<string, string>>>(count);
            for (int i = 0; i < count; i++)
            {
                sent.Add(producer.ProduceAsync(topic, new Message<string, string> { Key = $"k{i}", Value = $"{compression}-{i}" }));
            }

            var results = await Task.WhenAll(sent);
            Assert.All(results, r => Assert.Equal(PersistenceStatus.Persisted, r.Status));
            Assert.Equal(Enumerable.Range(0, count).Select(i => (long)i), results.Select(r => r.Offset.Value).Order());
        }

        var consumed = Clients.ConsumeAll(server.Bootstrap, topic, count, Offset.Beginning);
        Assert.Equal(count, consumed.Count);
        for (int i = 0; i < count; i++)
        {
            Assert.Equal(i, consumed[i].Offset.Value);
            Assert.Equal($"k{i}", consumed[i].Message.Key);
            Assert.Equal($"{compression}-{i}", consumed[i].Message.Value);
        }
    }

    [Fact]
    public async Task A_consumer_waiting_at_the_end_of_the_log_gets_a_new_record_before_max_wait()
    {
        string topic = $"longpoll-{Guid.NewGuid():N}";
        using var producer = Clients.Producer(server.Bootstrap);
        await producer.ProduceAsync(topic, new Message<string, string> { Key = "k", Value = "first" });

        // fetch.wait.max.ms 5 s: only the broker's wake-up on the produce can answer well before that.
        using var consumer = Clients.Consumer(server.Bootstrap, fetchWaitMaxMs: 5000);
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        Assert.Equal("first", ConsumeOne(consumer, TimeSpan.FromSeconds(30)).Message.Value);

        var clock = Stopwatch.StartNew();
        await producer.ProduceAsync(topic, new Message<string, string> { Key = "k", Value = "second" });
        var second = ConsumeOne(consumer, TimeSpan.FromSeconds(30));
        clock.Stop();
        Assert.Equal("second", second.Message.Value);
        Assert.True(clock.Elapsed < TimeSpan.FromMilliseconds(2500), $"the waiting consumer got the record after {clock.Elapsed.TotalMilliseconds:F0} ms (fetch.wait.max.ms 5000)");
    }

    [Fact]
    public async Task Offsets_for_times_and_watermarks()
    {
        string topic = $"times-{Guid.NewGuid():N}";
        long t0 = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 60_000;
        using (var producer = Clients.Producer(server.Bootstrap))
        {
            for (int i = 0; i < 10; i++)
            {
                await producer.ProduceAsync(topic, new Message<string, string> { Key = "k", Value = $"v{i}", Timestamp = new Timestamp(t0 + i * 1000, TimestampType.CreateTime) });
            }
        }

        using var consumer = Clients.Consumer(server.Bootstrap);
        var offsets = consumer.OffsetsForTimes(
            [
                new TopicPartitionTimestamp(topic, 0, new Timestamp(t0 + 4500, TimestampType.CreateTime)),
            ],
            TimeSpan.FromSeconds(10));
        Assert.Equal(5, Assert.Single(offsets).Offset.Value);

        var beyond = consumer.OffsetsForTimes([new TopicPartitionTimestamp(topic, 0, new Timestamp(t0 + 100_000, TimestampType.CreateTime))], TimeSpan.FromSeconds(10));
        Assert.Equal(Offset.End, Assert.Single(beyond).Offset);

        var watermarks = consumer.QueryWatermarkOffsets(new TopicPartition(topic, 0), TimeSpan.FromSeconds(10));
        Assert.Equal((0L, 10L), (watermarks.Low.Value, watermarks.High.Value));
    }

    [Fact]
    public async Task Delete_records_moves_the_low_watermark()
    {
        string topic = $"delete-{Guid.NewGuid():N}";
        using (var producer = Clients.Producer(server.Bootstrap))
        {
            for (int i = 0; i < 10; i++)
            {
                await producer.ProduceAsync(topic, new Message<string, string> { Key = "k", Value = $"v{i}" });
            }
        }

        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = Testing.Loopback.Bootstrap(server.Bootstrap) }).Build();
        var deleted = await admin.DeleteRecordsAsync([new TopicPartitionOffset(topic, 0, 6)]);
        Assert.Equal(6, Assert.Single(deleted).Offset.Value);

        using var consumer = Clients.Consumer(server.Bootstrap);
        var watermarks = consumer.QueryWatermarkOffsets(new TopicPartition(topic, 0), TimeSpan.FromSeconds(10));
        Assert.Equal((6L, 10L), (watermarks.Low.Value, watermarks.High.Value));
        var rest = Clients.ConsumeAll(server.Bootstrap, topic, 4, Offset.Beginning);
        Assert.Equal(["v6", "v7", "v8", "v9"], rest.Select(r => r.Message.Value));

        var beyond = await Assert.ThrowsAsync<DeleteRecordsException>(() => admin.DeleteRecordsAsync([new TopicPartitionOffset(topic, 0, 50)]));
        Assert.Equal(ErrorCode.OffsetOutOfRange, Assert.Single(beyond.Results).Error.Code);
    }

    [Fact]
    public async Task Acks_one_and_zero_also_deliver()
    {
        string topic = $"acks-{Guid.NewGuid():N}";
        using (var one = Clients.Producer(server.Bootstrap, acks: Acks.Leader))
        {
            Assert.Equal(PersistenceStatus.Persisted, (await one.ProduceAsync(topic, new Message<string, string> { Key = "k", Value = "one" })).Status);
        }

        using (var none = Clients.Producer(server.Bootstrap, acks: Acks.None))
        {
            var result = await none.ProduceAsync(topic, new Message<string, string> { Key = "k", Value = "zero" });
            Assert.Equal(PersistenceStatus.PossiblyPersisted, result.Status);
            none.Flush(TimeSpan.FromSeconds(10));
        }

        var consumed = Clients.ConsumeAll(server.Bootstrap, topic, 2, Offset.Beginning);
        Assert.Equal(["one", "zero"], consumed.Select(r => r.Message.Value));
    }

    private static ConsumeResult<string, string> ConsumeOne(IConsumer<string, string> consumer, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { IsPartitionEOF: false, Message: not null } result)
            {
                return result;
            }
        }

        throw new TimeoutException($"nothing consumed within {timeout}");
    }
}
