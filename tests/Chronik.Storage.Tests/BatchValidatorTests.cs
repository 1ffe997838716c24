using System.Buffers.Binary;
using Chronik.Protocol.Records;
using Chronik.Protocol.Wire;
using Chronik.Storage.Records;

namespace Chronik.Storage.Tests;

public class BatchValidatorTests
{
    private const long Now = TestBatches.BaseTimestamp;

    [Fact]
    public void A_valid_batch_is_summarised()
    {
        var info = BatchValidator.ValidateIncoming(TestBatches.Concat(TestBatches.Values(3, 10), TestBatches.Values(2, 10)), LogConfig.Default, AppendOrigin.Client, Now);
        Assert.Equal(new IncomingBatches(2, 5, 5, Now + 2, info.LargestBatch), info);
    }

    public static TheoryData<string, ErrorCode> Cases() => new()
    {
        { "empty", ErrorCode.InvalidRecord },
        { "short header", ErrorCode.CorruptMessage },
        { "length below minimum", ErrorCode.CorruptMessage },
        { "length beyond data", ErrorCode.CorruptMessage },
        { "trailing bytes", ErrorCode.CorruptMessage },
        { "crc", ErrorCode.CorruptMessage },
        { "magic 1", ErrorCode.InvalidRecord },
        { "too large", ErrorCode.MessageTooLarge },
        { "larger than segment", ErrorCode.RecordListTooLarge },
        { "count mismatch", ErrorCode.InvalidRecord },
        { "zero records", ErrorCode.InvalidRecord },
        { "control from client", ErrorCode.InvalidRecord },
        { "producer id without sequence", ErrorCode.InvalidRecord },
        { "log append time from client", ErrorCode.InvalidTimestamp },
        { "timestamp too far ahead", ErrorCode.InvalidTimestamp },
        { "keyless in compacted topic", ErrorCode.InvalidRecord },
        { "keyless in compressed batch of compacted topic", ErrorCode.InvalidRecord },
        { "corrupt compressed records in compacted topic", ErrorCode.CorruptMessage },
        { "malformed record in compacted topic", ErrorCode.InvalidRecord },
        { "unknown compression type", ErrorCode.UnsupportedCompressionType },
        { "transactional without producer id", ErrorCode.InvalidRecord },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Invalid_input_maps_to_the_kafka_error(string @case, ErrorCode expected)
    {
        var config = LogConfig.Default with { MaxMessageBytes = 2000, SegmentBytes = 1_500 };
        byte[] good = TestBatches.Values(2, 10);
        byte[] data = @case switch
        {
            "empty" => [],
            "short header" => good[..40],
            "length below minimum" => WithInt(good, RecordBatchHeader.BatchLengthOffset, 20),
            "length beyond data" => WithInt(good, RecordBatchHeader.BatchLengthOffset, good.Length + 100),
            "trailing bytes" => [.. good, 1, 2, 3],
            "crc" => Flip(good, good.Length - 1),
            "magic 1" => WithByte(good, RecordBatchHeader.MagicOffset, 1),
            "too large" => TestBatches.Values(1, 2100),
            "larger than segment" => TestBatches.Values(1, 1600),
            "count mismatch" => Recrc(WithInt(good, RecordBatchHeader.LastOffsetDeltaOffset, 5)),
            "zero records" => TestBatches.Build([]),
            "control from client" => TestBatches.Marker(1, 0, true),
            "producer id without sequence" => TestBatches.Build([TestRecord.Of("k", "v")], producerId: 7, producerEpoch: 0, baseSequence: -1),
            "log append time from client" => TestBatches.Build([TestRecord.Of("k", "v")], attributes: RecordBatchAttributes.LogAppendTime),
            "timestamp too far ahead" => TestBatches.Build([TestRecord.Of("k", "v")], baseTimestamp: Now + 3_600_001),
            "keyless in compacted topic" => TestBatches.Build([TestRecord.Of("k", "v"), TestRecord.Of(null, "v")]),
            "keyless in compressed batch of compacted topic" => TestBatches.Build([TestRecord.Of("k", "v"), TestRecord.Of(null, "v")], compression: CompressionType.Snappy),
            "corrupt compressed records in compacted topic" => CorruptCompressedRecords(),
            "malformed record in compacted topic" => NegativeHeaderCount(TestBatches.Build([TestRecord.Of("k", "v")])),
            "unknown compression type" => Recrc(WithByte(good, RecordBatchHeader.AttributesOffset + 1, 6)),
            "transactional without producer id" => TestBatches.Build([TestRecord.Of("k", "v")], attributes: RecordBatchAttributes.Transactional),
            _ => throw new ArgumentException(@case),
        };
        if (@case.EndsWith("compacted topic", StringComparison.Ordinal))
        {
            config = config with { CleanupPolicy = CleanupPolicy.Compact };
        }

        var e = Assert.Throws<StorageException>(() => BatchValidator.ValidateIncoming(data, config, AppendOrigin.Client, Now));
        Assert.Equal(expected, e.ErrorCode);
    }

    [Fact]
    public void Compressed_records_are_decoded_only_for_compacted_topics()
    {
        byte[] keyless = TestBatches.Build([TestRecord.Of(null, "v")], compression: CompressionType.Gzip);

        Assert.Equal(1, BatchValidator.ValidateIncoming(keyless, LogConfig.Default, AppendOrigin.Client, Now).RecordCount);
        Assert.Equal(1, BatchValidator.ValidateIncoming(CorruptCompressedRecords(), LogConfig.Default, AppendOrigin.Client, Now).RecordCount);
        var e = Assert.Throws<StorageException>(() => BatchValidator.ValidateIncoming(keyless, LogConfig.Default with { CleanupPolicy = CleanupPolicy.Compact }, AppendOrigin.Client, Now));
        Assert.Equal(ErrorCode.InvalidRecord, e.ErrorCode);
    }

    [Fact]
    public void Replicated_batches_keep_offsets_beyond_int32_and_must_increase()
    {
        long high = (long)int.MaxValue * 3;
        byte[] first = TestBatches.Build([TestRecord.Of("k", "v"), TestRecord.Of("k", "v")], baseOffset: high);
        byte[] second = TestBatches.Build([TestRecord.Of("k", "v")], baseOffset: high + 5);

        var info = BatchValidator.ValidateReplicated(TestBatches.Concat(first, second), out long firstOffset, out long lastOffset);

        Assert.Equal((high, high + 5), (firstOffset, lastOffset));
        Assert.Equal(new IncomingBatches(2, 3, 6, Now, first.Length), info);
        foreach (byte[] bad in new[] { TestBatches.Concat(second, first), Flip(first, first.Length - 1), first[..(first.Length - 1)], [] })
        {
            Assert.ThrowsAny<StorageException>(() => BatchValidator.ValidateReplicated(bad, out _, out _));
        }
    }

    [Fact]
    public void Coordinators_may_write_control_batches()
    {
        var info = BatchValidator.ValidateIncoming(TestBatches.Marker(1, 0, true), LogConfig.Default, AppendOrigin.Coordinator, Now);
        Assert.Equal(1, info.BatchCount);
    }

    [Fact]
    public void Timestamps_older_than_the_configured_bound_are_rejected()
    {
        var config = LogConfig.Default with { MessageTimestampBeforeMaxMs = 1000 };
        var e = Assert.Throws<StorageException>(() => BatchValidator.ValidateIncoming(TestBatches.Values(1, 5, baseTimestamp: Now - 2000), config, AppendOrigin.Client, Now));
        Assert.Equal(ErrorCode.InvalidTimestamp, e.ErrorCode);
        BatchValidator.ValidateIncoming(TestBatches.Values(1, 5, baseTimestamp: Now - 2000), config with { MessageTimestampType = TimestampType.LogAppendTime }, AppendOrigin.Client, Now);
    }

    [Fact]
    public void Random_garbage_never_throws_anything_but_a_storage_exception()
    {
        var random = new Random(42);
        byte[] good = TestBatches.Concat(TestBatches.Values(3, 40), TestBatches.Values(2, 40));
        for (int i = 0; i < 5000; i++)
        {
            byte[] data = (byte[])good.Clone();
            int flips = random.Next(1, 4);
            for (int f = 0; f < flips; f++)
            {
                data[random.Next(data.Length)] = (byte)random.Next(256);
            }

            int length = random.Next(2) == 0 ? data.Length : random.Next(data.Length);
            try
            {
                BatchValidator.ValidateIncoming(data.AsMemory(0, length), LogConfig.Default with { CleanupPolicy = CleanupPolicy.Compact }, AppendOrigin.Client, Now);
            }
            catch (StorageException)
            {
            }
        }
    }

    private static byte[] WithInt(byte[] batch, int offset, int value)
    {
        byte[] copy = (byte[])batch.Clone();
        BinaryPrimitives.WriteInt32BigEndian(copy.AsSpan(offset), value);
        return copy;
    }

    private static byte[] WithByte(byte[] batch, int offset, byte value)
    {
        byte[] copy = (byte[])batch.Clone();
        copy[offset] = value;
        return copy;
    }

    private static byte[] Flip(byte[] batch, int offset) => WithByte(batch, offset, (byte)(batch[offset] ^ 0x01));

    // The last byte of a one-record batch is the record's header count.
    private static byte[] NegativeHeaderCount(byte[] batch) => Recrc(WithByte(batch, batch.Length - 1, 0x7F));

    // Gzip whose deflate stream is cut short, under a CRC that matches.
    private static byte[] CorruptCompressedRecords()
    {
        byte[] batch = TestBatches.Build([TestRecord.Of("k", new string('v', 200))], compression: CompressionType.Gzip);
        batch[RecordBatchHeader.Size + 12] ^= 0xFF;
        return Recrc(batch);
    }

    private static byte[] Recrc(byte[] batch)
    {
        RecordBatchHeader.UpdateCrc(batch);
        return batch;
    }
}
