using System.Buffers;
using System.Buffers.Binary;
using Chronik.Protocol.Compression;

namespace Chronik.Protocol.Records;

/// <summary>
/// Builds a legacy message set (magic 0 or 1), as old fetchers (Fetch v0–v3) expect. Uncompressed, each
/// record is one message at its own offset. Compressed, the records become inner messages of one wrapper
/// message whose offset is the last record's: inner offsets are absolute for magic 0 and relative to the
/// first record for magic 1 (KIP-31); a magic 1 wrapper carries the max timestamp, or the LogAppendTime.
/// Not thread-safe; dispose to return the pooled buffer.
/// </summary>
public sealed class LegacyMessageSetBuilder : IDisposable
{
    private readonly PooledBufferWriter _messages = new(1024);
    private long _firstOffset;
    private long _lastOffset = -1;
    private long _maxTimestamp = LegacyMessage.NoTimestamp;
    private int _count;

    /// <param name="magic">0 or 1.</param>
    /// <param name="compression">None, gzip, snappy or lz4 (zstd needs magic 2).</param>
    public LegacyMessageSetBuilder(byte magic, CompressionType compression = CompressionType.None)
    {
        if (magic > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(magic), magic, "Legacy messages have magic 0 or 1.");
        }

        if (compression is < CompressionType.None or > CompressionType.Lz4)
        {
            throw new ArgumentOutOfRangeException(nameof(compression), compression, "Legacy messages support none, gzip, snappy and lz4.");
        }

        Magic = magic;
        Compression = compression;
    }

    public byte Magic { get; }

    public CompressionType Compression { get; }

    /// <summary>Magic 1 only: when set, messages are LogAppendTime and carry this timestamp.</summary>
    public long? LogAppendTime { get; set; }

    public int RecordCount => _count;

    public void Append(long offset, long timestamp, byte[]? key, byte[]? value) =>
        Append(offset, timestamp, key, key is null, value, value is null);

    /// <summary>Appends a record; offsets must increase. Magic 0 ignores <paramref name="timestamp"/>.</summary>
    public void Append(long offset, long timestamp, ReadOnlySpan<byte> key, bool keyIsNull, ReadOnlySpan<byte> value, bool valueIsNull)
    {
        if (_count > 0 && offset <= _lastOffset)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"Offsets must increase; the last was {_lastOffset}.");
        }

        if (_count == 0)
        {
            _firstOffset = offset;
        }

        bool compressed = Compression != CompressionType.None;
        long storedOffset = compressed && Magic > 0 ? offset - _firstOffset : offset;
        long storedTimestamp = LogAppendTime ?? timestamp;
        byte attributes = !compressed && LogAppendTime.HasValue && Magic > 0 ? LegacyMessage.LogAppendTimeFlag : (byte)0;
        WriteMessage(_messages, Magic, storedOffset, attributes, storedTimestamp, key, keyIsNull, value, valueIsNull);
        _lastOffset = offset;
        _maxTimestamp = Math.Max(_maxTimestamp, timestamp);
        _count++;
    }

    /// <summary>Writes the message set (nothing when empty) and returns its size.</summary>
    public int WriteTo(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (_count == 0)
        {
            return 0;
        }

        if (Compression == CompressionType.None)
        {
            output.Write(_messages.WrittenSpan);
            return _messages.WrittenCount;
        }

        using var compressed = new PooledBufferWriter((_messages.WrittenCount / 2) + 64);
        LegacyCompression.Compress(Compression, Magic, _messages.WrittenSpan, compressed);
        byte attributes = (byte)((byte)Compression | (LogAppendTime.HasValue && Magic > 0 ? LegacyMessage.LogAppendTimeFlag : 0));
        long timestamp = LogAppendTime ?? _maxTimestamp;
        return WriteMessage(output, Magic, _lastOffset, attributes, timestamp, default, true, compressed.WrittenSpan, false);
    }

    public byte[] Build()
    {
        using var output = new PooledBufferWriter(_messages.WrittenCount + LegacyMessage.HeaderSizeV1);
        WriteTo(output);
        return output.ToArray();
    }

    public void Dispose() => _messages.Dispose();

    /// <summary>Writes one message with its log entry prefix and CRC; returns its size.</summary>
    internal static int WriteMessage(IBufferWriter<byte> output, byte magic, long offset, byte attributes, long timestamp, ReadOnlySpan<byte> key, bool keyIsNull, ReadOnlySpan<byte> value, bool valueIsNull)
    {
        int keyOffset = LegacyMessage.KeyOffset(magic);
        int keyLength = keyIsNull ? -1 : key.Length;
        int valueLength = valueIsNull ? -1 : value.Length;
        int total = checked(keyOffset + sizeof(int) + Math.Max(keyLength, 0) + sizeof(int) + Math.Max(valueLength, 0));
        Span<byte> message = output.GetSpan(total)[..total];
        BinaryPrimitives.WriteInt64BigEndian(message, offset);
        BinaryPrimitives.WriteInt32BigEndian(message[LegacyMessage.SizeOffset..], total - LegacyMessage.LogOverhead);
        message[LegacyMessage.MagicOffset] = magic;
        message[LegacyMessage.AttributesOffset] = attributes;
        if (magic > 0)
        {
            BinaryPrimitives.WriteInt64BigEndian(message[LegacyMessage.TimestampOffset..], timestamp);
        }

        int position = keyOffset;
        BinaryPrimitives.WriteInt32BigEndian(message[position..], keyLength);
        position += sizeof(int);
        key.CopyTo(message[position..]);
        position += Math.Max(keyLength, 0);
        BinaryPrimitives.WriteInt32BigEndian(message[position..], valueLength);
        position += sizeof(int);
        value.CopyTo(message[position..]);
        BinaryPrimitives.WriteUInt32BigEndian(message[LegacyMessage.CrcOffset..], Crc32Ieee.Compute(message[LegacyMessage.MagicOffset..]));
        output.Advance(total);
        return total;
    }
}
