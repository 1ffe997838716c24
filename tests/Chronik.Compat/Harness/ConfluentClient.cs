using Chronik.Testing;
using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Chronik.Compat.Harness;

/// <summary>
/// Confluent.Kafka 2.16 (librdkafka 2.16, in-process). Besides being a client under test, it is the
/// tests' reference for setup and checks: creating topics for clients without admin APIs, reading
/// metadata (all topics, so nothing is auto-created) and reading a topic back.
/// </summary>
public sealed class ConfluentClient : ICompatClient, IDisposable
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ConsumeDeadline = TimeSpan.FromMinutes(4);

    private readonly string _bootstrap;
    private readonly IAdminClient _admin;

    public ConfluentClient(string bootstrap)
    {
        _bootstrap = Loopback.Bootstrap(bootstrap);
        _admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = _bootstrap, ClientId = "chronik-compat-admin" })
            .SetLogHandler((_, _) => { })
            .Build();
    }

    public string Name => "Confluent.Kafka";

    public RecordShape Shape => RecordShape.Full;

    public bool ReportsLatestWhenNoRecordAtTimestamp => false;

    public IAdminClient Admin => _admin;

    public async Task CreateTopicAsync(string topic, int partitions) =>
        await _admin.CreateTopicsAsync(
            [new TopicSpecification { Name = topic, NumPartitions = partitions, ReplicationFactor = 1 }],
            new CreateTopicsOptions { RequestTimeout = RequestTimeout, OperationTimeout = RequestTimeout });

    public ProducerConfig ProducerConfig(Codec codec) => new()
    {
        BootstrapServers = _bootstrap,
        ClientId = "chronik-compat-producer",
        Acks = Acks.All,
        CompressionType = codec switch
        {
            Codec.None => CompressionType.None,
            Codec.Gzip => CompressionType.Gzip,
            Codec.Snappy => CompressionType.Snappy,
            Codec.Lz4 => CompressionType.Lz4,
            Codec.Zstd => CompressionType.Zstd,
            _ => throw new ArgumentOutOfRangeException(nameof(codec)),
        },
        LingerMs = 5,
        BatchSize = 1_000_000,
        MessageTimeoutMs = 120_000,
    };

    public async Task<ProduceOutcome> ProduceAsync(string topic, Codec codec, RecordSet records)
    {
        long started = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        using var producer = new ProducerBuilder<byte[], byte[]>(ProducerConfig(codec)).SetLogHandler((_, _) => { }).Build();
        int delivered = 0;
        Error? firstError = null;
        foreach (var record in records.Records)
        {
            var message = ToMessage(record);
            while (true)
            {
                try
                {
                    producer.Produce(topic, message, report =>
                    {
                        if (report.Error.IsError)
                        {
                            Interlocked.CompareExchange(ref firstError, report.Error, null);
                        }
                        else
                        {
                            Interlocked.Increment(ref delivered);
                        }
                    });
                    break;
                }
                catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(50));
                }
            }
        }

        if (producer.Flush(TimeSpan.FromMinutes(3)) != 0)
        {
            throw new TimeoutException($"Confluent.Kafka: {records.Count - delivered} records still undelivered after 3 minutes");
        }

        if (firstError is not null || delivered != records.Count)
        {
            throw new InvalidOperationException($"Confluent.Kafka: {delivered} of {records.Count} delivered; first error: {firstError}");
        }

        await Task.CompletedTask;
        return new ProduceOutcome(started, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }

    public static Message<byte[], byte[]> ToMessage(TestRecord record)
    {
        var headers = new Headers();
        foreach (var header in record.Headers)
        {
            headers.Add(header.Name, header.Value);
        }

        return new Message<byte[], byte[]>
        {
            Key = record.Key,
            Value = record.Value,
            Headers = headers,
            Timestamp = record.Timestamp is { } ms ? new Timestamp(ms, TimestampType.CreateTime) : Timestamp.Default,
        };
    }

    public Task<IReadOnlyList<ConsumedRecord>> ConsumeAsync(string topic, int expectedCount) =>
        Task.Run(() => ReadAll(topic, expectedCount));

    /// <summary>Every record of every partition from the beginning up to the high watermark read now.</summary>
    public IReadOnlyList<ConsumedRecord> ReadAll(string topic, int expectedCount = 0)
    {
        int partitions = PartitionCount(topic) ?? throw new InvalidOperationException($"{topic} is not in Metadata");
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = _bootstrap,
            ClientId = "chronik-compat-consumer",
            GroupId = "chronik-compat-reader",
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            FetchMaxBytes = 16 * 1024 * 1024,
            MaxPartitionFetchBytes = 4 * 1024 * 1024,
        }).SetLogHandler((_, _) => { }).Build();
        var remaining = new Dictionary<int, long>();
        for (int p = 0; p < partitions; p++)
        {
            long high = consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), RequestTimeout).High.Value;
            if (high > 0)
            {
                remaining[p] = high;
            }
        }

        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var consumed = new List<ConsumedRecord>(expectedCount);
        var deadline = DateTime.UtcNow + ConsumeDeadline;
        while (remaining.Count > 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Confluent.Kafka consumed {consumed.Count} records of {topic}; still waiting on partitions {string.Join(", ", remaining.Select(r => $"{r.Key} (high {r.Value})"))}");
            }

            var result = consumer.Consume(TimeSpan.FromMilliseconds(500));
            if (result?.Message is not { } message)
            {
                continue;
            }

            consumed.Add(FromMessage(result.Partition.Value, result.Offset.Value, message));
            if (remaining.TryGetValue(result.Partition.Value, out long end) && result.Offset.Value + 1 >= end)
            {
                remaining.Remove(result.Partition.Value);
            }
        }

        consumer.Close();
        return consumed;
    }

    public static ConsumedRecord FromMessage(int partition, long offset, Message<byte[], byte[]> message)
    {
        var headers = new List<TestHeader>();
        foreach (var header in message.Headers ?? [])
        {
            headers.Add(new TestHeader(header.Key, header.GetValueBytes()));
        }

        return new ConsumedRecord(
            partition,
            offset,
            message.Timestamp.UnixTimestampMs,
            message.Timestamp.Type switch
            {
                TimestampType.CreateTime => TimestampKind.CreateTime,
                TimestampType.LogAppendTime => TimestampKind.LogAppendTime,
                _ => TimestampKind.NotAvailable,
            },
            message.Key,
            message.Value,
            headers);
    }

    public async Task<IReadOnlyList<PartitionOffsets>> ListOffsetsAsync(string topic, IReadOnlyList<long> timestamps)
    {
        int partitions = PartitionCount(topic) ?? throw new InvalidOperationException($"{topic} is not in Metadata");
        var options = new ListOffsetsOptions { RequestTimeout = RequestTimeout };
        var earliest = await ListAsync(topic, partitions, OffsetSpec.Earliest(), options);
        var latest = await ListAsync(topic, partitions, OffsetSpec.Latest(), options);
        var byTimestamp = new List<Dictionary<int, long>>();
        foreach (long timestamp in timestamps)
        {
            byTimestamp.Add(await ListAsync(topic, partitions, OffsetSpec.ForTimestamp(timestamp), options));
        }

        return Enumerable.Range(0, partitions)
            .Select(p => new PartitionOffsets(p, earliest[p], latest[p], timestamps.Select((t, i) => new TimestampOffset(t, byTimestamp[i][p])).ToList()))
            .ToList();
    }

    public async Task<IReadOnlyDictionary<string, string?>> DescribeTopicConfigsAsync(string topic)
    {
        var results = await _admin.DescribeConfigsAsync(
            [new ConfigResource { Type = ResourceType.Topic, Name = topic }],
            new DescribeConfigsOptions { RequestTimeout = RequestTimeout });
        return results.Single().Entries.ToDictionary(e => e.Key, e => (string?)e.Value.Value);
    }

    /// <summary>Through IncrementalAlterConfigs (KIP-339) with a SET operation.</summary>
    public async Task AlterTopicConfigAsync(string topic, string name, string value) =>
        await _admin.IncrementalAlterConfigsAsync(
            new Dictionary<ConfigResource, List<ConfigEntry>>
            {
                [new ConfigResource { Type = ResourceType.Topic, Name = topic }] =
                    [new ConfigEntry { Name = name, Value = value, IncrementalOperation = AlterConfigOpType.Set }],
            },
            new IncrementalAlterConfigsOptions { RequestTimeout = RequestTimeout });

    public async Task DeleteTopicAsync(string topic) =>
        await _admin.DeleteTopicsAsync([topic], new DeleteTopicsOptions { RequestTimeout = RequestTimeout, OperationTimeout = RequestTimeout });

    /// <summary>The topic's partition count from a Metadata request for all topics (never auto-creates), or null when it is absent.</summary>
    public int? PartitionCount(string topic)
    {
        var metadata = _admin.GetMetadata(TimeSpan.FromSeconds(20));
        var found = metadata.Topics.FirstOrDefault(t => t.Topic == topic);
        return found is null || found.Error.Code == ErrorCode.UnknownTopicOrPart ? null : found.Partitions.Count;
    }

    /// <summary>The topic's partitions (id, leader) from a Metadata request for all topics, or null when it is absent.</summary>
    public TopicMetadata? TopicMetadata(string topic) =>
        _admin.GetMetadata(TimeSpan.FromSeconds(20)).Topics.FirstOrDefault(t => t.Topic == topic && t.Error.Code != ErrorCode.UnknownTopicOrPart);

    public void Dispose() => _admin.Dispose();

    public override string ToString() => Name;

    private async Task<Dictionary<int, long>> ListAsync(string topic, int partitions, OffsetSpec spec, ListOffsetsOptions options)
    {
        var result = await _admin.ListOffsetsAsync(
            Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffsetSpec { TopicPartition = new TopicPartition(topic, p), OffsetSpec = spec }),
            options);
        return result.ResultInfos.ToDictionary(r => r.TopicPartitionOffsetError.Partition.Value, r => r.TopicPartitionOffsetError.Offset.Value);
    }
}
