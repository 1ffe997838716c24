using Chronik.Testing;
using Confluent.Kafka;

namespace Chronik.Transactions.Tests;

/// <summary>
/// The exactly-once application of the consume-transform-produce test (KIP-98/KIP-447), as a stream processor
/// writes it with Confluent.Kafka: read a batch from the input topic (read_committed, no auto commit), and in one
/// transaction write each record transformed ("out-" + value, same key) to the output topic and commit the
/// consumer's positions with SendOffsetsToTransaction. It runs until killed; after each committed transaction it
/// prints "committed N" (records in that transaction) so the test knows it makes progress.
/// </summary>
public sealed class ConsumeTransformProduceApp(string bootstrap, string input, string output, string group, string transactionalId, int batchSize)
{
    public const string Verb = "ctp";

    public int Run()
    {
        Loopback.Bootstrap(bootstrap);
        var consumerConfig = new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = group,
            // Static membership: the restarted application takes its place without waiting for a session timeout.
            // The session timeout stays Kafka's default (45 s), longer than a coordinator failover: when it expires on
            // the client, librdkafka rejoins the static member with an empty member id and is fenced for good
            // (librdkafka issue #3437).
            GroupInstanceId = "ctp-app",
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            IsolationLevel = IsolationLevel.ReadCommitted,
        };
        var producerConfig = new ProducerConfig
        {
            BootstrapServers = bootstrap,
            TransactionalId = transactionalId,
            TransactionTimeoutMs = 30_000,
            LingerMs = 5,
        };
        // CTP_DEBUG (librdkafka debug contexts, e.g. "eos,protocol") makes a failed run's output say what the client did.
        if (Environment.GetEnvironmentVariable("CTP_DEBUG") is { Length: > 0 } debug)
        {
            consumerConfig.Debug = debug;
            producerConfig.Debug = debug;
        }

        using IConsumer<string, string> consumer = new ConsumerBuilder<string, string>(consumerConfig)
            .SetLogHandler((_, m) => Log("consumer", m.Level, m.Facility, m.Message))
            .SetErrorHandler((_, e) => Log("consumer", SyslogLevel.Error, e.Code.ToString(), e.Reason))
            .Build();
        using IProducer<string, string> producer = new ProducerBuilder<string, string>(producerConfig)
            .SetLogHandler((_, m) => Log("producer", m.Level, m.Facility, m.Message))
            .SetErrorHandler((_, e) => Log("producer", SyslogLevel.Error, e.Code.ToString(), e.Reason))
            .Build();
        producer.InitTransactions(TimeSpan.FromSeconds(60));
        consumer.Subscribe(input);
        Console.WriteLine("started");
        var batch = new List<ConsumeResult<string, string>>(batchSize);
        while (true)
        {
            batch.Clear();
            while (batch.Count < batchSize && consumer.Consume(TimeSpan.FromMilliseconds(batch.Count == 0 ? 500 : 20)) is { } record)
            {
                if (!record.IsPartitionEOF)
                {
                    batch.Add(record);
                }
            }

            if (batch.Count == 0)
            {
                continue;
            }

            producer.BeginTransaction();
            foreach (ConsumeResult<string, string> record in batch)
            {
                producer.Produce(output, new Message<string, string> { Key = record.Message.Key, Value = "out-" + record.Message.Value });
            }

            var positions = batch
                .GroupBy(r => r.TopicPartition)
                .Select(g => new TopicPartitionOffset(g.Key, g.Max(r => r.Offset.Value) + 1))
                .ToList();
            producer.SendOffsetsToTransaction(positions, consumer.ConsumerGroupMetadata, TimeSpan.FromSeconds(60));
            producer.CommitTransaction(TimeSpan.FromSeconds(60));
            Console.WriteLine($"committed {batch.Count} {DateTime.UtcNow:HH:mm:ss.fff}");
        }
    }

    private static void Log(string client, SyslogLevel level, string facility, string message) =>
        Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {client} {level} {facility}: {message}");
}
