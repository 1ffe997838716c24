using System.Diagnostics;
using Chronik.Testing;
using Confluent.Kafka;

namespace Chronik.Cluster.Integration.Harness;

/// <summary>How one record's produce ended: the broker's (or librdkafka's) error, the offset, and how long it took.</summary>
public readonly record struct SingleProduceOutcome(ErrorCode Error, long Offset, TimeSpan Elapsed);

/// <summary>Produces single records with a Confluent.Kafka producer that does not retry, so the first answer is what the test sees.</summary>
public static class SingleRecord
{
    /// <summary>
    /// Produces one record with <paramref name="acks"/>, without retries or idempotence: a broker error (such as
    /// NOT_ENOUGH_REPLICAS) comes back as the delivery error. The produce request's timeout is
    /// <paramref name="requestTimeout"/> and librdkafka gives up after <paramref name="messageTimeout"/>.
    /// </summary>
    public static async Task<SingleProduceOutcome> ProduceAsync(
        string bootstrap, string topic, Acks acks, string value, TimeSpan? requestTimeout = null, TimeSpan? messageTimeout = null)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = Loopback.Bootstrap(bootstrap),
            Acks = acks,
            EnableIdempotence = false,
            MessageSendMaxRetries = 0,
            RequestTimeoutMs = (int)(requestTimeout ?? TimeSpan.FromSeconds(10)).TotalMilliseconds,
            MessageTimeoutMs = (int)(messageTimeout ?? TimeSpan.FromSeconds(30)).TotalMilliseconds,
        };
        using IProducer<Null, string> producer = new ProducerBuilder<Null, string>(config).Build();
        var stopwatch = Stopwatch.StartNew();
        try
        {
            DeliveryResult<Null, string> result = await producer.ProduceAsync(topic, new Message<Null, string> { Value = value });
            return new SingleProduceOutcome(ErrorCode.NoError, result.Offset.Value, stopwatch.Elapsed);
        }
        catch (ProduceException<Null, string> e)
        {
            return new SingleProduceOutcome(e.Error.Code, -1, stopwatch.Elapsed);
        }
    }
}
