using Chronik.Protocol.Compression;
using Chronik.Protocol.Records;
using Chronik.Protocol.Wire;
using Chronik.Storage;

namespace Chronik.Broker.Partitions;

/// <summary>
/// The checks a produce request's records get before the log validates them (framing, CRC, sizes, counts,
/// timestamps — see <see cref="PartitionLog.Append"/>): what Kafka's ProduceRequest.validateRecords demands of the
/// request version, the batch header rules the log does not check (known codec; a transactional batch needs a
/// producer id), the up-conversion of legacy message sets (Produce v0-2), and the compacted-topic key check for
/// compressed batches (the log checks uncompressed ones). Only the last two decode records; the normal path reads
/// batch headers only and allocates nothing.
/// </summary>
internal static class ProducedRecords
{
    /// <summary>
    /// Checks <paramref name="records"/> for a produce of <paramref name="version"/>. On success returns
    /// <see cref="ErrorCode.None"/> and the v2 batches to append in <paramref name="batches"/>: the request's bytes,
    /// or, for a legacy message set, the up-converted batches in <paramref name="converted"/> (the caller disposes it).
    /// </summary>
    public static ErrorCode Prepare(short version, ReadOnlyMemory<byte>? records, LogConfig config, out ReadOnlyMemory<byte> batches, out PooledBufferWriter? converted, out string? message)
    {
        batches = default;
        converted = null;
        message = null;
        if (records is not { Length: > 0 } data)
        {
            message = $"Produce requests with version {version} must have at least one record batch per partition";
            return ErrorCode.InvalidRecord;
        }

        var span = data.Span;
        if (span.Length < RecordBatchEnumerator.HeaderSizeUpToMagic)
        {
            message = $"{span.Length} bytes of records are too short to hold a record batch header";
            return ErrorCode.CorruptMessage;
        }

        byte magic = span[RecordBatchHeader.MagicOffset];
        if (version >= 3)
        {
            if (magic != RecordBatchHeader.CurrentMagic)
            {
                message = $"Produce requests with version {version} are only allowed to contain record batches with magic version 2";
                return ErrorCode.InvalidRecord;
            }

            long size = (long)RecordBatchHeader.BatchLength(span) + RecordBatchHeader.LogOverhead;
            if (size < span.Length && span.Length - size >= RecordBatchEnumerator.HeaderSizeUpToMagic)
            {
                message = $"Produce requests with version {version} are only allowed to contain exactly one record batch per partition";
                return ErrorCode.InvalidRecord;
            }
        }
        else if (magic < RecordBatchHeader.CurrentMagic)
        {
            return UpConvert(data, config, out batches, out converted, out message);
        }

        var error = CheckHeaders(version, span, out message);
        if (error == ErrorCode.None && config.Compact)
        {
            error = CheckKeys(span, out message);
        }

        batches = data;
        return error;
    }

    private static ErrorCode CheckHeaders(short version, ReadOnlySpan<byte> data, out string? message)
    {
        message = null;
        int position = 0;
        while (data.Length - position >= RecordBatchHeader.Size)
        {
            var batch = data[position..];
            if (RecordBatchHeader.Magic(batch) != RecordBatchHeader.CurrentMagic)
            {
                message = "A produce request may not mix record batches with legacy messages";
                return ErrorCode.InvalidRecord;
            }

            var compression = RecordBatchHeader.Compression(batch);
            if (!CompressionCodecs.IsKnown(compression))
            {
                message = $"Unknown compression type id {(int)compression}";
                return ErrorCode.UnsupportedCompressionType;
            }

            if (compression == CompressionType.Zstd && version < 7)
            {
                message = $"Produce requests with version {version} are not allowed to use ZStandard compression";
                return ErrorCode.UnsupportedCompressionType;
            }

            var attributes = RecordBatchHeader.Attributes(batch);
            if ((attributes & RecordBatchAttributes.Transactional) != 0 && RecordBatchHeader.ProducerId(batch) < 0)
            {
                message = "A transactional record batch must carry a producer id";
                return ErrorCode.InvalidRecord;
            }

            long size = (long)RecordBatchHeader.BatchLength(batch) + RecordBatchHeader.LogOverhead;
            if (size < RecordBatchHeader.Size || size > batch.Length)
            {
                // Framing errors are the log's to report (CORRUPT_MESSAGE), with its message.
                return ErrorCode.None;
            }

            position += (int)size;
        }

        return ErrorCode.None;
    }

    /// <summary>A compacted topic needs a key on every record; compressed batches are opened here (bounded).</summary>
    private static ErrorCode CheckKeys(ReadOnlySpan<byte> data, out string? message)
    {
        message = null;
        int position = 0;
        while (data.Length - position >= RecordBatchHeader.Size)
        {
            var batch = data[position..];
            long size = (long)RecordBatchHeader.BatchLength(batch) + RecordBatchHeader.LogOverhead;
            if (size < RecordBatchHeader.Size || size > batch.Length)
            {
                return ErrorCode.None;
            }

            batch = batch[..(int)size];
            position += (int)size;
            if (RecordBatchHeader.Compression(batch) == CompressionType.None || !RecordBatchHeader.IsCrcValid(batch))
            {
                // Uncompressed batches are checked by the log, corrupt ones rejected by it.
                continue;
            }

            try
            {
                using var records = RecordBatchRecords.Open(batch);
                var reader = records.GetEnumerator();
                while (true)
                {
                    var status = reader.TryReadNext(out var record);
                    if (status == RecordReadStatus.End)
                    {
                        break;
                    }

                    if (status == RecordReadStatus.Error)
                    {
                        message = reader.ErrorMessage;
                        return reader.Error;
                    }

                    if (record.IsKeyNull)
                    {
                        message = "Compacted topic cannot accept message without key";
                        return ErrorCode.InvalidRecord;
                    }
                }
            }
            catch (RecordDecodeException e)
            {
                message = e.Message;
                return e.ErrorCode;
            }
        }

        return ErrorCode.None;
    }

    private static ErrorCode UpConvert(ReadOnlyMemory<byte> messageSet, LogConfig config, out ReadOnlyMemory<byte> batches, out PooledBufferWriter? converted, out string? message)
    {
        batches = default;
        message = null;
        var compression = LegacyMessage.Compression(messageSet.Span);
        var output = new PooledBufferWriter(messageSet.Length + RecordBatchHeader.Size);
        converted = null;
        ErrorCode error;
        try
        {
            MessageFormatConverter.LegacyToV2(messageSet, output, CompressionCodecs.IsKnown(compression) ? compression : CompressionType.None);
            error = config.Compact ? CheckKeysAfterConversion(output.WrittenSpan, out message) : ErrorCode.None;
        }
        catch (RecordDecodeException e)
        {
            (error, message) = (e.ErrorCode, e.Message);
        }
        catch (CompressionException e)
        {
            (error, message) = (ErrorCode.CorruptMessage, e.Message);
        }

        if (error != ErrorCode.None)
        {
            output.Dispose();
            return error;
        }

        converted = output;
        batches = output.WrittenMemory;
        return ErrorCode.None;
    }

    // Converted batches may be compressed like the wrapper they came from; the key check opens them all.
    private static ErrorCode CheckKeysAfterConversion(ReadOnlySpan<byte> data, out string? message)
    {
        message = null;
        int position = 0;
        while (position < data.Length)
        {
            var batch = data[position..];
            int size = RecordBatchHeader.TotalSize(batch);
            using var records = RecordBatchRecords.Open(batch[..size]);
            foreach (var record in records)
            {
                if (record.IsKeyNull)
                {
                    message = "Compacted topic cannot accept message without key";
                    return ErrorCode.InvalidRecord;
                }
            }

            position += size;
        }

        return ErrorCode.None;
    }
}
