using System.Buffers.Binary;
using Chronik.Protocol.Compression;
using Chronik.Protocol.Records;
using Chronik.Protocol.Tests.Records.Fixtures;
using Chronik.Protocol.Wire;

namespace Chronik.Protocol.Tests.Records;

public class LegacyMessageTests
{
    public static TheoryData<string, byte, CompressionType> KafkaPythonSets() => new()
    {
        { nameof(KafkaPythonBatchFixtures.Magic0None), 0, CompressionType.None },
        { nameof(KafkaPythonBatchFixtures.Magic0Gzip), 0, CompressionType.Gzip },
        { nameof(KafkaPythonBatchFixtures.Magic0Snappy), 0, CompressionType.Snappy },
        { nameof(KafkaPythonBatchFixtures.Magic0Lz4), 0, CompressionType.Lz4 },
        { nameof(KafkaPythonBatchFixtures.Magic1None), 1, CompressionType.None },
        { nameof(KafkaPythonBatchFixtures.Magic1Gzip), 1, CompressionType.Gzip },
        { nameof(KafkaPythonBatchFixtures.Magic1Snappy), 1, CompressionType.Snappy },
        { nameof(KafkaPythonBatchFixtures.Magic1Lz4), 1, CompressionType.Lz4 },
    };

    [Theory]
    [MemberData(nameof(KafkaPythonSets))]
    public void Kafka_python_message_sets_decode(string fixture, byte magic, CompressionType compression)
    {
        byte[] messageSet = Fixture(fixture);

        List<DecodedRecordBatch> batches = RecordBatchDecoder.DecodeAll(messageSet);

        Assert.All(batches, b => Assert.Equal(magic, b.Magic));
        Assert.All(batches, b => Assert.Equal(compression, b.Compression));
        var records = batches.SelectMany(b => b.Records).ToList();
        // kafka-python gives a compressed wrapper offset 0 (the broker assigns real offsets), so magic 1
        // inner offsets, relative to the wrapper's, come out as -49..0; magic 0 inner offsets are absolute.
        long firstOffset = compression != CompressionType.None && magic == 1 ? 1 - KafkaPythonRecords.Count : 0;
        RecordAssert.MatchesKafkaPythonRecords(records, firstOffset, withTimestamps: magic == 1, withHeaders: false);
    }

    [Theory]
    [MemberData(nameof(KafkaPythonSets))]
    public void Our_builder_writes_what_kafka_python_writes(string fixture, byte magic, CompressionType compression)
    {
        // Compressed bytes depend on codec implementations, so compare the decoded content there.
        using var builder = new LegacyMessageSetBuilder(magic, compression);
        for (int i = 0; i < KafkaPythonRecords.Count; i++)
        {
            builder.Append(i, KafkaPythonRecords.Timestamp(i), KafkaPythonRecords.Key(i), KafkaPythonRecords.Value(i));
        }

        byte[] ours = builder.Build();

        if (compression == CompressionType.None)
        {
            Assert.Equal(Fixture(fixture), ours);
        }

        var records = RecordBatchDecoder.DecodeAll(ours).SelectMany(b => b.Records).ToList();
        RecordAssert.MatchesKafkaPythonRecords(records, 0, withTimestamps: magic == 1, withHeaders: false);
    }

    [Fact]
    public void Magic_1_wrapper_offset_is_the_last_inner_offset_and_carries_the_max_timestamp()
    {
        using var builder = new LegacyMessageSetBuilder(1, CompressionType.Gzip);
        builder.Append(500, 30, null, [1]);
        builder.Append(503, 10, null, [2]);
        byte[] wrapper = builder.Build();

        Assert.Equal(503, LegacyMessage.Offset(wrapper));
        Assert.Equal(30, BinaryPrimitives.ReadInt64BigEndian(wrapper.AsSpan(LegacyMessage.TimestampOffset)));
        DecodedRecordBatch decoded = RecordBatchDecoder.Decode(wrapper);
        Assert.Equal([500L, 503L], decoded.Records.Select(r => r.Offset));
        Assert.Equal([30L, 10L], decoded.Records.Select(r => r.Timestamp));
        Assert.Equal(500, decoded.BaseOffset);
        Assert.Equal(503, decoded.LastOffset);
    }

    [Fact]
    public void Log_append_time_wrapper_overrides_inner_timestamps()
    {
        using var builder = new LegacyMessageSetBuilder(1, CompressionType.Snappy) { LogAppendTime = 777 };
        builder.Append(0, 1, null, [1]);
        builder.Append(1, 2, null, [2]);

        DecodedRecordBatch decoded = RecordBatchDecoder.Decode(builder.Build());

        Assert.True(decoded.IsLogAppendTime);
        Assert.All(decoded.Records, r => Assert.Equal(777, r.Timestamp));
    }

    [Fact]
    public void Double_compressed_wrappers_are_invalid()
    {
        using var inner = new LegacyMessageSetBuilder(1, CompressionType.Gzip);
        inner.Append(0, 1, null, [1]);
        using var compressed = new PooledBufferWriter();
        CompressionCodecs.Compress(CompressionType.Gzip, inner.Build(), compressed);
        using var output = new PooledBufferWriter();
        LegacyMessageSetBuilder.WriteMessage(output, 1, 0, (byte)CompressionType.Gzip, 1, default, true, compressed.WrittenSpan, false);

        var error = Assert.Throws<RecordDecodeException>(() => RecordBatchDecoder.Decode(output.WrittenSpan));

        Assert.Equal(ErrorCode.InvalidRecord, error.ErrorCode);
    }

    [Fact]
    public void Wrapper_with_garbage_value_is_corrupt()
    {
        using var output = new PooledBufferWriter();
        LegacyMessageSetBuilder.WriteMessage(output, 0, 0, (byte)CompressionType.Snappy, 0, default, true, [1, 2, 3, 4, 5], false);

        var error = Assert.Throws<RecordDecodeException>(() => RecordBatchDecoder.Decode(output.WrittenSpan));

        Assert.Equal(ErrorCode.CorruptMessage, error.ErrorCode);
    }

    [Fact]
    public void Inner_magic_must_match_the_wrapper()
    {
        using var inner = new LegacyMessageSetBuilder(0);
        inner.Append(0, 1, null, [1]);
        using var compressed = new PooledBufferWriter();
        CompressionCodecs.Compress(CompressionType.Gzip, inner.Build(), compressed);
        using var output = new PooledBufferWriter();
        LegacyMessageSetBuilder.WriteMessage(output, 1, 0, (byte)CompressionType.Gzip, 1, default, true, compressed.WrittenSpan, false);

        Assert.Equal(ErrorCode.InvalidRecord, Assert.Throws<RecordDecodeException>(() => RecordBatchDecoder.Decode(output.WrittenSpan)).ErrorCode);
    }

    [Fact]
    public void Key_and_value_lengths_must_fill_the_message_exactly()
    {
        using var builder = new LegacyMessageSetBuilder(0);
        builder.Append(0, 0, [1, 2], [3]);
        byte[] message = builder.Build();
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(LegacyMessage.KeyOffset(0)), 1);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(LegacyMessage.CrcOffset), LegacyMessage.ComputeCrc(message));

        Assert.Equal(ErrorCode.CorruptMessage, RecordBatchValidator.Validate(message).Error);
    }

    [Fact]
    public void Zstd_is_not_a_legacy_codec()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LegacyMessageSetBuilder(1, CompressionType.Zstd));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LegacyMessageSetBuilder(2));
    }

    internal static byte[] Fixture(string name) => (byte[])typeof(KafkaPythonBatchFixtures).GetField(name)!.GetValue(null)!;
}
