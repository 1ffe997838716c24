namespace Chronik.Protocol.Records;

/// <summary>
/// Decodes whole batches into <see cref="DecodedRecordBatch"/> objects: convenient and allocating, for
/// tests, tools, coordinators reading internal topics and indexing. Each entry is validated (checksum
/// included) before its records are read.
/// </summary>
public static class RecordBatchDecoder
{
    /// <summary>
    /// Decodes every complete entry of <paramref name="buffer"/> — v2 batches and legacy messages alike — and
    /// ignores an incomplete trailing entry, as consumers do with a fetch response cut at max bytes.
    /// </summary>
    /// <exception cref="RecordDecodeException">A corrupt or malformed entry.</exception>
    public static List<DecodedRecordBatch> DecodeAll(ReadOnlyMemory<byte> buffer, int maxUncompressedBytes = RecordBatchRecords.DefaultMaxUncompressedBytes)
    {
        var batches = new List<DecodedRecordBatch>();
        var entries = new RecordBatchEnumerator(buffer);
        while (entries.MoveNext())
        {
            batches.Add(Decode(entries.Current.Span, maxUncompressedBytes));
        }

        if (entries.Status == RecordBatchEnumerationStatus.Corrupt)
        {
            throw new RecordDecodeException(entries.Error, entries.ErrorMessage!);
        }

        return batches;
    }

    /// <summary>Decodes one entry (exactly one v2 batch or one legacy message).</summary>
    /// <exception cref="RecordDecodeException">A corrupt or malformed entry.</exception>
    public static DecodedRecordBatch Decode(ReadOnlySpan<byte> entry, int maxUncompressedBytes = RecordBatchRecords.DefaultMaxUncompressedBytes)
    {
        BatchValidationResult validation = RecordBatchValidator.Validate(entry);
        if (!validation.IsValid)
        {
            throw new RecordDecodeException(validation.Error, validation.Message ?? validation.Error.ToString());
        }

        if (RecordBatchHeader.Magic(entry) != RecordBatchHeader.CurrentMagic)
        {
            return LegacyMessageReader.Decode(entry, maxUncompressedBytes);
        }

        int count = RecordBatchHeader.RecordCount(entry);
        // The count is only trusted as far as the records exist: never preallocate by it.
        var records = new List<DecodedRecord>(Math.Min(count, 1024));
        using (RecordBatchRecords section = RecordBatchRecords.Open(entry, maxUncompressedBytes))
        {
            foreach (RecordView view in section)
            {
                records.Add(DecodedRecord.From(view));
            }
        }

        return new DecodedRecordBatch
        {
            BaseOffset = RecordBatchHeader.BaseOffset(entry),
            LastOffset = RecordBatchHeader.LastOffset(entry),
            PartitionLeaderEpoch = RecordBatchHeader.PartitionLeaderEpoch(entry),
            Magic = RecordBatchHeader.CurrentMagic,
            Attributes = RecordBatchHeader.Attributes(entry),
            BaseTimestamp = RecordBatchHeader.BaseTimestamp(entry),
            MaxTimestamp = RecordBatchHeader.MaxTimestamp(entry),
            ProducerId = RecordBatchHeader.ProducerId(entry),
            ProducerEpoch = RecordBatchHeader.ProducerEpoch(entry),
            BaseSequence = RecordBatchHeader.BaseSequence(entry),
            Records = records,
        };
    }
}
