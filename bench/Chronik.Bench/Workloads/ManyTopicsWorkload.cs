using System.Diagnostics;
using Chronik.Bench.Measure;
using Chronik.Bench.Targets;
using Confluent.Kafka;

namespace Chronik.Bench.Workloads;

/// <summary>What a many-topics run delivered.</summary>
public sealed record ManyTopicsResult(int Topics, long Sent, long Acked, long Failed, double Seconds)
{
    public double AchievedRate => Seconds > 0 ? Acked / Seconds : 0;
}

/// <summary>
/// Many nearly idle partitions: one producer writes one record per second to each topic, spread
/// evenly over the second (round robin, paced every 5 ms). Before the measured interval every topic
/// gets one record, so the client holds metadata for all of them and the broker has touched each log.
/// </summary>
public static class ManyTopicsWorkload
{
    private static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PaceInterval = TimeSpan.FromMilliseconds(5);

    /// <summary>One record to every topic; throws if any is not acknowledged.</summary>
    public static Task TouchAllAsync(string bootstrapServers, IReadOnlyList<string> topics, ProduceSettings settings, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(
            () =>
            {
                using var producer = new CountingProducer(bootstrapServers, settings);
                var message = new Message<Null, byte[]> { Value = new Payloads(settings.RecordSize).For(0) };
                foreach (string topic in topics)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    producer.Send(topic, message);
                }

                int left = producer.FlushUnlessHopeless(FlushTimeout);
                if (left > 0 || producer.Failed > 0)
                {
                    throw new ScenarioFailedException($"first record to each topic: {producer.Acked} of {topics.Count} acknowledged, {producer.Failed} failed, {left} unanswered; client: {producer.Diagnostics.Summary()}");
                }
            },
            cancellationToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

    public static Task<ManyTopicsResult> RunAsync(string bootstrapServers, IReadOnlyList<string> topics, ProduceSettings settings, TimeSpan duration, string label, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() => Run(bootstrapServers, topics, settings, duration, label, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private static ManyTopicsResult Run(string bootstrapServers, IReadOnlyList<string> topics, ProduceSettings settings, TimeSpan duration, string label, CancellationToken cancellationToken)
    {
        using var producer = new CountingProducer(bootstrapServers, settings);
        var payloads = new Payloads(settings.RecordSize);
        var message = new Message<Null, byte[]>();
        long sent = 0;
        double seconds;
        using (ProgressLine.Start(label, () => $"sent {Volatile.Read(ref sent),8:N0}   acked {producer.Acked,8:N0}   failed {producer.Failed:N0}"))
        {
            long start = Stopwatch.GetTimestamp();
            long end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                long now = Stopwatch.GetTimestamp();
                if (now >= end)
                {
                    break;
                }

                long due = (long)((now - start) / (double)Stopwatch.Frequency * topics.Count);
                while (sent < due)
                {
                    message.Value = payloads.For(sent);
                    producer.Send(topics[(int)(sent % topics.Count)], message);
                    Volatile.Write(ref sent, sent + 1);
                }

                Thread.Sleep(PaceInterval);
            }

            seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            producer.Flush(FlushTimeout);
        }

        if (producer.Failed > 0 || producer.Acked < sent)
        {
            throw new ScenarioFailedException($"{producer.Acked} of {sent} records acknowledged, {producer.Failed} failed; client: {producer.Diagnostics.Summary()}");
        }

        return new ManyTopicsResult(topics.Count, sent, producer.Acked, producer.Failed, seconds);
    }
}
