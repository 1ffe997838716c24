using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using Chronik.Protocol.Compression;
using Chronik.Protocol.Wire;

namespace Chronik.Protocol.Records;

/// <summary>
/// Decodes legacy messages (magic 0/1), including compressed wrapper messages whose value is an inner
/// message set. Offsets follow Kafka's LegacyRecordBatch: magic 0 inner messages carry absolute offsets;
/// magic 1 inner messages carry offsets relative to the first, and the wrapper's offset is the absolute
/// offset of the last inner message (KIP-31). A magic 1 wrapper with LogAppendTime gives every inner
/// message its own timestamp.
/// </summary>
public static class LegacyMessageReader
{
    /// <summary>Decodes one validated legacy message (see <see cref="RecordBatchValidator.Validate"/>).</summary>
    /// <exception cref="RecordDecodeException">Malformed, corrupt or undecodable content.</exception>
    public static DecodedRecordBatch Decode(ReadOnlySpan<byte> message, int maxUncompressedBytes = RecordBatchRecords.DefaultMaxUncompressedBytes)
    {
        byte magic = LegacyMessage.Magic(message);
        if (!TryLocateKeyAndValue(message, magic, out LegacyMessageFields fields, out string? error))
        {
            throw new RecordDecodeException(ErrorCode.CorruptMessage, error);
        }

        byte attributes = LegacyMessage.Attributes(message);
        bool logAppendTime = magic > 0 && (attributes & LegacyMessage.LogAppendTimeFlag) != 0;
        long offset = LegacyMessage.Offset(message);
        long timestamp = TimestampOf(message, magic);
        var batchAttributes = (RecordBatchAttributes)(attributes & (LegacyMessage.CompressionMask | (magic > 0 ? LegacyMessage.LogAppendTimeFlag : 0)));
        CompressionType compression = LegacyMessage.Compression(message);
        if (compression == CompressionType.None)
        {
            var record = new DecodedRecord(offset, timestamp, fields.Key(message), fields.Value(message), []);
            return new DecodedRecordBatch
            {
                BaseOffset = offset,
                LastOffset = offset,
                Magic = magic,
                Attributes = batchAttributes,
                MaxTimestamp = timestamp,
                Records = [record],
            };
        }

        if (fields.ValueLength < 0)
        {
            throw new RecordDecodeException(ErrorCode.InvalidRecord, "Found invalid compressed record set with null value.");
        }

        List<DecodedRecord> records = DecodeInner(message.Slice(fields.ValueStart, fields.ValueLength), compression, magic, offset, logAppendTime ? timestamp : null, maxUncompressedBytes);
        return new DecodedRecordBatch
        {
            BaseOffset = records[0].Offset,
            LastOffset = offset,
            Magic = magic,
            Attributes = batchAttributes,
            MaxTimestamp = timestamp,
            Records = records,
        };
    }

    /// <summary>Finds key and value in a message whose size field matches its span; checks their lengths.</summary>
    internal static bool TryLocateKeyAndValue(ReadOnlySpan<byte> message, byte magic, out LegacyMessageFields fields, [NotNullWhen(false)] out string? error)
    {
        fields = default;
        int position = LegacyMessage.KeyOffset(magic);
        if (!TryReadLength(message, ref position, out int keyStart, out int keyLength)
            || !TryReadLength(message, ref position, out int valueStart, out int valueLength))
        {
            error = "Invalid key or value length in legacy message.";
            return false;
        }

        if (position != message.Length)
        {
            error = $"Legacy message has {message.Length - position} bytes after its value.";
            return false;
        }

        fields = new LegacyMessageFields(keyStart, keyLength, valueStart, valueLength);
        error = null;
        return true;
    }

    private static List<DecodedRecord> DecodeInner(ReadOnlySpan<byte> compressed, CompressionType compression, byte magic, long wrapperOffset, long? logAppendTime, int maxUncompressedBytes)
    {
        PooledBufferWriter inner;
        try
        {
            inner = LegacyCompression.Decompress(compression, magic, compressed, maxUncompressedBytes);
        }
        catch (CompressionException exception)
        {
            throw new RecordDecodeException(ErrorCode.CorruptMessage, $"Failed to decompress legacy message set: {exception.Message}", exception);
        }

        using (inner)
        {
            var records = new List<DecodedRecord>();
            var entries = new RecordBatchEnumerator(inner.WrittenMemory);
            while (entries.MoveNext())
            {
                ReadOnlySpan<byte> entry = entries.Current.Span;
                BatchValidationResult validation = RecordBatchValidator.Validate(entry);
                if (!validation.IsValid)
                {
                    throw new RecordDecodeException(validation.Error, $"Inner message: {validation.Message}");
                }

                if (LegacyMessage.Magic(entry) != magic)
                {
                    throw new RecordDecodeException(ErrorCode.InvalidRecord, $"Inner message magic {LegacyMessage.Magic(entry)} does not match the wrapper's {magic}.");
                }

                if (LegacyMessage.Compression(entry) != CompressionType.None)
                {
                    throw new RecordDecodeException(ErrorCode.InvalidRecord, "Compressed wrapper message contains a compressed inner message.");
                }

                TryLocateKeyAndValue(entry, magic, out LegacyMessageFields fields, out _);
                long timestamp = logAppendTime ?? TimestampOf(entry, magic);
                records.Add(new DecodedRecord(LegacyMessage.Offset(entry), timestamp, fields.Key(entry), fields.Value(entry), []));
            }

            if (entries.Status != RecordBatchEnumerationStatus.Completed)
            {
                throw new RecordDecodeException(ErrorCode.CorruptMessage, entries.ErrorMessage ?? "Truncated inner message set.");
            }

            if (records.Count == 0)
            {
                throw new RecordDecodeException(ErrorCode.InvalidRecord, "Found invalid compressed record set with no inner records.");
            }

            if (magic > 0)
            {
                // Inner offsets are relative; the wrapper carries the absolute offset of the last one.
                long absoluteBase = wrapperOffset - records[^1].Offset;
                for (int i = 0; i < records.Count; i++)
                {
                    DecodedRecord relative = records[i];
                    records[i] = new DecodedRecord(absoluteBase + relative.Offset, relative.Timestamp, relative.Key, relative.Value, relative.Headers);
                }
            }

            return records;
        }
    }

    private static long TimestampOf(ReadOnlySpan<byte> message, byte magic) =>
        magic == 0 ? LegacyMessage.NoTimestamp : BinaryPrimitives.ReadInt64BigEndian(message[LegacyMessage.TimestampOffset..]);

    private static bool TryReadLength(ReadOnlySpan<byte> message, ref int position, out int start, out int length)
    {
        start = 0;
        length = 0;
        if (message.Length - position < sizeof(int))
        {
            return false;
        }

        length = BinaryPrimitives.ReadInt32BigEndian(message[position..]);
        position += sizeof(int);
        start = position;
        if (length < -1 || length > message.Length - position)
        {
            return false;
        }

        position += Math.Max(length, 0);
        return true;
    }
}

/// <summary>Where key and value sit in a legacy message; a length of -1 means null.</summary>
internal readonly record struct LegacyMessageFields(int KeyStart, int KeyLength, int ValueStart, int ValueLength)
{
    public byte[]? Key(ReadOnlySpan<byte> message) => KeyLength < 0 ? null : message.Slice(KeyStart, KeyLength).ToArray();

    public byte[]? Value(ReadOnlySpan<byte> message) => ValueLength < 0 ? null : message.Slice(ValueStart, ValueLength).ToArray();
}
