using System.Text;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Records;

namespace Chronik.Broker.Tests.DataPath;

/// <summary>Request and batch builders for the handler tests.</summary>
internal static class Requests
{
    public static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>A v2 batch of <paramref name="values"/> (key "k{i}" unless <paramref name="keyless"/>), timestamps now.</summary>
    public static byte[] Batch(CompressionType compression, params string[] values) => Batch(compression, keyless: false, Now, values);

    public static byte[] Batch(CompressionType compression, bool keyless, long timestamp, params string[] values)
    {
        using var builder = new RecordBatchBuilder(compression);
        for (int i = 0; i < values.Length; i++)
        {
            builder.Append(timestamp + i, keyless ? null : Encoding.UTF8.GetBytes($"k{i}"), Encoding.UTF8.GetBytes(values[i]));
        }

        return builder.Build();
    }

    public static ProduceRequest Produce(string topic, byte[] records, short acks = -1, int partition = 0, int timeoutMs = 30_000, string? transactionalId = null) => new()
    {
        TransactionalId = transactionalId,
        Acks = acks,
        TimeoutMs = timeoutMs,
        TopicData =
        [
            new ProduceRequest.TopicProduceData
            {
                Name = topic,
                PartitionData = [new ProduceRequest.PartitionProduceData { Index = partition, Records = records }],
            },
        ],
    };

    public static FetchRequest Fetch(string topic, long offset, Guid topicId = default, int partition = 0, int maxWaitMs = 0, int minBytes = 1, int partitionMaxBytes = 1 << 20, int maxBytes = int.MaxValue, int currentLeaderEpoch = -1, int lastFetchedEpoch = -1) => new()
    {
        ReplicaId = -1,
        MaxWaitMs = maxWaitMs,
        MinBytes = minBytes,
        MaxBytes = maxBytes,
        SessionEpoch = -1,
        Topics =
        [
            new FetchRequest.FetchTopic
            {
                Topic = topic,
                TopicId = topicId,
                Partitions =
                [
                    new FetchRequest.FetchPartition
                    {
                        Partition = partition,
                        FetchOffset = offset,
                        PartitionMaxBytes = partitionMaxBytes,
                        CurrentLeaderEpoch = currentLeaderEpoch,
                        LastFetchedEpoch = lastFetchedEpoch,
                    },
                ],
            },
        ],
    };

    public static ListOffsetsRequest ListOffsets(string topic, long timestamp, int partition = 0, sbyte isolation = 0, int currentLeaderEpoch = -1, int maxNumOffsets = 1) => new()
    {
        ReplicaId = -1,
        IsolationLevel = isolation,
        Topics =
        [
            new ListOffsetsRequest.ListOffsetsTopic
            {
                Name = topic,
                Partitions = [new ListOffsetsRequest.ListOffsetsPartition { PartitionIndex = partition, Timestamp = timestamp, CurrentLeaderEpoch = currentLeaderEpoch, MaxNumOffsets = maxNumOffsets }],
            },
        ],
    };

    /// <summary>Every record's value in <paramref name="records"/> (v2 batches or legacy messages), decoded.</summary>
    public static List<string> Values(ReadOnlyMemory<byte>? records)
    {
        var values = new List<string>();
        if (records is not { Length: > 0 } bytes)
        {
            return values;
        }

        foreach (var batch in RecordBatchDecoder.DecodeAll(bytes))
        {
            foreach (var record in batch.Records)
            {
                values.Add(Encoding.UTF8.GetString(record.Value!));
            }
        }

        return values;
    }

    public static List<long> Offsets(ReadOnlyMemory<byte>? records)
    {
        var offsets = new List<long>();
        if (records is { Length: > 0 } bytes)
        {
            foreach (var batch in RecordBatchDecoder.DecodeAll(bytes))
            {
                foreach (var record in batch.Records)
                {
                    offsets.Add(record.Offset);
                }
            }
        }

        return offsets;
    }
}
