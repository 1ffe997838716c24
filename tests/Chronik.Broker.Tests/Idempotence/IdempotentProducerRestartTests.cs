using System.Collections.Concurrent;
using Chronik.Broker.Tests.DataPath;
using Chronik.Testing;
using Confluent.Kafka;

namespace Chronik.Broker.Tests.Idempotence;

/// <summary>
/// Issue 9, test (a): librdkafka's idempotent producer (Confluent.Kafka 2.16, enable.idempotence=true, acks=all)
/// writes a known sequence to three partitions while the broker is stopped and restarted under it, cleanly
/// (SIGTERM) and by kill -9, several times, on the same data directory and ports. The producer retries whatever was
/// in flight; afterwards every partition holds every message exactly once, in order: no duplicates (retries of
/// batches the broker had appended were recognised, also after a crash) and no gaps (nothing was lost or skipped).
/// </summary>
public class IdempotentProducerRestartTests
{
    private const string Topic = "idempotent";
    private const int Partitions = 3;
    private const int PerPartition = 2500;
    private const int MaxOutstanding = 300;
    private static readonly Signal[] Restarts = [Signal.Term, Signal.Kill, Signal.Term, Signal.Kill, Signal.Kill];

    [Fact]
    public async Task An_idempotent_producer_across_clean_and_kill_9_restarts_leaves_no_duplicates_and_no_gaps()
    {
        Assert.StartsWith("2.16.", Library.VersionString, StringComparison.Ordinal);
        using var data = new TempDirectory("idempotence");
        var options = new BrokerProcessOptions { DataDirectory = data.Path };
        var broker = await BrokerProcess.StartAsync(options);
        options.KafkaPort = broker.KafkaPort;
        options.HttpPort = broker.HttpPort;
        options.RaftPort = broker.RaftPort;
        try
        {
            using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = Loopback.Bootstrap(broker.BootstrapServers) }).Build())
            {
                await admin.CreateTopicsAsync([new Confluent.Kafka.Admin.TopicSpecification { Name = Topic, NumPartitions = Partitions, ReplicationFactor = 1 }]);
            }

            var run = new ProducerRun(broker.BootstrapServers);
            var producing = Task.Run(run.ProduceAllAsync);
            int total = Partitions * PerPartition;
            for (int i = 0; i < Restarts.Length; i++)
            {
                int target = total * (i + 1) / (Restarts.Length + 2);
                await Wait.UntilAsync(() => run.Delivered >= target || run.Failed, $"{target} messages were delivered before restart {i + 1} (delivered {run.Delivered})", TimeSpan.FromSeconds(120));
                Assert.False(run.Failed, run.Describe());

                broker.Send(Restarts[i]);
                await broker.WaitForExitAsync(TimeSpan.FromSeconds(60));
                await broker.DisposeAsync();
                broker = await BrokerProcess.StartAsync(options);
            }

            await producing.WaitAsync(TimeSpan.FromMinutes(3));
            await Wait.UntilAsync(() => run.Delivered >= total || run.Failed, "every message was delivered", TimeSpan.FromMinutes(3));
            Assert.True(run.Errors.IsEmpty, run.Describe());
            Assert.Equal(total, run.Delivered);
            run.Dispose();

            for (int p = 0; p < Partitions; p++)
            {
                VerifyPartition(broker, p);
            }
        }
        finally
        {
            await broker.DisposeAsync();
        }
    }

    private static void VerifyPartition(BrokerProcess broker, int partition)
    {
        using (var consumer = Clients.Consumer(broker.BootstrapServers))
        {
            var watermarks = consumer.QueryWatermarkOffsets(new TopicPartition(Topic, partition), TimeSpan.FromSeconds(30));
            Assert.True(watermarks.High.Value == PerPartition, $"partition {partition} holds {watermarks.High.Value} records, {PerPartition} were produced");
        }

        var records = Clients.ConsumeAll(broker.BootstrapServers, Topic, PerPartition, Offset.Beginning, TimeSpan.FromSeconds(90), partition);
        Assert.Equal(PerPartition, records.Count);
        for (int i = 0; i < records.Count; i++)
        {
            string expected = Value(partition, i);
            Assert.True(records[i].Message.Value == expected, $"partition {partition}, offset {records[i].Offset.Value}: {records[i].Message.Value}, expected {expected}");
        }
    }

    private static string Value(int partition, int sequence) => $"p{partition}-{sequence:D6}";

    /// <summary>One idempotent producer for the whole test, paced so that batches are in flight whenever the broker goes down.</summary>
    private sealed class ProducerRun : IDisposable
    {
        private readonly IProducer<string, string> _producer;
        private readonly ConcurrentQueue<string> _log = new();
        private int _delivered;
        private int _outstanding;
        private volatile bool _fatal;

        public ProducerRun(string bootstrap)
        {
            _producer = new ProducerBuilder<string, string>(new ProducerConfig
            {
                BootstrapServers = Loopback.Bootstrap(bootstrap),
                EnableIdempotence = true,
                Acks = Acks.All,
                MaxInFlight = 5,
                LingerMs = 2,
                BatchNumMessages = 40,
                MessageTimeoutMs = 240_000,
                RequestTimeoutMs = 10_000,
                SocketTimeoutMs = 10_000,
                RetryBackoffMs = 50,
                RetryBackoffMaxMs = 500,
                ReconnectBackoffMs = 50,
                ReconnectBackoffMaxMs = 500,
            })
                .SetErrorHandler((_, error) =>
                {
                    _log.Enqueue($"error: {error.Code} {error.Reason} (fatal={error.IsFatal})");
                    if (error.IsFatal)
                    {
                        _fatal = true;
                    }
                })
                .Build();
        }

        public int Delivered => Volatile.Read(ref _delivered);

        public ConcurrentQueue<string> Errors { get; } = new();

        public bool Failed => _fatal || !Errors.IsEmpty;

        public async Task ProduceAllAsync()
        {
            for (int sequence = 0; sequence < PerPartition; sequence++)
            {
                for (int p = 0; p < Partitions; p++)
                {
                    while (Volatile.Read(ref _outstanding) >= MaxOutstanding && !Failed)
                    {
                        await Task.Delay(2);
                    }

                    if (Failed)
                    {
                        return;
                    }

                    Interlocked.Increment(ref _outstanding);
                    _producer.Produce(new TopicPartition(Topic, p), new Message<string, string> { Key = $"p{p}", Value = Value(p, sequence) }, OnDelivered);
                }
            }
        }

        public string Describe() =>
            $"delivered {Delivered}, errors: {string.Join("; ", Errors.Take(10))}; client log: {string.Join("; ", _log.Take(20))}";

        public void Dispose()
        {
            _producer.Flush(TimeSpan.FromSeconds(30));
            _producer.Dispose();
        }

        private void OnDelivered(DeliveryReport<string, string> report)
        {
            Interlocked.Decrement(ref _outstanding);
            if (report.Error.IsError)
            {
                Errors.Enqueue($"{report.Message.Value}: {report.Error.Code} {report.Error.Reason}");
            }
            else
            {
                Interlocked.Increment(ref _delivered);
            }
        }
    }
}
