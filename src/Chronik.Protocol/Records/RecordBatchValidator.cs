using Chronik.Protocol.Compression;
using Chronik.Protocol.Wire;

namespace Chronik.Protocol.Records;

/// <summary>
/// Checks a single log entry without decoding its records and without allocating on success. The error
/// codes follow Kafka: size, magic and checksum problems are CORRUPT_MESSAGE (CorruptRecordException in
/// DefaultRecordBatch.ensureValid / ByteBufferLogInputStream); inconsistent counts and offsets, and what a
/// client may not send, are INVALID_RECORD (InvalidRecordException in LogValidator.validateBatch).
/// </summary>
public static class RecordBatchValidator
{
    /// <summary>Smallest encoded record: seven one-byte varint fields (length, attributes, timestamp delta,
    /// offset delta, key length, value length, header count).</summary>
    public const int MinimumRecordSize = 7;

    /// <summary>
    /// Structural validation of one entry (exactly one v2 batch, or one legacy message): length field
    /// consistent with the span, known magic, checksum, and for v2 a sane record count and offset range.
    /// </summary>
    public static BatchValidationResult Validate(ReadOnlySpan<byte> entry)
    {
        if (entry.Length < RecordBatchEnumerator.HeaderSizeUpToMagic)
        {
            return BatchValidationResult.Corrupt($"Entry of {entry.Length} bytes is too short to hold a header.");
        }

        byte magic = entry[RecordBatchHeader.MagicOffset];
        return magic switch
        {
            RecordBatchHeader.CurrentMagic => ValidateV2(entry),
            0 or 1 => ValidateLegacy(entry, magic),
            _ => BatchValidationResult.Corrupt($"Invalid magic {magic}."),
        };
    }

    /// <summary>
    /// <see cref="Validate"/> plus what Kafka's LogValidator demands of a batch a client produced: magic 2
    /// batches hold at least one record, their offset range matches the count exactly, they are not control
    /// batches, and an idempotent batch carries a sequence number.
    /// </summary>
    public static BatchValidationResult ValidateProduced(ReadOnlySpan<byte> entry)
    {
        BatchValidationResult structural = Validate(entry);
        if (!structural.IsValid || RecordBatchHeader.Magic(entry) != RecordBatchHeader.CurrentMagic)
        {
            return structural;
        }

        int count = RecordBatchHeader.RecordCount(entry);
        if (count <= 0)
        {
            return BatchValidationResult.Invalid($"Invalid reported count for record batch: {count}.");
        }

        if ((long)RecordBatchHeader.LastOffsetDelta(entry) + 1 != count)
        {
            return BatchValidationResult.Invalid($"Inconsistent batch offset range (last offset delta {RecordBatchHeader.LastOffsetDelta(entry)}) and count of records {count}.");
        }

        RecordBatchAttributes attributes = RecordBatchHeader.Attributes(entry);
        if ((attributes & RecordBatchAttributes.Control) != 0)
        {
            return BatchValidationResult.Invalid("Clients are not allowed to write control records.");
        }

        long producerId = RecordBatchHeader.ProducerId(entry);
        if (producerId >= 0 && RecordBatchHeader.BaseSequence(entry) < 0)
        {
            return BatchValidationResult.Invalid($"Invalid sequence number {RecordBatchHeader.BaseSequence(entry)} in record batch with producerId {producerId}.");
        }

        if ((attributes & RecordBatchAttributes.Transactional) != 0 && producerId < 0)
        {
            return BatchValidationResult.Invalid("Transactional batch without a producer id.");
        }

        return BatchValidationResult.Valid;
    }

    private static BatchValidationResult ValidateV2(ReadOnlySpan<byte> batch)
    {
        if (batch.Length < RecordBatchHeader.Size)
        {
            return BatchValidationResult.Corrupt($"Record batch is corrupt (the size {batch.Length} is smaller than the minimum allowed overhead {RecordBatchHeader.Size}).");
        }

        long declared = (long)RecordBatchHeader.BatchLength(batch) + RecordBatchHeader.LogOverhead;
        if (declared != batch.Length)
        {
            return BatchValidationResult.Corrupt($"Batch length field says {declared} bytes, the batch has {batch.Length}.");
        }

        uint stored = RecordBatchHeader.Crc(batch);
        uint computed = Crc32C.Compute(batch[RecordBatchHeader.CrcCoveredFrom..]);
        if (stored != computed)
        {
            return BatchValidationResult.Corrupt($"Record is corrupt (stored crc = {stored}, computed crc = {computed}).");
        }

        CompressionType compression = RecordBatchHeader.Compression(batch);
        if (!CompressionCodecs.IsKnown(compression))
        {
            return new BatchValidationResult(ErrorCode.UnsupportedCompressionType, $"Unknown compression type id {(int)compression}.");
        }

        int count = RecordBatchHeader.RecordCount(batch);
        if (count < 0)
        {
            return BatchValidationResult.Invalid($"Found invalid record count {count} in magic v2 batch.");
        }

        int lastOffsetDelta = RecordBatchHeader.LastOffsetDelta(batch);
        if (lastOffsetDelta < 0 || (count > 0 && lastOffsetDelta < count - 1))
        {
            // Compaction may leave gaps (lastOffsetDelta above count - 1), never fewer offsets than records.
            return BatchValidationResult.Invalid($"Last offset delta {lastOffsetDelta} cannot cover {count} records.");
        }

        if (compression == CompressionType.None && (long)count * MinimumRecordSize > batch.Length - RecordBatchHeader.Size)
        {
            return BatchValidationResult.Invalid($"Record count {count} cannot fit in {batch.Length - RecordBatchHeader.Size} bytes of records.");
        }

        return BatchValidationResult.Valid;
    }

    private static BatchValidationResult ValidateLegacy(ReadOnlySpan<byte> message, byte magic)
    {
        int minimum = magic == 0 ? LegacyMessage.HeaderSizeV0 : LegacyMessage.HeaderSizeV1;
        if (message.Length < minimum)
        {
            return BatchValidationResult.Corrupt($"Message of {message.Length} bytes is smaller than the minimum {minimum} for magic {magic}.");
        }

        long declared = (long)LegacyMessage.Size(message) + LegacyMessage.LogOverhead;
        if (declared != message.Length)
        {
            return BatchValidationResult.Corrupt($"Message size field says {declared} bytes, the message has {message.Length}.");
        }

        uint stored = LegacyMessage.Crc(message);
        uint computed = LegacyMessage.ComputeCrc(message);
        if (stored != computed)
        {
            return BatchValidationResult.Corrupt($"Message is corrupt (stored crc = {stored}, computed crc = {computed}).");
        }

        CompressionType compression = LegacyMessage.Compression(message);
        if (compression > CompressionType.Lz4)
        {
            // Magic 0/1 predate zstd (KIP-110 requires magic 2).
            return new BatchValidationResult(ErrorCode.UnsupportedCompressionType, $"Compression type {(int)compression} is not allowed with magic {magic}.");
        }

        if (!LegacyMessageReader.TryLocateKeyAndValue(message, magic, out _, out string? error))
        {
            return BatchValidationResult.Corrupt(error);
        }

        return BatchValidationResult.Valid;
    }
}
