using System.Diagnostics;
using Confluent.Kafka;

namespace Chronik.Bench.Workloads;

/// <summary>
/// A Confluent.Kafka producer that counts acknowledgements and failures (one shared delivery
/// handler, no per-record state) and remembers what the client reported.
/// </summary>
public sealed class CountingProducer : IDisposable
{
    private readonly IProducer<Null, byte[]> _producer;
    private readonly Action<DeliveryReport<Null, byte[]>> _onDelivery;
    private long _acked;
    private long _failed;
    private long _lastAckTimestamp;
    private long _blockedTicks;

    public CountingProducer(string bootstrapServers, ProduceSettings settings)
    {
        _producer = new ProducerBuilder<Null, byte[]>(ClientSettings.Producer(bootstrapServers, settings))
            .SetErrorHandler((_, error) => Diagnostics.OnError(error))
            .SetLogHandler((_, message) => Diagnostics.OnLog(message))
            .Build();
        _onDelivery = OnDelivery;
    }

    public ClientDiagnostics Diagnostics { get; } = new();

    public long Acked => Volatile.Read(ref _acked);

    public long Failed => Volatile.Read(ref _failed);

    public long Completed => Acked + Failed;

    /// <summary>Stopwatch ticks the sending thread spent waiting for acknowledgements to make room (see <see cref="WaitForRoom"/>).</summary>
    public long BlockedTicks => Volatile.Read(ref _blockedTicks);

    /// <summary>
    /// Sleeps a millisecond because the unacknowledged records reached a limit (librdkafka's local queue, or the
    /// caller's own), and counts the time: a producer that spends much of its time here is held back by the
    /// broker's acknowledgement latency, not by its own CPU.
    /// </summary>
    public void WaitForRoom()
    {
        long start = Stopwatch.GetTimestamp();
        Thread.Sleep(1);
        Interlocked.Add(ref _blockedTicks, Stopwatch.GetTimestamp() - start);
    }

    /// <summary>Stopwatch timestamp of the latest acknowledgement.</summary>
    public long LastAckTimestamp => Volatile.Read(ref _lastAckTimestamp);

    /// <summary>Queues one record; waits while librdkafka's local queue is full.</summary>
    public void Send(string topic, Message<Null, byte[]> message)
    {
        while (true)
        {
            try
            {
                _producer.Produce(topic, message, _onDelivery);
                return;
            }
            catch (ProduceException<Null, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                WaitForRoom();
            }
        }
    }

    /// <summary>Queues one record with its own handler (latency measurements need per-record timing).</summary>
    public void Send(string topic, Message<Null, byte[]> message, Action<DeliveryReport<Null, byte[]>> onDelivery)
    {
        while (true)
        {
            try
            {
                _producer.Produce(topic, message, report =>
                {
                    OnDelivery(report);
                    onDelivery(report);
                });
                return;
            }
            catch (ProduceException<Null, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                WaitForRoom();
            }
        }
    }

    /// <summary>Waits for outstanding records; returns how many are still unacknowledged after <paramref name="timeout"/>.</summary>
    public int Flush(TimeSpan timeout) => _producer.Flush(timeout);

    /// <summary>
    /// Like <see cref="Flush"/>, but gives up early when nothing was ever acknowledged and the client
    /// said the broker lacks a needed API (a broker without Produce would otherwise cost the whole timeout).
    /// </summary>
    public int FlushUnlessHopeless(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            int left = _producer.Flush(TimeSpan.FromMilliseconds(500));
            if (left == 0 || clock.Elapsed >= timeout || IsHopeless)
            {
                return left;
            }
        }
    }

    /// <summary>Nothing acknowledged and the broker lacks an API the client needs.</summary>
    public bool IsHopeless => Acked == 0 && Diagnostics.BrokerLacksApi;

    public void Dispose() => _producer.Dispose();

    private void OnDelivery(DeliveryReport<Null, byte[]> report)
    {
        if (report.Error.IsError)
        {
            if (Interlocked.Increment(ref _failed) == 1)
            {
                Diagnostics.OnFailure($"delivery to {report.TopicPartition} failed: {report.Error.Code} {report.Error.Reason}");
            }
        }
        else
        {
            Volatile.Write(ref _lastAckTimestamp, Stopwatch.GetTimestamp());
            Interlocked.Increment(ref _acked);
        }
    }
}
