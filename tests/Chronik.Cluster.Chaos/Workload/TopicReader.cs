using System.Diagnostics;
using Chronik.Cluster.Chaos.Checking;
using Chronik.Cluster.Chaos.Run;
using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Chronik.Cluster.Chaos.Workload;

/// <summary>What the checker reads after the run: the whole topic and the group's committed offsets.</summary>
public static class TopicReader
{
    /// <summary>The topic's whole content, read from each partition's log start offset up to its high watermark.</summary>
    public sealed record TopicContent(IReadOnlyList<LogRecord> Records, IReadOnlyDictionary<int, long> LogStartOffsets, IReadOnlyDictionary<int, long> HighWatermarks);

    public static TopicContent ReadAll(string bootstrap, string topic, int partitions, TimeSpan timeout, EventLog log)
    {
        using IConsumer<Ignore, byte[]> consumer = new ConsumerBuilder<Ignore, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "chaos-checker",
            ClientId = "chaos-checker",
            EnableAutoCommit = false,
            IsolationLevel = IsolationLevel.ReadUncommitted,
        })
            .SetLogHandler((_, m) => log.Detail($"[checker] librdkafka {m.Level} {m.Facility}: {m.Message}"))
            .Build();
        var deadline = Stopwatch.StartNew();
        var low = new Dictionary<int, long>();
        var high = new Dictionary<int, long>();
        for (int p = 0; p < partitions; p++)
        {
            WatermarkOffsets watermarks = Retry(() => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(5)), deadline, timeout, $"watermarks of partition {p}");
            low[p] = watermarks.Low.Value;
            high[p] = watermarks.High.Value;
        }

        var records = new List<LogRecord>();
        var next = new Dictionary<int, long>(low);
        consumer.Assign(low.Select(l => new TopicPartitionOffset(topic, l.Key, l.Value)));
        while (next.Any(n => n.Value < high[n.Key]))
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"reading the topic back took more than {timeout}: at {string.Join(", ", next.Select(n => $"{n.Key}:{n.Value}/{high[n.Key]}"))}");
            }

            try
            {
                ConsumeResult<Ignore, byte[]>? result = consumer.Consume(TimeSpan.FromMilliseconds(200));
                if (result?.Message is null || result.Offset.Value >= high[result.Partition.Value])
                {
                    continue;
                }

                records.Add(new LogRecord(result.Partition.Value, result.Offset.Value, result.Message.Value ?? []));
                next[result.Partition.Value] = result.Offset.Value + 1;
            }
            catch (ConsumeException e)
            {
                log.Detail($"[checker] consume: {e.Error.Code} {e.Error.Reason}");
            }
        }

        return new TopicContent(records, low, high);
    }

    /// <summary>OffsetFetch of <paramref name="groupId"/> for every partition: partition → committed offset (absent when none).</summary>
    public static async Task<IReadOnlyDictionary<int, long>> CommittedOffsetsAsync(string bootstrap, string groupId, string topic, int partitions, TimeSpan timeout)
    {
        using IAdminClient admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap, ClientId = "chaos-checker-admin" })
            .SetLogHandler((_, _) => { })
            .Build();
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                List<TopicPartition> all = [.. Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p))];
                List<ListConsumerGroupOffsetsResult> results = await admin.ListConsumerGroupOffsetsAsync(
                    [new ConsumerGroupTopicPartitions(groupId, all)],
                    new ListConsumerGroupOffsetsOptions { RequestTimeout = TimeSpan.FromSeconds(10) });
                var committed = new Dictionary<int, long>();
                foreach (TopicPartitionOffsetError entry in results.Single().Partitions)
                {
                    if (entry.Error.IsError)
                    {
                        throw new KafkaException(entry.Error);
                    }

                    if (entry.Offset.Value >= 0)
                    {
                        committed[entry.Partition.Value] = entry.Offset.Value;
                    }
                }

                return committed;
            }
            catch (KafkaException) when (deadline.Elapsed < timeout)
            {
                await Task.Delay(500);
            }
        }
    }

    private static T Retry<T>(Func<T> action, Stopwatch deadline, TimeSpan timeout, string what)
    {
        while (true)
        {
            try
            {
                return action();
            }
            catch (KafkaException) when (deadline.Elapsed < timeout)
            {
                Thread.Sleep(200);
            }
            catch (KafkaException e)
            {
                throw new TimeoutException($"{what}: {e.Error.Code} {e.Error.Reason}", e);
            }
        }
    }
}
