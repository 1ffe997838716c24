using System.Diagnostics;
using Chronik.Bench.Measure;
using Chronik.Bench.Targets;
using Confluent.Kafka;

namespace Chronik.Bench.Workloads;

/// <summary>
/// Consume throughput: one consumer assigned every partition of a filled topic reads from the start
/// for the measured duration. A partition read up to the end offset seen at the start is sought back
/// to its start, so a small topic — the mock keeps only the newest 5 MiB per partition — is read again
/// rather than measured for a few milliseconds; fetch.wait.max.ms is 10 ms for this consumer so
/// the fetch left waiting at the end of a partition delays a rewind by at most that. After a warm-up
/// (not counted), timing runs from the first counted record to the last.
/// </summary>
/// <remarks>
/// fetch.queue.backoff.ms is 10 ms instead of librdkafka's 1000: once the client's own queue holds
/// queued.min.messages (100,000) records, librdkafka stops fetching for that long. A broker that serves
/// faster than the application consumes fills that queue within a dozen fetches and then idles most of
/// each second, so the default measured the client's throttle, not the broker; the mock escaped it only
/// because every rewind (every ~50,000 records of its 5 MiB) purges the queue and fetches at once.
/// </remarks>
public static class ConsumeWorkload
{
    /// <summary>The consumer's fetch.wait.max.ms.</summary>
    public const int FetchWaitMaxMs = 10;

    /// <summary>The consumer's fetch.queue.backoff.ms (see the remarks).</summary>
    public const int FetchQueueBackoffMs = 10;

    private static readonly TimeSpan PollTimeout = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(15);

    public static Task<ThroughputResult> RunAsync(string bootstrapServers, string topic, int partitions, TimeSpan warmup, TimeSpan duration, string label, Action onMeasuring, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() => Run(bootstrapServers, topic, partitions, warmup, duration, label, onMeasuring, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private static ThroughputResult Run(string bootstrapServers, string topic, int partitions, TimeSpan warmup, TimeSpan duration, string label, Action onMeasuring, CancellationToken cancellationToken)
    {
        var diagnostics = new ClientDiagnostics();
        var config = ClientSettings.Consumer(bootstrapServers);
        config.FetchWaitMaxMs = FetchWaitMaxMs;
        config.FetchQueueBackoffMs = FetchQueueBackoffMs;
        using var consumer = new ConsumerBuilder<Ignore, int>(config)
            .SetValueDeserializer(new ValueLengthDeserializer())
            .SetErrorHandler((_, error) => diagnostics.OnError(error))
            .SetLogHandler((_, message) => diagnostics.OnLog(message))
            .Build();
        var starts = new TopicPartitionOffset[partitions];
        var ends = new long[partitions];
        var rewinds = new int[partitions];
        long available = 0;
        for (int p = 0; p < partitions; p++)
        {
            var partition = new TopicPartition(topic, p);
            try
            {
                var watermarks = consumer.QueryWatermarkOffsets(partition, QueryTimeout);
                starts[p] = new TopicPartitionOffset(partition, watermarks.Low);
                ends[p] = watermarks.High;
                available += watermarks.High - watermarks.Low;
            }
            catch (KafkaException e)
            {
                throw new ScenarioFailedException($"ListOffsets for {topic} partition {p}: {e.Error.Code} {e.Error.Reason}; client: {diagnostics.Summary()}");
            }
        }

        if (available == 0)
        {
            throw new ScenarioFailedException($"topic {topic} is empty (the scenario that fills it did not run or failed)");
        }

        var counters = new Counters();
        long first = 0;
        long last = 0;
        bool measuring = false;
        consumer.Assign(starts.Where((_, p) => ends[p] > starts[p].Offset.Value));
        long lastProgress = Stopwatch.GetTimestamp();
        using (ProgressLine.Start(label, ConsumedRate(() => counters.Records, () => counters.Bytes)))
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                ConsumeResult<Ignore, int>? result;
                try
                {
                    result = consumer.Consume(PollTimeout);
                }
                catch (ConsumeException e)
                {
                    diagnostics.OnFailure($"consume: {e.Error.Code} {e.Error.Reason}");
                    result = null;
                }

                long now = Stopwatch.GetTimestamp();
                if (result is null || result.IsPartitionEOF)
                {
                    if (Stopwatch.GetElapsedTime(lastProgress, now) > StallTimeout)
                    {
                        throw new ScenarioFailedException($"no record for {StallTimeout.TotalSeconds:0} s after {counters.Records} records ({available} available); client: {diagnostics.Summary()}");
                    }

                    continue;
                }

                lastProgress = now;
                if (first == 0)
                {
                    first = now;
                }

                if (!measuring && Stopwatch.GetElapsedTime(first, now) >= warmup)
                {
                    measuring = true;
                    onMeasuring();
                    Array.Clear(rewinds);
                    counters.Reset();
                    first = now;
                }

                last = now;
                counters.Add(result.Message.Value);
                int partition = result.Partition.Value;
                if (result.Offset.Value >= ends[partition] - 1)
                {
                    rewinds[partition]++;
                    consumer.Seek(starts[partition]);
                }

                if (measuring && Stopwatch.GetElapsedTime(first, now) >= duration)
                {
                    break;
                }
            }
        }

        int passes = rewinds.Where((_, p) => ends[p] > starts[p].Offset.Value).DefaultIfEmpty(0).Min();
        return new ThroughputResult(counters.Records, counters.Bytes, Stopwatch.GetElapsedTime(first, last).TotalSeconds, passes);
    }

    /// <summary>Written by the consuming thread, read by the progress line.</summary>
    private sealed class Counters
    {
        private long _records;
        private long _bytes;

        public long Records => Volatile.Read(ref _records);

        public long Bytes => Volatile.Read(ref _bytes);

        public void Reset()
        {
            Volatile.Write(ref _bytes, 0);
            Volatile.Write(ref _records, 0);
        }

        public void Add(int valueBytes)
        {
            Volatile.Write(ref _bytes, _bytes + valueBytes);
            Volatile.Write(ref _records, _records + 1);
        }
    }

    internal static Func<string> ConsumedRate(Func<long> records, Func<long> bytes)
    {
        long lastRecords = 0;
        long lastBytes = 0;
        long lastTime = Stopwatch.GetTimestamp();
        return () =>
        {
            long r = records();
            long b = bytes();
            if (r < lastRecords)
            {
                // The counters were reset as the warm-up ended.
                lastRecords = 0;
                lastBytes = 0;
            }

            long now = Stopwatch.GetTimestamp();
            double seconds = Math.Max(1e-6, Stopwatch.GetElapsedTime(lastTime, now).TotalSeconds);
            string line = $"{(r - lastRecords) / seconds,12:N0} rec/s {(b - lastBytes) / seconds / 1e6,8:N1} MB/s   read {r:N0}";
            lastRecords = r;
            lastBytes = b;
            lastTime = now;
            return line;
        };
    }
}
