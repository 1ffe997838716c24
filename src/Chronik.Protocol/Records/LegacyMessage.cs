using System.Buffers.Binary;

namespace Chronik.Protocol.Records;

/// <summary>
/// Layout of a legacy message (magic 0 and 1, Kafka's LegacyRecord) with its log entry prefix:
/// offset int64, message size int32, crc uint32 (CRC-32/IEEE over magic .. end), magic int8,
/// attributes int8, timestamp int64 (magic 1 only), key bytes (int32 length, -1 = null),
/// value bytes (int32 length, -1 = null). A compressed wrapper message's value holds an inner message set.
/// </summary>
public static class LegacyMessage
{
    public const int OffsetOffset = 0;
    public const int SizeOffset = 8;
    public const int CrcOffset = 12;
    public const int MagicOffset = 16;
    public const int AttributesOffset = 17;
    public const int TimestampOffset = 18;

    /// <summary>offset + size: bytes in front of what the size counts.</summary>
    public const int LogOverhead = 12;

    /// <summary>Entry size of a magic 0 message with null key and value.</summary>
    public const int HeaderSizeV0 = LogOverhead + 4 + 1 + 1 + 4 + 4;

    /// <summary>Entry size of a magic 1 message with null key and value.</summary>
    public const int HeaderSizeV1 = HeaderSizeV0 + 8;

    /// <summary>Attribute bits holding the codec.</summary>
    public const byte CompressionMask = 0x07;

    /// <summary>Attribute bit (magic 1): timestamps are LogAppendTime.</summary>
    public const byte LogAppendTimeFlag = 0x08;

    /// <summary>Timestamp of magic 0 messages, which have none (Kafka's RecordBatch.NO_TIMESTAMP).</summary>
    public const long NoTimestamp = -1;

    public static long Offset(ReadOnlySpan<byte> message) => BinaryPrimitives.ReadInt64BigEndian(message);

    public static int Size(ReadOnlySpan<byte> message) => BinaryPrimitives.ReadInt32BigEndian(message[SizeOffset..]);

    public static uint Crc(ReadOnlySpan<byte> message) => BinaryPrimitives.ReadUInt32BigEndian(message[CrcOffset..]);

    public static byte Magic(ReadOnlySpan<byte> message) => message[MagicOffset];

    public static byte Attributes(ReadOnlySpan<byte> message) => message[AttributesOffset];

    public static CompressionType Compression(ReadOnlySpan<byte> message) => (CompressionType)(message[AttributesOffset] & CompressionMask);

    /// <summary>Where the key length field sits: after the attributes, and after the timestamp for magic 1.</summary>
    public static int KeyOffset(byte magic) => magic == 0 ? TimestampOffset : TimestampOffset + sizeof(long);

    /// <summary>The CRC the message should carry: CRC-32/IEEE over magic .. end of the message.</summary>
    public static uint ComputeCrc(ReadOnlySpan<byte> message) => Crc32Ieee.Compute(message[MagicOffset..(LogOverhead + Size(message))]);
}
