using System.Buffers.Binary;
using Chronik.Protocol.Records;
using Chronik.Protocol.Wire;

namespace Chronik.Protocol.Tests.Records;

public class RecordBatchValidatorTests
{
    [Theory]
    [InlineData(CompressionType.None)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Zstd)]
    public void Built_batches_are_valid(CompressionType compression)
    {
        byte[] batch = TestBatches.Simple(7, 20, compression);

        Assert.Equal(BatchValidationResult.Valid, RecordBatchValidator.Validate(batch));
        Assert.Equal(BatchValidationResult.Valid, RecordBatchValidator.ValidateProduced(batch));
    }

    [Fact]
    public void Every_flipped_byte_from_the_magic_on_is_detected()
    {
        byte[] batch = TestBatches.Simple(0, 10);
        for (int position = RecordBatchHeader.MagicOffset; position < batch.Length; position++)
        {
            byte[] copy = (byte[])batch.Clone();
            copy[position] ^= 0x40;

            BatchValidationResult result = RecordBatchValidator.Validate(copy);

            Assert.Equal(ErrorCode.CorruptMessage, result.Error);
        }
    }

    [Fact]
    public void Base_offset_and_leader_epoch_are_outside_the_crc_as_in_kafka()
    {
        // The broker rewrites them in place without recomputing the checksum.
        byte[] batch = TestBatches.Simple(0, 3);
        RecordBatchHeader.SetBaseOffset(batch, 123456);
        RecordBatchHeader.SetPartitionLeaderEpoch(batch, 9);

        Assert.True(RecordBatchValidator.Validate(batch).IsValid);
    }

    [Fact]
    public void Length_field_must_match_the_slice()
    {
        byte[] batch = TestBatches.Simple(0, 3);

        Assert.Equal(ErrorCode.CorruptMessage, RecordBatchValidator.Validate(batch.AsSpan(0, batch.Length - 1)).Error);
        Assert.Equal(ErrorCode.CorruptMessage, RecordBatchValidator.Validate([.. batch, 0]).Error);
        Assert.Equal(ErrorCode.CorruptMessage, RecordBatchValidator.Validate(batch.AsSpan(0, 40)).Error);
        Assert.Equal(ErrorCode.CorruptMessage, RecordBatchValidator.Validate(batch.AsSpan(0, 10)).Error);
    }

    [Fact]
    public void Negative_record_count_is_an_invalid_record()
    {
        byte[] batch = TestBatches.Simple(0, 3);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchHeader.RecordCountOffset), -1);
        RecordBatchHeader.UpdateCrc(batch);

        Assert.Equal(ErrorCode.InvalidRecord, RecordBatchValidator.Validate(batch).Error);
    }

    [Fact]
    public void Record_count_that_cannot_fit_is_an_invalid_record()
    {
        byte[] batch = TestBatches.Simple(0, 3);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchHeader.RecordCountOffset), int.MaxValue);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchHeader.LastOffsetDeltaOffset), int.MaxValue);
        RecordBatchHeader.UpdateCrc(batch);

        Assert.Equal(ErrorCode.InvalidRecord, RecordBatchValidator.Validate(batch).Error);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1)]
    public void Last_offset_delta_below_the_record_count_is_an_invalid_record(int lastOffsetDelta)
    {
        byte[] batch = TestBatches.Simple(0, 3);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchHeader.LastOffsetDeltaOffset), lastOffsetDelta);
        RecordBatchHeader.UpdateCrc(batch);

        Assert.Equal(ErrorCode.InvalidRecord, RecordBatchValidator.Validate(batch).Error);
    }

    [Fact]
    public void Unknown_codec_id_is_unsupported_compression()
    {
        byte[] batch = TestBatches.Simple(0, 3);
        RecordBatchHeader.SetAttributes(batch, (RecordBatchAttributes)6);
        RecordBatchHeader.UpdateCrc(batch);

        Assert.Equal(ErrorCode.UnsupportedCompressionType, RecordBatchValidator.Validate(batch).Error);
    }

    [Fact]
    public void Produced_batches_must_not_be_control_batches()
    {
        using var builder = new RecordBatchBuilder { IsControl = true, IsTransactional = true, ProducerId = 1, ProducerEpoch = 0, BaseSequence = 0 };
        builder.Append(1, [0, 0, 0, 1], [0, 0, 0, 0, 0, 0]);
        byte[] batch = builder.Build();

        Assert.True(RecordBatchValidator.Validate(batch).IsValid);
        Assert.Equal(ErrorCode.InvalidRecord, RecordBatchValidator.ValidateProduced(batch).Error);
    }

    [Fact]
    public void Produced_idempotent_batches_need_a_sequence()
    {
        using var builder = new RecordBatchBuilder { ProducerId = 5, ProducerEpoch = 0 };
        builder.Append(1, null, [1]);

        Assert.Equal(ErrorCode.InvalidRecord, RecordBatchValidator.ValidateProduced(builder.Build()).Error);
    }

    [Fact]
    public void Produced_batches_need_records_and_a_matching_offset_range()
    {
        using var empty = new RecordBatchBuilder();
        Assert.Equal(ErrorCode.InvalidRecord, RecordBatchValidator.ValidateProduced(empty.Build()).Error);

        using var gap = new RecordBatchBuilder();
        gap.Append(0, 1, null, [1]);
        gap.Append(2, 1, null, [1]);
        Assert.Equal(ErrorCode.InvalidRecord, RecordBatchValidator.ValidateProduced(gap.Build()).Error);
    }

    [Fact]
    public void Legacy_messages_are_checked_with_crc32()
    {
        using var builder = new LegacyMessageSetBuilder(1);
        builder.Append(0, 10, [1], [2, 3]);
        byte[] message = builder.Build();
        Assert.True(RecordBatchValidator.Validate(message).IsValid);

        for (int position = LegacyMessage.CrcOffset; position < message.Length; position++)
        {
            byte[] copy = (byte[])message.Clone();
            copy[position] ^= 0x01;
            Assert.Equal(ErrorCode.CorruptMessage, RecordBatchValidator.Validate(copy).Error);
        }
    }

    [Fact]
    public void Validation_does_not_allocate()
    {
        byte[] batch = TestBatches.Simple(0, 200, CompressionType.Lz4);
        RecordBatchValidator.Validate(batch);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            RecordBatchValidator.ValidateProduced(batch);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
