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
/// Checks record batches by their v2 header and CRC only, never decoding records (except the key check a
/// compacted topic requires, as Kafka's LogValidator does). Pure functions over spans.
/// </summary>
internal static class BatchValidator
{
    /// <summary>The batchLength of the smallest possible batch: a header and no records.</summary>
    public const int MinBatchLength = RecordBatchHeader.Size - RecordBatchHeader.LogOverhead;

    public const long NoTimestamp = -1;

    /// <summary>
    /// Validates the batches of a produce or coordinator append. Throws <see cref="StorageException"/> with
    /// CorruptMessage (bad framing or CRC), InvalidRecord (bad magic, offsets, counts, control batch from a
    /// client, keyless record in a compacted topic), MessageTooLarge (batch over max.message.bytes),
    /// RecordListTooLarge (batch larger than a segment) or InvalidTimestamp.
    /// </summary>
    public static IncomingBatches ValidateIncoming(ReadOnlySpan<byte> data, LogConfig config, AppendOrigin origin, long nowMs)
    {
        if (data.Length == 0)
        {
            throw new StorageException(ErrorCode.InvalidRecord, "the append holds no record batch");
        }

        int batches = 0;
        int records = 0;
        long offsets = 0;
        long maxTimestamp = NoTimestamp;
        int largest = 0;
        int position = 0;
        while (position < data.Length)
        {
            var rest = data[position..];
            if (rest.Length < RecordBatchHeader.Size)
            {
                throw new StorageException(ErrorCode.CorruptMessage, $"{rest.Length} trailing bytes are not a whole batch header");
            }

            int batchLength = RecordBatchHeader.BatchLength(rest);
            if (batchLength < MinBatchLength)
            {
                throw new StorageException(ErrorCode.CorruptMessage, $"batch length {batchLength} is below the minimum {MinBatchLength}");
            }

            long size = (long)batchLength + RecordBatchHeader.LogOverhead;
            if (size > rest.Length)
            {
                throw new StorageException(ErrorCode.CorruptMessage, $"batch of {size} bytes exceeds the {rest.Length} bytes left");
            }

            var batch = rest[..(int)size];
            if (RecordBatchHeader.Magic(batch) != RecordBatchHeader.CurrentMagic)
            {
                throw new StorageException(ErrorCode.InvalidRecord, $"record batch magic {RecordBatchHeader.Magic(batch)} is not supported; only v2 batches are stored");
            }

            if (size > config.MaxMessageBytes)
            {
                throw new StorageException(ErrorCode.MessageTooLarge, $"batch of {size} bytes exceeds max.message.bytes {config.MaxMessageBytes}");
            }

            if (size > config.SegmentBytes)
            {
                throw new StorageException(ErrorCode.RecordListTooLarge, $"batch of {size} bytes exceeds segment.bytes {config.SegmentBytes}");
            }

            if (!RecordBatchHeader.IsCrcValid(batch))
            {
                throw new StorageException(ErrorCode.CorruptMessage, "record batch CRC does not match its contents");
            }

            int lastOffsetDelta = RecordBatchHeader.LastOffsetDelta(batch);
            int count = RecordBatchHeader.RecordCount(batch);
            if (lastOffsetDelta < 0)
            {
                throw new StorageException(ErrorCode.InvalidRecord, $"batch has a negative last offset delta {lastOffsetDelta}");
            }

            var attributes = RecordBatchHeader.Attributes(batch);
            if (origin == AppendOrigin.Client)
            {
                ValidateClientBatch(batch, attributes, lastOffsetDelta, count);
            }

            ValidateTimestamps(batch, attributes, config, nowMs);
            if (config.Compact && (attributes & RecordBatchAttributes.Control) == 0)
            {
                ValidateKeys(batch, attributes, count);
            }

            long batchMax = RecordBatchHeader.MaxTimestamp(batch);
            maxTimestamp = Math.Max(maxTimestamp, batchMax);
            batches++;
            records += Math.Max(count, 0);
            offsets += (long)lastOffsetDelta + 1;
            largest = Math.Max(largest, (int)size);
            position += (int)size;
        }

        return new IncomingBatches(batches, records, offsets, maxTimestamp, largest);
    }

    /// <summary>
    /// Checks the header of a stored (or replicated) batch at the start of <paramref name="header"/>, which holds at
    /// least <see cref="RecordBatchHeader.Size"/> bytes or everything up to the end of the data. <paramref name="available"/>
    /// is how many bytes exist from the batch start to the end of the data. The CRC is checked separately.
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

    private static void ValidateClientBatch(ReadOnlySpan<byte> batch, RecordBatchAttributes attributes, int lastOffsetDelta, int count)
    {
        if (count <= 0)
        {
            throw new StorageException(ErrorCode.InvalidRecord, $"invalid record count {count}");
        }

        if ((long)lastOffsetDelta + 1 != count)
        {
            throw new StorageException(ErrorCode.InvalidRecord, $"last offset delta {lastOffsetDelta} disagrees with the record count {count}");
        }

        if ((attributes & RecordBatchAttributes.Control) != 0)
        {
            throw new StorageException(ErrorCode.InvalidRecord, "clients may not write control records");
        }

        if (RecordBatchHeader.ProducerId(batch) >= 0 && RecordBatchHeader.BaseSequence(batch) < 0)
        {
            throw new StorageException(ErrorCode.InvalidRecord, $"invalid sequence {RecordBatchHeader.BaseSequence(batch)} for producer id {RecordBatchHeader.ProducerId(batch)}");
        }

        if ((attributes & RecordBatchAttributes.LogAppendTime) != 0)
        {
            throw new StorageException(ErrorCode.InvalidTimestamp, "producers may not set the LogAppendTime timestamp type");
        }
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
        if (max != NoTimestamp && max - nowMs > config.MessageTimestampAfterMaxMs)
        {
            throw new StorageException(ErrorCode.InvalidTimestamp, $"timestamp {max} is more than message.timestamp.after.max.ms ({config.MessageTimestampAfterMaxMs}) ahead of the broker's clock {nowMs}");
        }

        long first = RecordBatchHeader.BaseTimestamp(batch);
        if (first != NoTimestamp && nowMs - first > config.MessageTimestampBeforeMaxMs)
        {
            throw new StorageException(ErrorCode.InvalidTimestamp, $"timestamp {first} is more than message.timestamp.before.max.ms ({config.MessageTimestampBeforeMaxMs}) behind the broker's clock {nowMs}");
        }
    }

    // A compacted topic needs a key on every record (Kafka rejects keyless records with INVALID_RECORD).
    // Compressed batches would have to be decompressed on the produce path; they are not checked here, and
    // the cleaner drops keyless records it finds, as Kafka's does.
    private static void ValidateKeys(ReadOnlySpan<byte> batch, RecordBatchAttributes attributes, int count)
    {
        if ((CompressionType)(attributes & RecordBatchAttributes.CompressionMask) != CompressionType.None)
        {
            return;
        }

        var cursor = new RecordCursor(batch[RecordBatchHeader.Size..], count);
        while (cursor.TryNext(out var record))
        {
            if (!record.HasKey)
            {
                throw new StorageException(ErrorCode.InvalidRecord, "a compacted topic cannot accept a record without a key");
            }
        }

        if (!cursor.Complete)
        {
            throw new StorageException(ErrorCode.CorruptMessage, "the records of the batch do not parse");
        }
    }
}
