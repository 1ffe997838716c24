using Confluent.Kafka;
using Chronik.Testing;

namespace Chronik.Bench.Workloads;

/// <summary>
/// Client configurations, identical for every target. Every bootstrap list passes the loopback guard
/// here, before any client sees it. Settings that differ from librdkafka's defaults are listed in
/// <see cref="Describe"/> so reports state them.
/// </summary>
public static class ClientSettings
{
    public const string ClientId = "chronik-bench";

    /// <summary>How long a record may wait for its acknowledgement before the client gives up on it.</summary>
    public const int MessageTimeoutMs = 30_000;

    public static string Describe =>
        "Confluent.Kafka producer and consumer, one of each per measurement; socket.nagle.disable=true; " +
        $"enable.idempotence=false; message.timeout.ms={MessageTimeoutMs}; consumers assign partitions (no group protocol), " +
        "enable.auto.commit=false; everything else librdkafka's defaults (batch.size 1,000,000, batch.num.messages 10,000, " +
        "fetch.wait.max.ms 500, fetch.max.bytes 52,428,800) unless a scenario says otherwise";

    public static AdminClientConfig Admin(string bootstrapServers) => new()
    {
        BootstrapServers = Loopback.Bootstrap(bootstrapServers),
        ClientId = ClientId,
        SocketNagleDisable = true,
    };

    public static ProducerConfig Producer(string bootstrapServers, ProduceSettings settings) => new()
    {
        BootstrapServers = Loopback.Bootstrap(bootstrapServers),
        ClientId = ClientId,
        Acks = settings.Acks,
        CompressionType = settings.Codec,
        LingerMs = settings.LingerMs,
        BatchSize = settings.BatchSize,
        EnableIdempotence = false,
        MessageTimeoutMs = MessageTimeoutMs,
        SocketNagleDisable = true,
        QueueBufferingMaxMessages = 1_000_000,
        DeliveryReportFields = "status",
    };

    public static ConsumerConfig Consumer(string bootstrapServers) => new()
    {
        BootstrapServers = Loopback.Bootstrap(bootstrapServers),
        ClientId = ClientId,
        GroupId = ClientId,
        EnableAutoCommit = false,
        EnableAutoOffsetStore = false,
        EnablePartitionEof = true,
        AutoOffsetReset = AutoOffsetReset.Earliest,
        AllowAutoCreateTopics = false,
        SocketNagleDisable = true,
    };
}

/// <summary>What a producer sends: record value size and the producer settings that shape batches.</summary>
public sealed record ProduceSettings(int RecordSize, Acks Acks, CompressionType Codec, double LingerMs, int? BatchSize)
{
    public string Describe() =>
        $"{RecordSize} B records, acks={AcksName(Acks)}, compression={Codec.ToString().ToLowerInvariant()}, linger.ms={LingerMs:0.##}" +
        (BatchSize is { } b ? $", batch.size={b}" : string.Empty);

    public static string AcksName(Acks acks) => acks switch
    {
        Acks.All => "all",
        Acks.Leader => "1",
        Acks.None => "0",
        _ => acks.ToString(),
    };
}
