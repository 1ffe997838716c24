using System.Buffers.Binary;
using System.Diagnostics;
using Chronik.Bench.Measure;
using Chronik.Bench.Targets;
using Confluent.Kafka;

namespace Chronik.Bench.Workloads;

/// <summary>End-to-end and acknowledgement latency at a fixed produce rate.</summary>
public sealed record LatencyResult(double TargetRate, double AchievedRate, long Sent, long Received, Percentiles EndToEnd, Percentiles Ack)
{
    public long Lost => Sent - Received;
}

/// <summary>
/// End-to-end latency: a producer sends at a fixed rate (paced per millisecond), each value starting
/// with the Stopwatch timestamp of its Produce call; a consumer in the same process, assigned the
/// partition from its end as it starts, records receipt time minus that stamp. The acknowledgement latency
/// (Produce call to delivery report) is kept too, to tell the produce path from the fetch path.
/// A warm-up at the same rate comes first and is not counted.
/// </summary>
public static class LatencyWorkload
{
    /// <summary>
    /// The consumer's fetch.wait.max.ms. librdkafka's mock holds a fetch that finds no data for the whole
    /// wait instead of answering when data arrives (its Fetch handler says so), which with the default
    /// 500 ms makes its latency meaningless; 5 ms keeps it a usable floor. A broker that answers a
    /// waiting fetch as soon as data arrives is not affected by the setting.
    /// </summary>
    public const int FetchWaitMaxMs = 5;

    private static readonly TimeSpan PollTimeout = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan WarmupGrace = TimeSpan.FromSeconds(10);

    public static Task<LatencyResult> RunAsync(string bootstrapServers, string topic, ProduceSettings settings, int rate, TimeSpan warmup, TimeSpan duration, string label, Action onMeasuring, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() => Run(bootstrapServers, topic, settings, rate, warmup, duration, label, onMeasuring, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private static LatencyResult Run(string bootstrapServers, string topic, ProduceSettings settings, int rate, TimeSpan warmup, TimeSpan duration, string label, Action onMeasuring, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.RecordSize, 16);
        int capacity = (int)Math.Min(int.MaxValue / 2, (long)(rate * duration.TotalSeconds * 1.2) + 1024);
        var endToEnd = new LatencyRecorder(capacity);
        var ack = new LatencyRecorder(capacity);
        long measureFrom = long.MaxValue;
        long received = 0;
        using var stop = new CancellationTokenSource();
        var consumerDiagnostics = new ClientDiagnostics();
        var consumerThread = new Thread(() => Consume(bootstrapServers, topic, endToEnd, () => Volatile.Read(ref measureFrom), () => Interlocked.Increment(ref received), consumerDiagnostics, stop.Token))
        {
            IsBackground = true,
            Name = "latency consumer",
        };
        consumerThread.Start();

        using var producer = new CountingProducer(bootstrapServers, settings);
        var value = new byte[settings.RecordSize];
        new Payloads(settings.RecordSize).For(0).CopyTo(value, 0);
        var message = new Message<Null, byte[]> { Value = value };
        long sent;
        double seconds;
        try
        {
            Pace(producer, topic, message, rate, warmup, ack: null, cancellationToken);
            // A loaded machine may need longer before the consumer's first fetch returns: keep the
            // warm-up going (at the same rate) until a record has made the round trip.
            var extra = Stopwatch.StartNew();
            while (Volatile.Read(ref received) == 0 && extra.Elapsed < WarmupGrace && !producer.IsHopeless)
            {
                Pace(producer, topic, message, rate, TimeSpan.FromMilliseconds(500), ack: null, cancellationToken);
            }

            if (producer.Acked == 0 || Volatile.Read(ref received) == 0)
            {
                throw new ScenarioFailedException($"warm-up: {producer.Acked} acknowledged, {producer.Failed} failed, {Volatile.Read(ref received)} consumed; producer: {producer.Diagnostics.Summary()}; consumer: {consumerDiagnostics.Summary()}");
            }

            onMeasuring();
            Volatile.Write(ref measureFrom, Stopwatch.GetTimestamp());
            using (ProgressLine.Start(label, () => $"e2e samples {endToEnd.Count,9:N0}   acked {ack.Count,9:N0}"))
            {
                var clock = Stopwatch.StartNew();
                sent = Pace(producer, topic, message, rate, duration, ack, cancellationToken);
                seconds = clock.Elapsed.TotalSeconds;
                producer.Flush(DrainTimeout);
                long drainUntil = Stopwatch.GetTimestamp() + (long)(DrainTimeout.TotalSeconds * Stopwatch.Frequency);
                while (endToEnd.Count < ack.Count && Stopwatch.GetTimestamp() < drainUntil)
                {
                    Thread.Sleep(10);
                }
            }

            if (endToEnd.Count == 0)
            {
                throw new ScenarioFailedException($"no record consumed in the measured interval; producer: {producer.Diagnostics.Summary()}; consumer: {consumerDiagnostics.Summary()}");
            }
        }
        finally
        {
            // The recorders have one writer each; percentiles are computed once both have stopped.
            stop.Cancel();
            consumerThread.Join();
        }

        producer.Flush(DrainTimeout);
        return new LatencyResult(rate, sent / seconds, sent, endToEnd.Count, endToEnd.Compute(), ack.Compute());
    }

    /// <summary>Sends <paramref name="rate"/> records per second for <paramref name="duration"/>; returns how many were sent.</summary>
    private static long Pace(CountingProducer producer, string topic, Message<Null, byte[]> message, int rate, TimeSpan duration, LatencyRecorder? ack, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        long end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long sent = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            long now = Stopwatch.GetTimestamp();
            if (now >= end)
            {
                return sent;
            }

            long due = (long)((now - start) / (double)Stopwatch.Frequency * rate);
            while (sent < due)
            {
                long stamp = Stopwatch.GetTimestamp();
                BinaryPrimitives.WriteInt64LittleEndian(message.Value, stamp);
                if (ack is null)
                {
                    producer.Send(topic, message);
                }
                else
                {
                    producer.Send(topic, message, report =>
                    {
                        if (!report.Error.IsError)
                        {
                            ack.Add(Stopwatch.GetTimestamp() - stamp);
                        }
                    });
                }

                sent++;
            }

            Thread.Sleep(1);
        }
    }

    private static void Consume(string bootstrapServers, string topic, LatencyRecorder endToEnd, Func<long> measureFrom, Action onRecord, ClientDiagnostics diagnostics, CancellationToken stop)
    {
        try
        {
            ConsumeUntilStopped(bootstrapServers, topic, endToEnd, measureFrom, onRecord, diagnostics, stop);
        }
        catch (KafkaException e)
        {
            // Reported through the warm-up check: nothing consumed.
            diagnostics.OnFailure($"consumer: {e.Error.Code} {e.Error.Reason}");
        }
    }

    private static void ConsumeUntilStopped(string bootstrapServers, string topic, LatencyRecorder endToEnd, Func<long> measureFrom, Action onRecord, ClientDiagnostics diagnostics, CancellationToken stop)
    {
        var config = ClientSettings.Consumer(bootstrapServers);
        config.FetchWaitMaxMs = FetchWaitMaxMs;
        // From the partition's end, and back to the end when the position falls out of range: the mock keeps only
        // its newest 5 MiB (half a second at 10,000 KiB records/s), and a consumer slowed by a loaded machine
        // started from its beginning kept resetting to a cached log start that was already gone.
        config.AutoOffsetReset = AutoOffsetReset.Latest;
        using var consumer = new ConsumerBuilder<Ignore, long>(config)
            .SetValueDeserializer(new SendStampDeserializer())
            .SetErrorHandler((_, error) => diagnostics.OnError(error))
            .SetLogHandler((_, message) => diagnostics.OnLog(message))
            .Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.End));
        while (!stop.IsCancellationRequested)
        {
            ConsumeResult<Ignore, long>? result;
            try
            {
                result = consumer.Consume(PollTimeout);
            }
            catch (ConsumeException e)
            {
                diagnostics.OnFailure($"consume: {e.Error.Code} {e.Error.Reason}");
                continue;
            }

            if (result is null || result.IsPartitionEOF)
            {
                continue;
            }

            long now = Stopwatch.GetTimestamp();
            long stamp = result.Message.Value;
            onRecord();
            if (stamp >= measureFrom())
            {
                endToEnd.Add(now - stamp);
            }
        }
    }
}
