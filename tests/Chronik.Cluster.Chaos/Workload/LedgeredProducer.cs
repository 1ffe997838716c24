using Chronik.Cluster.Chaos.Checking;
using Chronik.Cluster.Chaos.Run;
using Confluent.Kafka;

namespace Chronik.Cluster.Chaos.Workload;

/// <summary>
/// A librdkafka producer (acks=all) writing its known sequence at a steady rate: record n has the value
/// <see cref="RecordValue.Encode"/>(id, n) and goes to partition n mod partitions. Its ledger records
/// every sequence handed to the client and every delivery report. Idempotent producers run with
/// enable.idempotence=true; the plain one with max.in.flight=1 so retries cannot reorder it.
/// </summary>
public sealed class LedgeredProducer : IDisposable
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(20);

    private readonly IProducer<Null, byte[]> _producer;
    private readonly string _topic;
    private readonly int _partitions;
    private readonly int _valueSize;
    private readonly double _recordsPerSecond;
    private readonly EventLog _log;

    public LedgeredProducer(ProducerLedger ledger, string bootstrap, string topic, int partitions, int valueSize, double recordsPerSecond, EventLog log)
    {
        Ledger = ledger;
        _topic = topic;
        _partitions = partitions;
        _valueSize = valueSize;
        _recordsPerSecond = recordsPerSecond;
        _log = log;
        _producer = new ProducerBuilder<Null, byte[]>(Config(bootstrap, ledger.ProducerId, ledger.Idempotent))
            .SetLogHandler((_, m) => log.Detail($"[{ledger.ProducerId}] librdkafka {m.Level} {m.Facility}: {m.Message}"))
            .SetErrorHandler((_, e) =>
            {
                log.Detail($"[{ledger.ProducerId}] error {e.Code}{(e.IsFatal ? " (fatal)" : "")}: {e.Reason}");
                if (e.IsFatal)
                {
                    ledger.Fatal($"{e.Code}: {e.Reason}");
                }
            })
            .Build();
    }

    public ProducerLedger Ledger { get; }

    /// <summary>librdkafka settings of a chaos producer; the probe uses them too.</summary>
    public static ProducerConfig Config(string bootstrap, string producerId, bool idempotent) => new()
    {
        BootstrapServers = bootstrap,
        ClientId = $"chaos-{producerId}",
        Acks = Acks.All,
        EnableIdempotence = idempotent,
        // Order across retries: idempotence keeps up to 5 in flight in order; without it only one request may be.
        MaxInFlight = idempotent ? 5 : 1,
        LingerMs = 5,
        // A request to a frozen leader is given up (and retried elsewhere) after 10 s, not the default 30 s.
        RequestTimeoutMs = 10_000,
        // Long enough that every record sent during the faults gets its answer from the recovered cluster.
        MessageTimeoutMs = 120_000,
        RetryBackoffMs = 100,
        RetryBackoffMaxMs = 1_000,
        ReconnectBackoffMs = 50,
        ReconnectBackoffMaxMs = 1_000,
        TopicMetadataRefreshIntervalMs = 5_000,
    };

    /// <summary>Sends at the configured rate until <paramref name="stop"/> fires.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        DateTime started = DateTime.UtcNow;
        long handed = 0;
        while (!stop.IsCancellationRequested)
        {
            long due = (long)((DateTime.UtcNow - started).TotalSeconds * _recordsPerSecond);
            while (handed < due && !stop.IsCancellationRequested)
            {
                if (!TrySendOne())
                {
                    break;
                }

                handed++;
            }

            try
            {
                await Task.Delay(Tick, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Waits for the delivery report of every record sent; returns how many are still without one.</summary>
    public int Flush(TimeSpan timeout) => _producer.Flush(timeout);

    public void Dispose() => _producer.Dispose();

    private bool TrySendOne()
    {
        long sequence = Ledger.NextSequence();
        int partition = RecordValue.PartitionOf(sequence, _partitions);
        var message = new Message<Null, byte[]> { Value = RecordValue.Encode(Ledger.ProducerId, sequence, _valueSize) };
        try
        {
            _producer.Produce(new TopicPartition(_topic, partition), message, report =>
            {
                if (report.Error.IsError)
                {
                    _log.Detail($"[{Ledger.ProducerId}] #{sequence} failed: {report.Error.Code} {report.Error.Reason} ({report.Status})");
                    Ledger.Failed(sequence);
                }
                else
                {
                    Ledger.Acknowledged(sequence, report.Partition.Value, report.Offset.Value < 0 ? -1 : report.Offset.Value);
                }
            });
            return true;
        }
        catch (ProduceException<Null, byte[]> e)
        {
            // Not taken by the client (a full queue while a leader is away, or a fatal error the error
            // handler records): the sequence was never sent and is handed out again next tick.
            Ledger.Return(sequence);
            if (e.Error.Code != ErrorCode.Local_QueueFull)
            {
                _log.Detail($"[{Ledger.ProducerId}] produce refused: {e.Error.Code} {e.Error.Reason}");
            }

            return false;
        }
    }
}
