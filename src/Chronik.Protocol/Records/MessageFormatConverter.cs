using System.Buffers;
using Chronik.Protocol.Wire;

namespace Chronik.Protocol.Records;

/// <summary>
/// Converts between legacy message sets (magic 0/1) and record batches (magic 2): up, for what old
/// producers send (Produce v0–v2), and down, for old fetchers (Fetch v0–v3 read only magic 0/1).
/// Offsets, keys, values and (magic 1) timestamps survive; record headers, producer ids and
/// transactional flags have no legacy form and are dropped. Both directions are compatibility paths
/// that decode every record; the broker's normal produce and fetch paths never call them.
/// </summary>
public static class MessageFormatConverter
{
    /// <summary>
    /// Writes the records of a complete legacy message set as record batches with the given compression.
    /// Offsets are kept when they increase (otherwise, as from producers that send all zeros, they are
    /// numbered on from the first); records become one batch, split only where the timestamp type changes
    /// (a LogAppendTime wrapper keeps its own batch). Magic 0 records get timestamp -1. Returns the bytes written.
    /// </summary>
    /// <exception cref="RecordDecodeException">The message set is truncated, corrupt or malformed.</exception>
    public static int LegacyToV2(ReadOnlyMemory<byte> messageSet, IBufferWriter<byte> output, CompressionType compression = CompressionType.None, int maxUncompressedBytes = RecordBatchRecords.DefaultMaxUncompressedBytes)
    {
        ArgumentNullException.ThrowIfNull(output);
        var entries = new RecordBatchEnumerator(messageSet);
        int written = 0;
        using var builder = new RecordBatchBuilder(compression);
        bool builderIsLogAppendTime = false;
        long nextOffset = 0;
        while (entries.MoveNext())
        {
            DecodedRecordBatch message = RecordBatchDecoder.Decode(entries.Current.Span, maxUncompressedBytes);
            if (message.Magic == RecordBatchHeader.CurrentMagic)
            {
                throw new RecordDecodeException(ErrorCode.InvalidRecord, "A legacy message set cannot contain a magic 2 batch.");
            }

            if (builder.RecordCount > 0 && (message.IsLogAppendTime || builderIsLogAppendTime))
            {
                written += Flush(builder, output);
            }

            builderIsLogAppendTime = message.IsLogAppendTime;
            builder.LogAppendTime = message.IsLogAppendTime ? message.MaxTimestamp : null;
            foreach (DecodedRecord record in message.Records)
            {
                if (builder.RecordCount == 0)
                {
                    builder.BaseOffset = record.Offset;
                    nextOffset = record.Offset;
                }

                long offset = record.Offset >= nextOffset && record.Offset - builder.BaseOffset <= int.MaxValue ? record.Offset : nextOffset;
                builder.Append((int)(offset - builder.BaseOffset), record.Timestamp, record.Key, record.Value);
                nextOffset = offset + 1;
            }
        }

        if (entries.Status != RecordBatchEnumerationStatus.Completed)
        {
            throw new RecordDecodeException(ErrorCode.CorruptMessage, entries.ErrorMessage ?? $"Truncated message set: {messageSet.Length - entries.BytesConsumed} trailing bytes.");
        }

        if (builder.RecordCount > 0)
        {
            written += Flush(builder, output);
        }

        return written;
    }

    /// <summary>
    /// Writes the records of <paramref name="batches"/> as a magic 0 or 1 message set. Each batch keeps its
    /// codec (one compressed wrapper per batch), except zstd, which legacy messages cannot carry: those
    /// records are written uncompressed. Control batches are left out (old clients cannot read control
    /// records); legacy entries in the input are re-encoded at the target magic. An incomplete trailing
    /// batch is ignored, as in a fetch response. Returns the bytes written.
    /// </summary>
    /// <exception cref="RecordDecodeException">A corrupt or malformed batch.</exception>
    public static int V2ToLegacy(ReadOnlyMemory<byte> batches, byte magic, IBufferWriter<byte> output, int maxUncompressedBytes = RecordBatchRecords.DefaultMaxUncompressedBytes)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(magic, (byte)1);
        var entries = new RecordBatchEnumerator(batches);
        int written = 0;
        while (entries.MoveNext())
        {
            DecodedRecordBatch batch = RecordBatchDecoder.Decode(entries.Current.Span, maxUncompressedBytes);
            if (batch.IsControl || batch.Records.Count == 0)
            {
                continue;
            }

            CompressionType compression = batch.Compression == CompressionType.Zstd ? CompressionType.None : batch.Compression;
            using var builder = new LegacyMessageSetBuilder(magic, compression)
            {
                LogAppendTime = batch.IsLogAppendTime && magic > 0 ? batch.MaxTimestamp : null,
            };
            foreach (DecodedRecord record in batch.Records)
            {
                builder.Append(record.Offset, record.Timestamp, record.Key, record.Value);
            }

            written += builder.WriteTo(output);
        }

        if (entries.Status == RecordBatchEnumerationStatus.Corrupt)
        {
            throw new RecordDecodeException(entries.Error, entries.ErrorMessage!);
        }

        return written;
    }

    private static int Flush(RecordBatchBuilder builder, IBufferWriter<byte> output)
    {
        int size = builder.WriteTo(output);
        builder.Clear();
        builder.LogAppendTime = null;
        return size;
    }
}
