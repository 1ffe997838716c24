using Chronik.Protocol.Records;

namespace Chronik.Protocol.Tests.Records;

/// <summary>Record batches built by kafka-python (another implementation of the format) decode exactly.</summary>
public class KafkaPythonBatchTests
{
    public static TheoryData<string, CompressionType> Batches() => new()
    {
        { "V2None", CompressionType.None },
        { "V2Gzip", CompressionType.Gzip },
        { "V2Snappy", CompressionType.Snappy },
        { "V2Lz4", CompressionType.Lz4 },
        { "V2Zstd", CompressionType.Zstd },
    };

    [Theory]
    [MemberData(nameof(Batches))]
    public void Kafka_python_batches_validate_and_decode(string fixture, CompressionType compression)
    {
        byte[] batch = LegacyMessageTests.Fixture(fixture);

        Assert.True(RecordBatchValidator.ValidateProduced(batch).IsValid);
        DecodedRecordBatch decoded = Assert.Single(RecordBatchDecoder.DecodeAll(batch));

        Assert.Equal(compression, decoded.Compression);
        Assert.Equal(KafkaPythonRecords.BaseTimestamp, decoded.BaseTimestamp);
        Assert.Equal(KafkaPythonRecords.Timestamp(KafkaPythonRecords.Count - 1), decoded.MaxTimestamp);
        RecordAssert.MatchesKafkaPythonRecords(decoded.Records, 0, withTimestamps: true, withHeaders: true);
    }

    [Fact]
    public void Kafka_python_transactional_batch_keeps_its_producer_fields()
    {
        DecodedRecordBatch decoded = RecordBatchDecoder.Decode(LegacyMessageTests.Fixture("V2TransactionalIdempotent"));

        Assert.True(decoded.IsTransactional);
        Assert.False(decoded.IsControl);
        Assert.Equal(4242, decoded.ProducerId);
        Assert.Equal(7, decoded.ProducerEpoch);
        Assert.Equal(100, decoded.BaseSequence);
    }
}
