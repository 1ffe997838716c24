using Chronik.Testing;
using Confluent.Kafka;

namespace Chronik.Broker.Tests.DataPath;

/// <summary>One chronik-server child process (free loopback ports, own data directory) shared by a test class.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private BrokerProcess? _broker;

    public BrokerProcess Broker => _broker ?? throw new InvalidOperationException("not started");

    public string Bootstrap => Loopback.Address(Broker.KafkaPort);

    public async Task InitializeAsync() => _broker = await BrokerProcess.StartAsync();

    public async Task DisposeAsync()
    {
        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }
    }
}

/// <summary>Confluent.Kafka clients configured for tests: loopback only, quick timeouts, no consumer group.</summary>
internal static class Clients
{
    public static IProducer<string, string> Producer(string bootstrap, CompressionType compression = CompressionType.None, Acks acks = Acks.All, int messageTimeoutMs = 30_000) =>
        new ProducerBuilder<string, string>(new ProducerConfig
        {
            BootstrapServers = Loopback.Bootstrap(bootstrap),
            CompressionType = compression,
            Acks = acks,
            LingerMs = 5,
            MessageTimeoutMs = messageTimeoutMs,
            SocketTimeoutMs = 10_000,
        }).Build();

    /// <summary>
    /// A consumer that assigns its partitions itself and never commits: Confluent.Kafka insists on a group.id, but
    /// nothing here uses the group (the group APIs are another issue's).
    /// </summary>
    public static IConsumer<string, string> Consumer(string bootstrap, int fetchWaitMaxMs = 100) =>
        new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = Loopback.Bootstrap(bootstrap),
            GroupId = "assign-only",
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            FetchWaitMaxMs = fetchWaitMaxMs,
            SocketTimeoutMs = 10_000,
        }).Build();

    /// <summary>Consumes from <paramref name="start"/> until <paramref name="count"/> records arrived (or the timeout).</summary>
    public static List<ConsumeResult<string, string>> ConsumeAll(string bootstrap, string topic, int count, Offset start, TimeSpan? timeout = null, int partition = 0)
    {
        using var consumer = Consumer(bootstrap);
        consumer.Assign(new TopicPartitionOffset(topic, partition, start));
        var results = new List<ConsumeResult<string, string>>(count);
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (results.Count < count && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false, Message: not null } result)
            {
                results.Add(result);
            }
        }

        return results;
    }
}
