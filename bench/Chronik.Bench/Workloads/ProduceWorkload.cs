using System.Diagnostics;
using Chronik.Bench.Measure;
using Chronik.Bench.Targets;
using Confluent.Kafka;

namespace Chronik.Bench.Workloads;

/// <summary>
/// Produce throughput: one producer sends as fast as the broker acknowledges (at most
/// <see cref="MaxInFlightBytes"/> unacknowledged) for a warm-up, then for the measured duration.
/// Throughput is acknowledged records over the time from the first send to the last acknowledgement;
/// <c>onMeasuring</c> is called as the measured interval starts (broker /proc readings begin there).
/// </summary>
public static class ProduceWorkload
{
    private const long MaxInFlightBytes = 64L << 20;
    private const int MaxInFlightRecords = 500_000;
    private static readonly TimeSpan WarmupFlushTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(15);

    public static Task<ThroughputResult> RunAsync(string bootstrapServers, string topic, ProduceSettings settings, TimeSpan warmup, TimeSpan duration, string label, Action onMeasuring, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() => Run(bootstrapServers, topic, settings, warmup, duration, label, onMeasuring, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private static ThroughputResult Run(string bootstrapServers, string topic, ProduceSettings settings, TimeSpan warmup, TimeSpan duration, string label, Action onMeasuring, CancellationToken cancellationToken)
    {
        var payloads = new Payloads(settings.RecordSize);
        using var producer = new CountingProducer(bootstrapServers, settings);
        long maxInFlight = Math.Min(MaxInFlightRecords, Math.Max(1000, MaxInFlightBytes / settings.RecordSize));

        long sent = Pump(producer, topic, payloads, 0, warmup, maxInFlight, cancellationToken);
        int left = producer.FlushUnlessHopeless(WarmupFlushTimeout);
        if (left > 0 || producer.Failed > 0 || producer.Acked == 0)
        {
            throw new ScenarioFailedException($"warm-up: {producer.Acked} of {sent} records acknowledged, {producer.Failed} failed, {left} unanswered after {WarmupFlushTimeout.TotalSeconds:0} s; client: {producer.Diagnostics.Summary()}");
        }

        onMeasuring();
        long ackedBefore = producer.Acked;
        long start = Stopwatch.GetTimestamp();
        long sentBefore = sent;
        long blockedBefore = producer.BlockedTicks;
        using (ProgressLine.Start(label, Rate(producer, settings.RecordSize)))
        {
            sent = Pump(producer, topic, payloads, sent, duration, maxInFlight, cancellationToken);
            left = producer.Flush(FlushTimeout);
        }

        long records = producer.Acked - ackedBefore;
        if (left > 0 || producer.Failed > 0)
        {
            throw new ScenarioFailedException($"{records} of {sent - sentBefore} records acknowledged, {producer.Failed} failed, {left} unanswered after {FlushTimeout.TotalSeconds:0} s; client: {producer.Diagnostics.Summary()}");
        }

        double seconds = Stopwatch.GetElapsedTime(start, producer.LastAckTimestamp).TotalSeconds;
        double blocked = (double)(producer.BlockedTicks - blockedBefore) / Stopwatch.Frequency;
        return new ThroughputResult(records, records * settings.RecordSize, seconds) { SenderBlockedSeconds = blocked };
    }

    /// <summary>Sends for <paramref name="duration"/>, never more than <paramref name="maxInFlight"/> unanswered; returns the new send count.</summary>
    private static long Pump(CountingProducer producer, string topic, Payloads payloads, long sent, TimeSpan duration, long maxInFlight, CancellationToken cancellationToken)
    {
        var message = new Message<Null, byte[]> { Value = payloads.For(0) };
        long now = Stopwatch.GetTimestamp();
        long deadline = now + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long lastProgress = now;
        long lastCompleted = producer.Completed;
        while (now < deadline)
        {
            cancellationToken.ThrowIfCancellationRequested();
            long completed = producer.Completed;
            long room = maxInFlight - (sent - completed);
            if (room <= 0)
            {
                producer.WaitForRoom();
            }
            else
            {
                for (long i = Math.Min(room, 256); i > 0; i--)
                {
                    message.Value = payloads.For(sent);
                    producer.Send(topic, message);
                    sent++;
                }
            }

            now = Stopwatch.GetTimestamp();
            if (completed != lastCompleted)
            {
                lastCompleted = completed;
                lastProgress = now;
            }
            else if (producer.IsHopeless)
            {
                throw new ScenarioFailedException($"the broker does not serve an API the producer needs ({sent} records sent, none acknowledged); client: {producer.Diagnostics.Summary()}");
            }
            else if (Stopwatch.GetElapsedTime(lastProgress, now) > StallTimeout)
            {
                throw new ScenarioFailedException($"no acknowledgement for {StallTimeout.TotalSeconds:0} s ({producer.Acked} acknowledged, {sent} sent); client: {producer.Diagnostics.Summary()}");
            }
        }

        return sent;
    }

    /// <summary>Per-interval acknowledged rate for the progress line.</summary>
    internal static Func<string> Rate(CountingProducer producer, int recordSize)
    {
        long lastAcked = producer.Acked;
        long lastTime = Stopwatch.GetTimestamp();
        return () =>
        {
            long acked = producer.Acked;
            long now = Stopwatch.GetTimestamp();
            double seconds = Math.Max(1e-6, Stopwatch.GetElapsedTime(lastTime, now).TotalSeconds);
            double rate = (acked - lastAcked) / seconds;
            lastAcked = acked;
            lastTime = now;
            return $"{rate,12:N0} rec/s {rate * recordSize / 1e6,8:N1} MB/s   acked {acked:N0}";
        };
    }
}
