using Chronik.Testing;
using Confluent.Kafka;

namespace Chronik.Transactions.Tests;

/// <summary>Reads a whole topic back with a Confluent.Kafka consumer, with either isolation level.</summary>
public static class TopicReader
{
    /// <summary>
    /// Reads every partition of <paramref name="topic"/> from the start until each reached its end (the last stable
    /// offset for read_committed) and nothing new arrived for a moment; the values in partition order.
    /// </summary>
    public static List<ConsumeResult<string, string>> ReadAll(string bootstrap, string topic, int partitions, IsolationLevel isolation)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = Loopback.Bootstrap(bootstrap),
            GroupId = "reader-" + Guid.NewGuid().ToString("N"),
            IsolationLevel = isolation,
            EnableAutoCommit = false,
            EnablePartitionEof = true,
            AutoOffsetReset = AutoOffsetReset.Earliest,
        };
        using IConsumer<string, string> consumer = new ConsumerBuilder<string, string>(config).Build();
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var records = new List<ConsumeResult<string, string>>();
        var atEnd = new HashSet<int>();
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (atEnd.Count < partitions)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"reading {topic} did not reach the end of every partition ({atEnd.Count}/{partitions}); read {records.Count}");
            }

            if (consumer.Consume(TimeSpan.FromMilliseconds(500)) is not { } result)
            {
                continue;
            }

            if (result.IsPartitionEOF)
            {
                atEnd.Add(result.Partition.Value);
            }
            else
            {
                atEnd.Remove(result.Partition.Value);
                records.Add(result);
            }
        }

        return records;
    }
}
