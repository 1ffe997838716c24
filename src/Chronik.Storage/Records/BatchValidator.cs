using Chronik.Protocol.Records;
using Chronik.Protocol.Wire;

namespace Chronik.Storage.Records;

/// <summary>What <see cref="BatchValidator.ValidateIncoming"/> learned about the batches of one append.</summary>
internal readonly record struct IncomingBatches(int BatchCount, int RecordCount, long OffsetCount, long MaxTimestamp, int LargestBatch);

/// <summary>Outcome of checking one stored batch header during a scan.</summary>
internal enum StoredBatchStatus
{
    Valid,

    /// <summary>The bytes end inside the batch: a torn tail.</summary>
    Truncated,

    /// <summary>The header is impossible (length, magic, offsets) or, once checked, the CRC does not match.</summary>
    Corrupt,
}

/// <summary>
/// The storage side of batch validation. Framing and the checks of a single batch (length, CRC, codec id,
/// counts and offsets, what a client may not send) are Chronik.Protocol's <see cref="RecordBatchEnumerator"/>
/// and <see cref="RecordBatchValidator"/>; what stays here depends on the topic config or on the log, which
/// Protocol does not know: only magic 2 is stored, max.message.bytes, segment.bytes, the CreateTime bounds,
/// the compacted-topic key check (Kafka's LogValidator / UnifiedLog.analyzeAndValidateRecords), and the
/// header check of crash recovery, which tells a torn tail from corruption and checks offsets against the
/// segment while the batch is still streamed from the file.
/// </summary>
internal static class BatchValidator
{
    /// <summary>The batchLength of the smallest possible batch: a header and no records.</summary>
    public const int MinBatchLength = RecordBatchHeader.Size - RecordBatchHeader.LogOverhead;

    /// <summary>
    /// Bound on a batch's decompressed records wherever storage looks inside one (compacted-topic key check,
    /// compaction, timestamp lookup): Protocol's default, far above any batch max.message.bytes admits in practice.
    /// </summary>
    public const int MaxUncompressedBytes = RecordBatchRecords.DefaultMaxUncompressedBytes;

    /// <summary>
    /// Validates the batches of a produce or coordinator append. Throws <see cref="StorageException"/> with
    /// CorruptMessage (bad framing or CRC, undecodable compressed records), InvalidRecord (bad magic, offsets,
    /// counts, malformed records, control batch from a client, keyless record in a compacted topic),
    /// UnsupportedCompressionType (unknown codec id), MessageTooLarge (batch over max.message.bytes),
    /// RecordListTooLarge (batch larger than a segment) or InvalidTimestamp.
    /// </summary>
    public static IncomingBatches ValidateIncoming(ReadOnlyMemory<byte> data, LogConfig config, AppendOrigin origin, long nowMs)
    {
        if (data.IsEmpty)
        {
            throw new StorageException(ErrorCode.InvalidRecord, "the append holds no record batch");
        }

        int batches = 0;
        int records = 0;
        long offsets = 0;
        long maxTimestamp = RecordBatchHeader.NoTimestamp;
        int largest = 0;
        var entries = new RecordBatchEnumerator(data);
        while (entries.MoveNext())
        {
            var batch = entries.Current.Span;
            if (entries.CurrentMagic != RecordBatchHeader.CurrentMagic)
            {
                throw new StorageException(ErrorCode.InvalidRecord, $"record batch magic {entries.CurrentMagic} is not supported; only v2 batches are stored");
            }

            // Sizes before the CRC, as Kafka's analyzeAndValidateRecords checks them.
            if (batch.Length > config.MaxMessageBytes)
            {
                throw new StorageException(ErrorCode.MessageTooLarge, $"batch of {batch.Length} bytes exceeds max.message.bytes {config.MaxMessageBytes}");
            }

            if (batch.Length > config.SegmentBytes)
            {
                throw new StorageException(ErrorCode.RecordListTooLarge, $"batch of {batch.Length} bytes exceeds segment.bytes {config.SegmentBytes}");
            }

            var result = origin == AppendOrigin.Client ? RecordBatchValidator.ValidateProduced(batch) : RecordBatchValidator.Validate(batch);
            if (!result.IsValid)
            {
                throw new StorageException(result.Error, result.Message ?? result.Error.ToString());
            }

            var attributes = RecordBatchHeader.Attributes(batch);
            if (origin == AppendOrigin.Client && (attributes & RecordBatchAttributes.LogAppendTime) != 0)
            {
                throw new StorageException(ErrorCode.InvalidTimestamp, "producers may not set the LogAppendTime timestamp type");
            }

            ValidateTimestamps(batch, attributes, config, nowMs);
            if (config.Compact && (attributes & RecordBatchAttributes.Control) == 0)
            {
                ValidateKeys(batch);
            }

            maxTimestamp = Math.Max(maxTimestamp, RecordBatchHeader.MaxTimestamp(batch));
            batches++;
            records += RecordBatchHeader.RecordCount(batch);
            offsets += RecordBatchHeader.LastOffsetDelta(batch) + 1L;
            largest = Math.Max(largest, batch.Length);
        }

        if (entries.Status != RecordBatchEnumerationStatus.Completed)
        {
            throw new StorageException(ErrorCode.CorruptMessage, entries.ErrorMessage ?? $"{data.Length - entries.BytesConsumed} trailing bytes are not a whole batch");
        }

        return new IncomingBatches(batches, records, offsets, maxTimestamp, largest);
    }

    /// <summary>
    /// Validates the batches of a follower's append (fetched from the leader, offsets already assigned): framing,
    /// magic 2, the structural checks of <see cref="RecordBatchValidator.Validate"/> (CRC included) and base
    /// offsets strictly increasing; gaps are allowed (a compacted leader has them). Any failure is CorruptMessage.
    /// </summary>
    public static IncomingBatches ValidateReplicated(ReadOnlyMemory<byte> data, out long firstOffset, out long lastOffset)
    {
        firstOffset = -1;
        lastOffset = -1;
        if (data.IsEmpty)
        {
            throw new StorageException(ErrorCode.InvalidRecord, "the append holds no record batch");
        }

        int batches = 0;
        int records = 0;
        long maxTimestamp = RecordBatchHeader.NoTimestamp;
        int largest = 0;
        long minOffset = 0;
        var entries = new RecordBatchEnumerator(data);
        while (entries.MoveNext())
        {
            var batch = entries.Current.Span;
            var result = entries.CurrentMagic == RecordBatchHeader.CurrentMagic
                ? RecordBatchValidator.Validate(batch)
                : new BatchValidationResult(ErrorCode.CorruptMessage, $"magic {entries.CurrentMagic} is not stored");
            if (result.IsValid && RecordBatchHeader.BaseOffset(batch) < minOffset)
            {
                result = new BatchValidationResult(ErrorCode.CorruptMessage, $"base offset {RecordBatchHeader.BaseOffset(batch)} is below {minOffset}");
            }

            if (!result.IsValid)
            {
                throw new StorageException(ErrorCode.CorruptMessage, $"replicated batch at byte {entries.CurrentPosition} is corrupt: {result.Message}");
            }

            if (batches == 0)
            {
                firstOffset = RecordBatchHeader.BaseOffset(batch);
            }

            lastOffset = RecordBatchHeader.LastOffset(batch);
            minOffset = lastOffset + 1;
            maxTimestamp = Math.Max(maxTimestamp, RecordBatchHeader.MaxTimestamp(batch));
            records += RecordBatchHeader.RecordCount(batch);
            largest = Math.Max(largest, batch.Length);
            batches++;
        }

        if (entries.Status != RecordBatchEnumerationStatus.Completed)
        {
            throw new StorageException(ErrorCode.CorruptMessage, $"replicated batch at byte {entries.BytesConsumed} is {entries.ErrorMessage ?? "truncated"}");
        }

        return new IncomingBatches(batches, records, lastOffset - firstOffset + 1, maxTimestamp, largest);
    }

    /// <summary>
    /// Checks the header of a stored batch at the start of <paramref name="header"/>, which holds at least
    /// <see cref="RecordBatchHeader.Size"/> bytes or everything up to the end of the data. <paramref name="available"/>
    /// is how many bytes exist from the batch start to the end of the data. The CRC is checked separately
    /// (streamed by <see cref="Segments.SegmentReader.Validate"/>, so a huge length never allocates).
    /// </summary>
    public static StoredBatchStatus CheckStoredHeader(ReadOnlySpan<byte> header, long available, long minBaseOffset, long segmentBaseOffset, out int size)
    {
        size = 0;
        if (available < RecordBatchHeader.LogOverhead || header.Length < RecordBatchHeader.LogOverhead)
        {
            return StoredBatchStatus.Truncated;
        }

        int batchLength = RecordBatchHeader.BatchLength(header);
        if (batchLength < MinBatchLength)
        {
            // Zeros here are what a file extended by a crash but never written looks like.
            return StoredBatchStatus.Corrupt;
        }

        long total = (long)batchLength + RecordBatchHeader.LogOverhead;
        if (total > available)
        {
            return StoredBatchStatus.Truncated;
        }

        if (header.Length < RecordBatchHeader.Size)
        {
            return StoredBatchStatus.Truncated;
        }

        long baseOffset = RecordBatchHeader.BaseOffset(header);
        int lastOffsetDelta = RecordBatchHeader.LastOffsetDelta(header);
        if (RecordBatchHeader.Magic(header) != RecordBatchHeader.CurrentMagic ||
            lastOffsetDelta < 0 ||
            baseOffset < minBaseOffset ||
            baseOffset < segmentBaseOffset ||
            baseOffset + lastOffsetDelta - segmentBaseOffset > int.MaxValue)
        {
            return StoredBatchStatus.Corrupt;
        }

        size = (int)total;
        return StoredBatchStatus.Valid;
    }

    // Kafka checks every record's timestamp; without decoding records the batch's first timestamp and its max
    // timestamp bound the check (the defaults leave the lower bound open, so only max timestamp matters then).
    private static void ValidateTimestamps(ReadOnlySpan<byte> batch, RecordBatchAttributes attributes, LogConfig config, long nowMs)
    {
        if (config.MessageTimestampType != TimestampType.CreateTime || (attributes & RecordBatchAttributes.LogAppendTime) != 0)
        {
            return;
        }

        long max = RecordBatchHeader.MaxTimestamp(batch);
        if (max != RecordBatchHeader.NoTimestamp && max - nowMs > config.MessageTimestampAfterMaxMs)
        {
            throw new StorageException(ErrorCode.InvalidTimestamp, $"timestamp {max} is more than message.timestamp.after.max.ms ({config.MessageTimestampAfterMaxMs}) ahead of the broker's clock {nowMs}");
        }

        long first = RecordBatchHeader.BaseTimestamp(batch);
        if (first != RecordBatchHeader.NoTimestamp && nowMs - first > config.MessageTimestampBeforeMaxMs)
        {
            throw new StorageException(ErrorCode.InvalidTimestamp, $"timestamp {first} is more than message.timestamp.before.max.ms ({config.MessageTimestampBeforeMaxMs}) behind the broker's clock {nowMs}");
        }
    }

    // A compacted topic needs a key on every record (Kafka rejects keyless records with INVALID_RECORD). This is
    // the only place the produce path decodes records, and only for compacted topics; compressed batches are
    // decompressed for it as Kafka's LogValidator does.
    private static void ValidateKeys(ReadOnlySpan<byte> batch)
    {
        RecordBatchRecords records;
        try
        {
            records = RecordBatchRecords.Open(batch, MaxUncompressedBytes);
        }
        catch (RecordDecodeException e)
        {
            throw new StorageException(e.ErrorCode, e.Message, e);
        }

        using (records)
        {
            var reader = records.GetEnumerator();
            RecordReadStatus status;
            while ((status = reader.TryReadNext(out var record)) == RecordReadStatus.Record)
            {
                if (record.IsKeyNull)
                {
                    throw new StorageException(ErrorCode.InvalidRecord, "a compacted topic cannot accept a record without a key");
                }
            }

            if (status == RecordReadStatus.Error)
            {
                throw new StorageException(reader.Error, reader.ErrorMessage ?? "the records of the batch do not parse");
            }
        }
    }
}
