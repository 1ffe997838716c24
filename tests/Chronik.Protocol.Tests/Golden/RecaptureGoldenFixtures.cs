using Chronik.Protocol.Messages;
using Confluent.Kafka;

namespace Chronik.Protocol.Tests.Golden;

/// <summary>Refreshes the fixtures under Golden/ from librdkafka (CHRONIK_RECAPTURE=1 dotnet test --filter RecaptureGoldenFixtures).</summary>
public class RecaptureGoldenFixtures
{
    [RecaptureFact]
    public async Task Capture_librdkafka_requests()
    {
        IReadOnlyList<CapturedRequest> lz4 = await LibrdkafkaCapture.ProduceOneAsync(CompressionType.Lz4);
        IReadOnlyList<CapturedRequest> gzip = await LibrdkafkaCapture.ProduceOneAsync(CompressionType.Gzip);

        GoldenFixtures.Save(GoldenFixtures.ApiVersionsRequest, lz4.First(r => r.ApiKey == ApiKey.ApiVersions).Frame);
        GoldenFixtures.Save(GoldenFixtures.MetadataV12Request, lz4.First(r => r.ApiKey == ApiKey.Metadata && r.ApiVersion == 12).Frame);
        GoldenFixtures.Save(GoldenFixtures.ProduceLz4Request, lz4.Single(r => r.ApiKey == ApiKey.Produce).Frame);
        GoldenFixtures.Save(GoldenFixtures.ProduceGzipRequest, gzip.Single(r => r.ApiKey == ApiKey.Produce).Frame);
    }
}
