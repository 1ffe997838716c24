using System.Buffers;
using BenchmarkDotNet.Attributes;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Records;
using Chronik.Protocol.Wire;

namespace Chronik.Benchmarks.Protocol;

/// <summary>
/// The protocol work on the two hot paths, without sockets or disks: decoding a 1 MiB Produce request
/// (1,000 records of 1 KiB in one uncompressed batch, librdkafka's shape) and validating its batch the
/// way the broker does (header checks + CRC-32C, no record decoding); and encoding a Fetch response of
/// ten partitions carrying 100 KiB of batches each into one pooled buffer (size pass, then one write).
/// </summary>
[MemoryDiagnoser]
public class ProtocolBenchmarks
{
    private const short ProduceVersion = 9;
    private const short FetchVersion = 12;

    private byte[] _produceRequest = [];
    private FetchResponse _fetchResponse = new();

    [GlobalSetup]
    public void Setup()
    {
        byte[] batch = Batch(recordCount: 1_000, valueSize: 1_024);
        var produce = new ProduceRequest
        {
            Acks = -1,
            TimeoutMs = 30_000,
            TopicData =
            [
                new ProduceRequest.TopicProduceData
                {
                    Name = "bench",
                    PartitionData = [new ProduceRequest.PartitionProduceData { Index = 0, Records = batch }],
                },
            ],
        };
        _produceRequest = produce.ToBytes(ProduceVersion);

        byte[] fetchBatches = Batch(recordCount: 100, valueSize: 1_000);
        var topic = new FetchResponse.FetchableTopicResponse { Topic = "bench" };
        for (int p = 0; p < 10; p++)
        {
            topic.Partitions.Add(new FetchResponse.PartitionData
            {
                PartitionIndex = p,
                HighWatermark = 1_000_000,
                LastStableOffset = 1_000_000,
                LogStartOffset = 0,
                Records = fetchBatches,
            });
        }

        _fetchResponse = new FetchResponse { Responses = [topic] };
    }

    /// <summary>Decode the request body and validate every partition's batch; returns the records validated.</summary>
    [Benchmark]
    public int DecodeAndValidateProduce1MiB()
    {
        var reader = new KafkaReader(_produceRequest);
        var request = new ProduceRequest();
        request.Read(ref reader, ProduceVersion);
        int records = 0;
        foreach (ProduceRequest.TopicProduceData topic in request.TopicData)
        {
            foreach (ProduceRequest.PartitionProduceData partition in topic.PartitionData)
            {
                ReadOnlySpan<byte> batch = partition.Records!.Value.Span;
                BatchValidationResult result = RecordBatchValidator.ValidateProduced(batch);
                if (result.Error != ErrorCode.None)
                {
                    throw new InvalidOperationException(result.ToString());
                }

                records += RecordBatchHeader.RecordCount(batch);
            }
        }

        return records;
    }

    /// <summary>Size the response, rent a buffer, write it once; returns the bytes written.</summary>
    [Benchmark]
    public int EncodeFetchResponse1MiB()
    {
        int size = _fetchResponse.Size(FetchVersion);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            var writer = new KafkaWriter(buffer.AsSpan(0, size));
            _fetchResponse.Write(ref writer, FetchVersion);
            return writer.Position;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static byte[] Batch(int recordCount, int valueSize)
    {
        var random = new Random(42);
        using var builder = new RecordBatchBuilder(CompressionType.None) { BaseTimestamp = 1_700_000_000_000 };
        byte[] value = new byte[valueSize];
        for (int i = 0; i < recordCount; i++)
        {
            random.NextBytes(value);
            builder.Append(1_700_000_000_000 + i, BitConverter.GetBytes(i), value);
        }

        return builder.Build();
    }
}
