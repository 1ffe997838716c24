using Chronik.Protocol.Messages;
using Chronik.Protocol.Records;
using Chronik.Protocol.Wire;
using Confluent.Kafka;
using BatchCompression = Chronik.Protocol.Records.CompressionType;

namespace Chronik.Protocol.Tests.Golden;

/// <summary>
/// Request frames written by librdkafka 2.16 (not by our encoder) decode with the generated types
/// to the values the client was given, and re-encode to the very same bytes.
/// </summary>
public class GoldenBytesTests
{
    private static (RequestHeader Header, short HeaderVersion, T Body) Decode<T>(byte[] frame)
        where T : IApiRequest, new()
    {
        var reader = new KafkaReader(frame);
        RequestHeader header = RequestHeader.ReadFrom(ref reader, out short headerVersion);
        var body = new T();
        body.Read(ref reader, header.RequestApiVersion);
        Assert.Equal(0, reader.Remaining);

        // Our encoder reproduces the client's bytes exactly.
        byte[] reencoded = [.. header.ToBytes(headerVersion), .. body.ToBytes(header.RequestApiVersion)];
        Assert.Equal(Convert.ToHexString(frame), Convert.ToHexString(reencoded));
        return (header, headerVersion, body);
    }

    [Fact]
    public void ApiVersions_request_from_librdkafka()
    {
        var (header, headerVersion, body) = Decode<ApiVersionsRequest>(GoldenFixtures.Load(GoldenFixtures.ApiVersionsRequest));

        Assert.Equal((short)ApiKey.ApiVersions, header.RequestApiKey);
        Assert.Equal(3, header.RequestApiVersion);
        Assert.Equal(2, headerVersion);
        Assert.Equal(LibrdkafkaCapture.ClientId, header.ClientId);
        Assert.Equal("confluent-kafka-dotnet", body.ClientSoftwareName);
        Assert.StartsWith("2.16.", body.ClientSoftwareVersion, StringComparison.Ordinal);
    }

    [Fact]
    public void Metadata_v12_request_from_librdkafka()
    {
        var (header, headerVersion, body) = Decode<MetadataRequest>(GoldenFixtures.Load(GoldenFixtures.MetadataV12Request));

        Assert.Equal((short)ApiKey.Metadata, header.RequestApiKey);
        Assert.Equal(12, header.RequestApiVersion);
        Assert.Equal(2, headerVersion);
        Assert.Equal(LibrdkafkaCapture.ClientId, header.ClientId);
        MetadataRequest.MetadataRequestTopic topic = Assert.Single(body.Topics!);
        Assert.Equal(LibrdkafkaCapture.Topic, topic.Name);
        Assert.Equal(Guid.Empty, topic.TopicId);
        Assert.True(body.AllowAutoTopicCreation);
        Assert.False(body.IncludeTopicAuthorizedOperations);
    }

    [Theory]
    [InlineData(GoldenFixtures.ProduceLz4Request, BatchCompression.Lz4)]
    [InlineData(GoldenFixtures.ProduceGzipRequest, BatchCompression.Gzip)]
    public void Produce_request_with_a_compressed_batch_from_librdkafka(string fixture, BatchCompression compression)
    {
        var (header, headerVersion, body) = Decode<ProduceRequest>(GoldenFixtures.Load(fixture));

        Assert.Equal((short)ApiKey.Produce, header.RequestApiKey);
        Assert.Equal(10, header.RequestApiVersion);
        Assert.Equal(2, headerVersion);
        Assert.Equal(LibrdkafkaCapture.ClientId, header.ClientId);
        Assert.Null(body.TransactionalId);
        Assert.Equal(1, body.Acks);
        Assert.Equal(LibrdkafkaCapture.TimeoutMs, body.TimeoutMs);

        ProduceRequest.TopicProduceData topic = Assert.Single(body.TopicData);
        Assert.Equal(LibrdkafkaCapture.Topic, topic.Name);
        ProduceRequest.PartitionProduceData partition = Assert.Single(topic.PartitionData);
        Assert.Equal(0, partition.Index);

        ReadOnlySpan<byte> batch = partition.Records!.Value.Span;
        Assert.Equal(batch.Length, RecordBatchHeader.TotalSize(batch));
        Assert.Equal(RecordBatchHeader.CurrentMagic, RecordBatchHeader.Magic(batch));
        Assert.True(RecordBatchHeader.IsCrcValid(batch));
        Assert.Equal(compression, (BatchCompression)(RecordBatchHeader.Attributes(batch) & RecordBatchAttributes.CompressionMask));
        Assert.Equal(0, RecordBatchHeader.BaseOffset(batch));
        Assert.Equal(1, RecordBatchHeader.RecordCount(batch));
        Assert.Equal(0, RecordBatchHeader.LastOffsetDelta(batch));
        Assert.Equal(-1, RecordBatchHeader.ProducerId(batch));
        Assert.Equal(-1, RecordBatchHeader.BaseSequence(batch));
        Assert.Equal(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), RecordBatchHeader.BaseTimestamp(batch));
    }

    [Fact]
    public async Task Librdkafka_produces_through_our_generated_responses()
    {
        IReadOnlyList<CapturedRequest> requests = await LibrdkafkaCapture.ProduceOneAsync(Confluent.Kafka.CompressionType.Lz4);

        Assert.Equal(ApiKey.ApiVersions, requests[0].ApiKey);
        Assert.Contains(requests, r => r.ApiKey == ApiKey.Metadata && r.ApiVersion == RecordingBroker.MetadataMaxVersion);
        CapturedRequest produce = Assert.Single(requests, r => r.ApiKey == ApiKey.Produce);

        // Every frame the client sent decodes completely and re-encodes byte for byte.
        foreach (CapturedRequest request in requests)
        {
            var reader = new KafkaReader(request.Frame);
            RequestHeader header = RequestHeader.ReadFrom(ref reader, out short headerVersion);
            IApiRequest body = ApiMessageTypes.CreateRequest(request.ApiKey);
            body.Read(ref reader, request.ApiVersion);
            Assert.Equal(0, reader.Remaining);
            byte[] reencoded = [.. header.ToBytes(headerVersion), .. body.ToBytes(request.ApiVersion)];
            Assert.Equal(Convert.ToHexString(request.Frame), Convert.ToHexString(reencoded));
        }

        var produceRequest = ProduceRequest.FromBytes(produce.Frame.AsMemory(HeaderSize(produce)), produce.ApiVersion);
        ReadOnlySpan<byte> batch = produceRequest.TopicData[0].PartitionData[0].Records!.Value.Span;
        Assert.True(RecordBatchHeader.IsCrcValid(batch));
        Assert.Equal(BatchCompression.Lz4, (BatchCompression)(RecordBatchHeader.Attributes(batch) & RecordBatchAttributes.CompressionMask));
    }

    [Fact]
    public void Confluent_kafka_loads_its_bundled_librdkafka_2_16()
    {
        Assert.StartsWith("2.16.", Library.VersionString, StringComparison.Ordinal);
        Assert.Equal(0x0210, Library.Version >> 16);
        if (OperatingSystem.IsLinux())
        {
            // The mapped library is the one tests/Confluent.Kafka.targets put into the output folder.
            string[] mapped = File.ReadAllLines("/proc/self/maps")
                .Where(line => line.Contains("librdkafka", StringComparison.Ordinal))
                .Select(line => line[line.IndexOf('/', StringComparison.Ordinal)..])
                .Distinct()
                .ToArray();
            string expected = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "librdkafka.so");
            Assert.Equal([expected], mapped);
        }
    }

    private static int HeaderSize(CapturedRequest request)
    {
        short headerVersion = ApiMessageTypes.Get(request.ApiKey).RequestHeaderVersion(request.ApiVersion);
        return request.Header.Size(headerVersion);
    }
}
