using System.Diagnostics;
using Chronik.Cluster.Chaos.Checking;
using Chronik.Cluster.Chaos.Run;
using Confluent.Kafka;

namespace Chronik.Cluster.Chaos.Workload;

/// <summary>
/// Measures when the cluster serves again: one acks=all record to every partition, each then fetched
/// back at its acknowledged offset; repeated until a whole round succeeds. librdkafka retries each
/// record itself (new leader from refreshed metadata, 100 ms backoff) for up to 30 s, so a round ends
/// as soon as the last partition took its record, as a real client would see it. Its records are
/// ordinary ledgered records of producer "probe" (plain, max.in.flight=1), checked like the others.
/// Client and connections are set up before the faults end, so only the cluster's recovery is measured.
/// </summary>
public sealed class ServingProbe : IDisposable
{
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan FetchTimeout = TimeSpan.FromSeconds(10);

    private readonly IProducer<Null, byte[]> _producer;
    private readonly IConsumer<Ignore, byte[]> _consumer;
    private readonly string _topic;
    private readonly int _partitions;
    private readonly int _valueSize;
    private readonly EventLog _log;

    public ServingProbe(ProducerLedger ledger, string bootstrap, string topic, int partitions, int valueSize, EventLog log)
    {
        Ledger = ledger;
        _topic = topic;
        _partitions = partitions;
        _valueSize = valueSize;
        _log = log;
        ProducerConfig config = LedgeredProducer.Config(bootstrap, ledger.ProducerId, idempotent: false);
        config.MessageTimeoutMs = (int)DeliveryTimeout.TotalMilliseconds;
        // A request stuck at a node that died with it is given up quickly and retried.
        config.RequestTimeoutMs = 3_000;
        config.LingerMs = 0;
        _producer = new ProducerBuilder<Null, byte[]>(config)
            .SetLogHandler((_, m) => log.Detail($"[probe] librdkafka {m.Level} {m.Facility}: {m.Message}"))
            .Build();
        _consumer = new ConsumerBuilder<Ignore, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "chaos-probe-reader",
            ClientId = "chaos-probe-reader",
            EnableAutoCommit = false,
            ReconnectBackoffMs = 50,
            ReconnectBackoffMaxMs = 500,
            FetchWaitMaxMs = 100,
        })
            .SetLogHandler((_, m) => log.Detail($"[probe-reader] librdkafka {m.Level} {m.Facility}: {m.Message}"))
            .Build();
    }

    public ProducerLedger Ledger { get; }

    /// <summary>Warms the clients up (metadata, connections) while the cluster is healthy.</summary>
    public async Task WarmUpAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (!await RoundAsync())
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"the probe could not produce and fetch back a record on every partition within {timeout} before any fault");
            }
        }
    }

    /// <summary>Rounds until one succeeds; returns the time since <paramref name="since"/> (a Stopwatch timestamp), or null after <paramref name="limit"/>.</summary>
    public async Task<TimeSpan?> TimeToServeAsync(long since, TimeSpan limit)
    {
        int rounds = 0;
        while (Stopwatch.GetElapsedTime(since) < limit)
        {
            rounds++;
            if (await RoundAsync())
            {
                TimeSpan elapsed = Stopwatch.GetElapsedTime(since);
                _log.Event($"serving again {elapsed.TotalSeconds:F2} s after the last fault ({rounds} probe round(s))");
                return elapsed;
            }
        }

        return null;
    }

    public void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(10));
        _producer.Dispose();
        _consumer.Close();
        _consumer.Dispose();
    }

    private async Task<bool> RoundAsync()
    {
        var sends = new List<(long Sequence, Task<DeliveryResult<Null, byte[]>> Delivery)>();
        for (int i = 0; i < _partitions; i++)
        {
            long sequence = Ledger.NextSequence();
            var message = new Message<Null, byte[]> { Value = RecordValue.Encode(Ledger.ProducerId, sequence, _valueSize) };
            sends.Add((sequence, _producer.ProduceAsync(new TopicPartition(_topic, RecordValue.PartitionOf(sequence, _partitions)), message)));
        }

        var written = new Dictionary<int, long>();
        bool allWritten = true;
        foreach (var (sequence, delivery) in sends)
        {
            try
            {
                DeliveryResult<Null, byte[]> result = await delivery;
                Ledger.Acknowledged(sequence, result.Partition.Value, result.Offset.Value < 0 ? -1 : result.Offset.Value);
                written[result.Partition.Value] = result.Offset.Value;
            }
            catch (ProduceException<Null, byte[]> e)
            {
                Ledger.Failed(sequence);
                _log.Detail($"[probe] #{sequence} failed: {e.Error.Code} {e.Error.Reason}");
                allWritten = false;
            }
        }

        if (!allWritten || written.Values.Any(o => o < 0))
        {
            return false;
        }

        // Fetch every probe record back at its acknowledged offset.
        _consumer.Assign(written.Select(w => new TopicPartitionOffset(_topic, w.Key, w.Value)));
        var pending = new HashSet<int>(written.Keys);
        var fetching = Stopwatch.StartNew();
        while (pending.Count > 0 && fetching.Elapsed < FetchTimeout)
        {
            try
            {
                ConsumeResult<Ignore, byte[]>? result = _consumer.Consume(TimeSpan.FromMilliseconds(100));
                if (result?.Message is not null && written.TryGetValue(result.Partition.Value, out long offset) && result.Offset.Value == offset)
                {
                    pending.Remove(result.Partition.Value);
                }
            }
            catch (KafkaException e)
            {
                _log.Detail($"[probe-reader] {e.Error.Code} {e.Error.Reason}");
            }
        }

        _consumer.Unassign();
        return pending.Count == 0;
    }
}
