using System.Text;
using Confluent.Kafka;

namespace Chronik.Protocol.Tests.Golden;

/// <summary>Runs Confluent.Kafka (librdkafka) in-process against a <see cref="RecordingBroker"/> and returns what it sent.</summary>
internal static class LibrdkafkaCapture
{
    public const string ClientId = "chronik-golden";
    public const string Topic = "golden";
    public const string Key = "key-1";
    public const int TimeoutMs = 15000;

    /// <summary>Compressible on purpose: librdkafka sends a batch uncompressed when compression would not shrink it.</summary>
    public static readonly string Value = string.Concat(Enumerable.Repeat("chronik golden value ", 20));

    public static async Task<IReadOnlyList<CapturedRequest>> ProduceOneAsync(CompressionType compression)
    {
        await using var broker = new RecordingBroker();
        var config = new ProducerConfig
        {
            BootstrapServers = broker.Bootstrap,
            ClientId = ClientId,
            CompressionType = compression,
            Acks = Acks.Leader,
            EnableIdempotence = false,
            LingerMs = 0,
            RequestTimeoutMs = TimeoutMs,
            MessageTimeoutMs = 60000,
        };
        var log = new StringBuilder();
        using (IProducer<string, string> producer = new ProducerBuilder<string, string>(config)
                   .SetLogHandler((_, message) => { lock (log) { log.AppendLine(message.Message); } })
                   .Build())
        {
            var message = new Message<string, string>
            {
                Key = Key,
                Value = Value,
                Headers = [new Header("trace", Encoding.UTF8.GetBytes("abc"))],
                Timestamp = new Timestamp(new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc), TimestampType.CreateTime),
            };
            DeliveryResult<string, string> result = await producer.ProduceAsync(Topic, message).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(result.Status == PersistenceStatus.Persisted, $"delivery {result.Status}; client log:\n{log}");
            Assert.Equal(0, result.Offset.Value);
        }

        return broker.Requests;
    }
}
