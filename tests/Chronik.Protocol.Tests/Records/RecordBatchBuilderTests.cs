using System.Buffers.Binary;
using System.Text;
using Chronik.Protocol.Compression;
using Chronik.Protocol.Records;
using Chronik.Protocol.Tests.Records.Fixtures;
using Chronik.Protocol.Wire;

namespace Chronik.Protocol.Tests.Records;

public class RecordBatchBuilderTests
{
    [Fact]
    public void One_record_batch_matches_the_spec_layout_byte_for_byte()
    {
        // Written field by field from Kafka's RecordBatch v2 layout (KIP-98).
        byte[] expected =
        [
            0, 0, 0, 0, 0, 0, 0, 5,                 // baseOffset int64 = 5
            0, 0, 0, 66,                            // batchLength int32 = 78 - 12
            0, 0, 0, 3,                             // partitionLeaderEpoch int32 = 3
            2,                                      // magic int8 = 2
            0xC6, 0x22, 0xAC, 0xFA,                 // crc uint32: CRC-32C of attributes..end (computed by kafka-python's crc32c)
            0, 0,                                   // attributes int16: no compression, CreateTime
            0, 0, 0, 0,                             // lastOffsetDelta int32 = 0
            0, 0, 0x01, 0x8B, 0xCF, 0xE5, 0x68, 0x00, // baseTimestamp int64 = 1700000000000
            0, 0, 0x01, 0x8B, 0xCF, 0xE5, 0x68, 0x00, // maxTimestamp int64 = 1700000000000
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, // producerId int64 = -1
            0xFF, 0xFF,                             // producerEpoch int16 = -1
            0xFF, 0xFF, 0xFF, 0xFF,                 // baseSequence int32 = -1
            0, 0, 0, 1,                             // records count int32 = 1
            0x20,                                   // record length varint = 16
            0x00,                                   // record attributes int8
            0x00,                                   // timestampDelta varlong = 0
            0x00,                                   // offsetDelta varint = 0
            0x02, (byte)'k',                        // key length varint = 1, key
            0x0A, (byte)'h', (byte)'e', (byte)'l', (byte)'l', (byte)'o', // value length varint = 5, value
            0x02,                                   // header count varint = 1
            0x02, (byte)'h',                        // header key length varint = 1, key
            0x02, (byte)'v',                        // header value length varint = 1, value
        ];
        using var builder = new RecordBatchBuilder { BaseOffset = 5, PartitionLeaderEpoch = 3 };
        builder.Append(1_700_000_000_000, "k"u8.ToArray(), "hello"u8.ToArray(), [new RecordHeader("h", "v"u8.ToArray())]);

        byte[] batch = builder.Build();

        Assert.Equal(expected, batch);
        Assert.True(RecordBatchValidator.Validate(batch).IsValid);
    }

    [Fact]
    public void Uncompressed_batch_is_byte_identical_to_kafka_pythons()
    {
        // kafka-python writes partition leader epoch 0; everything else is the defaults.
        using var builder = new RecordBatchBuilder { PartitionLeaderEpoch = 0 };
        KafkaPythonRecords.AppendTo(builder);

        Assert.Equal(KafkaPythonBatchFixtures.V2None, builder.Build());
    }

    [Fact]
    public void Idempotent_transactional_batch_is_byte_identical_to_kafka_pythons()
    {
        using var builder = new RecordBatchBuilder
        {
            PartitionLeaderEpoch = 0,
            IsTransactional = true,
            ProducerId = 4242,
            ProducerEpoch = 7,
            BaseSequence = 100,
        };
        KafkaPythonRecords.AppendTo(builder);

        Assert.Equal(KafkaPythonBatchFixtures.V2TransactionalIdempotent, builder.Build());
    }

    public static TheoryData<CompressionType> Codecs() => new(Enum.GetValues<CompressionType>());

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Records_round_trip_through_every_codec(CompressionType compression)
    {
        var random = new Random(11 + (int)compression);
        var expected = new List<DecodedRecord>();
        using var builder = new RecordBatchBuilder(compression) { BaseOffset = 1000, PartitionLeaderEpoch = 9 };
        for (int i = 0; i < 500; i++)
        {
            byte[]? key = i % 4 == 0 ? null : RandomBytes(random, random.Next(0, 40));
            byte[]? value = i % 9 == 0 ? null : RandomBytes(random, random.Next(0, i % 50 == 0 ? 70_000 : 300));
            RecordHeader[] headers = Enumerable.Range(0, i % 4)
                .Select(h => new RecordHeader($"header-{h}-ü", h == 2 ? null : RandomBytes(random, h * 3)))
                .ToArray();
            long timestamp = 1_000_000 + (i * 7) - (i % 3 == 0 ? 500 : 0);
            builder.Append(timestamp, key, value, headers);
            expected.Add(new DecodedRecord(1000 + i, timestamp, key, value, headers));
        }

        byte[] batch = builder.Build();
        Assert.True(RecordBatchValidator.ValidateProduced(batch).IsValid);
        DecodedRecordBatch decoded = RecordBatchDecoder.Decode(batch);

        Assert.Equal(compression, decoded.Compression);
        Assert.Equal(1000, decoded.BaseOffset);
        Assert.Equal(1499, decoded.LastOffset);
        Assert.Equal(9, decoded.PartitionLeaderEpoch);
        Assert.Equal(expected[0].Timestamp, decoded.BaseTimestamp);
        Assert.Equal(expected.Max(r => r.Timestamp), decoded.MaxTimestamp);
        Assert.Equal(expected.Count, decoded.Records.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Offset, decoded.Records[i].Offset);
            Assert.Equal(expected[i].Timestamp, decoded.Records[i].Timestamp);
            RecordAssert.Equal(expected[i].Key, decoded.Records[i].Key);
            RecordAssert.Equal(expected[i].Value, decoded.Records[i].Value);
            RecordAssert.Equal(expected[i].Headers, decoded.Records[i].Headers);
        }
    }

    [Fact]
    public void Empty_key_and_value_stay_distinct_from_null()
    {
        using var builder = new RecordBatchBuilder();
        builder.Append(1, [], [], []);
        builder.Append(2, null, null);

        DecodedRecordBatch decoded = RecordBatchDecoder.Decode(builder.Build());

        RecordAssert.Equal([], decoded.Records[0].Key);
        RecordAssert.Equal([], decoded.Records[0].Value);
        Assert.Null(decoded.Records[1].Key);
        Assert.Null(decoded.Records[1].Value);
    }

    [Fact]
    public void Log_append_time_batches_give_every_record_the_batch_time()
    {
        using var builder = new RecordBatchBuilder { LogAppendTime = 5_000 };
        builder.Append(10, null, "a"u8.ToArray());
        builder.Append(20, null, "b"u8.ToArray());

        byte[] batch = builder.Build();
        DecodedRecordBatch decoded = RecordBatchDecoder.Decode(batch);

        Assert.True(decoded.IsLogAppendTime);
        Assert.Equal(5_000, decoded.MaxTimestamp);
        Assert.Equal(10, decoded.BaseTimestamp);
        Assert.All(decoded.Records, r => Assert.Equal(5_000, r.Timestamp));
    }

    [Fact]
    public void Explicit_offset_deltas_leave_gaps_like_a_compacted_batch()
    {
        using var builder = new RecordBatchBuilder { BaseOffset = 100, LastOffsetDelta = 9 };
        builder.Append(0, 1, null, "a"u8.ToArray());
        builder.Append(4, 1, null, "b"u8.ToArray());

        byte[] batch = builder.Build();
        DecodedRecordBatch decoded = RecordBatchDecoder.Decode(batch);

        Assert.True(RecordBatchValidator.Validate(batch).IsValid);
        Assert.Equal([100L, 104L], decoded.Records.Select(r => r.Offset));
        Assert.Equal(109, decoded.LastOffset);
        Assert.Equal(ErrorCode.InvalidRecord, RecordBatchValidator.ValidateProduced(batch).Error);
        Assert.Throws<ArgumentOutOfRangeException>(() => builder.Append(4, 1, null, null));
    }

    [Fact]
    public void Empty_batch_keeps_its_offset_range()
    {
        using var builder = new RecordBatchBuilder { BaseOffset = 50, LastOffsetDelta = 3, BaseTimestamp = 77 };

        byte[] batch = builder.Build();

        Assert.True(RecordBatchValidator.Validate(batch).IsValid);
        Assert.Equal(0, RecordBatchHeader.RecordCount(batch));
        Assert.Equal(53, RecordBatchHeader.LastOffset(batch));
        Assert.Equal(77, RecordBatchHeader.MaxTimestamp(batch));
        Assert.Empty(RecordBatchDecoder.Decode(batch).Records);
    }

    [Fact]
    public void Copying_record_views_reproduces_the_batch()
    {
        using var source = new RecordBatchBuilder(CompressionType.Lz4) { PartitionLeaderEpoch = 0 };
        KafkaPythonRecords.AppendTo(source);
        byte[] compressed = source.Build();

        using var copy = new RecordBatchBuilder { PartitionLeaderEpoch = 0 };
        using (RecordBatchRecords records = RecordBatchRecords.Open(compressed))
        {
            foreach (RecordView record in records)
            {
                copy.Append(record.OffsetDelta, record.Timestamp, record);
            }
        }

        Assert.Equal(KafkaPythonBatchFixtures.V2None, copy.Build());
    }

    [Fact]
    public void Writes_into_any_buffer_writer_after_existing_content()
    {
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        System.Buffers.BuffersExtensions.Write(output, "prefix"u8);
        using var builder = new RecordBatchBuilder(CompressionType.Gzip);
        builder.Append(1, "k"u8.ToArray(), Encoding.UTF8.GetBytes(new string('x', 10_000)));

        int size = builder.WriteTo(output);

        Assert.Equal(6 + size, output.WrittenCount);
        ReadOnlySpan<byte> batch = output.WrittenSpan[6..];
        Assert.Equal(size, RecordBatchHeader.TotalSize(batch));
        Assert.True(RecordBatchValidator.Validate(batch).IsValid);
        Assert.True(size < 1_000);
    }

    [Fact]
    public void Attributes_carry_codec_and_flags()
    {
        using var builder = new RecordBatchBuilder(CompressionType.Zstd) { IsTransactional = true, IsControl = true, LogAppendTime = 1 };
        builder.Append(1, null, null);

        byte[] batch = builder.Build();

        Assert.Equal(0x04 | 0x08 | 0x10 | 0x20, BinaryPrimitives.ReadInt16BigEndian(batch.AsSpan(RecordBatchHeader.AttributesOffset)));
    }

    [Fact]
    public void Delete_horizon_is_the_base_timestamp_that_records_are_relative_to()
    {
        using var builder = new RecordBatchBuilder { DeleteHorizonMs = 9_000, BaseTimestamp = 100 };
        builder.Append(1_000, "k"u8.ToArray(), null);
        builder.Append(1_500, "l"u8.ToArray(), "v"u8.ToArray());

        byte[] batch = builder.Build();
        DecodedRecordBatch decoded = RecordBatchDecoder.Decode(batch);

        Assert.Equal(RecordBatchAttributes.DeleteHorizon, RecordBatchHeader.Attributes(batch));
        Assert.Equal(9_000, RecordBatchHeader.BaseTimestamp(batch));
        Assert.Equal(1_500, RecordBatchHeader.MaxTimestamp(batch));
        Assert.Equal([1_000L, 1_500L], decoded.Records.Select(r => r.Timestamp));
        Assert.True(RecordBatchValidator.Validate(batch).IsValid);
        Assert.Throws<InvalidOperationException>(() => builder.DeleteHorizonMs = 1);
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
