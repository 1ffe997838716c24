using Chronik.Testing;
using Confluent.Kafka;

namespace Chronik.Cluster.Integration.Harness;

/// <summary>One record as a consumer read it.</summary>
public readonly record struct ReadRecord(long Offset, string Value);

/// <summary>Reads a partition from its beginning with a Confluent.Kafka consumer (no group: the partition is assigned).</summary>
public static class PartitionReader
{
    /// <summary>
    /// Every record of <paramref name="topic"/>-<paramref name="partition"/> up to the end the broker reports (its high
    /// watermark when the read starts), fetched from the partition's leader through <paramref name="bootstrap"/>.
    /// </summary>
    public static async Task<IReadOnlyList<ReadRecord>> ReadAllAsync(string bootstrap, string topic, int partition, TimeSpan? timeout = null)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = Loopback.Bootstrap(bootstrap),
            GroupId = "partition-reader",
            EnableAutoCommit = false,
            EnablePartitionEof = true,
            TopicMetadataRefreshIntervalMs = 1000,
        };
        var tp = new TopicPartition(topic, partition);
        using IConsumer<Ignore, string> consumer = new ConsumerBuilder<Ignore, string>(config).Build();
        WatermarkOffsets end = consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(30));
        consumer.Assign(new TopicPartitionOffset(tp, Offset.Beginning));
        var records = new List<ReadRecord>();
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (records.Count == 0 || records[^1].Offset < end.High - 1)
        {
            if (end.High == end.Low)
            {
                break;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"read {records.Count} record(s) of {tp} up to offset {(records.Count == 0 ? -1 : records[^1].Offset)}, the end is {end.High}");
            }

            ConsumeResult<Ignore, string>? result = await Task.Run(() => consumer.Consume(TimeSpan.FromMilliseconds(500)));
            if (result is { IsPartitionEOF: false })
            {
                records.Add(new ReadRecord(result.Offset.Value, result.Message.Value));
            }
        }

        return records;
    }
}
