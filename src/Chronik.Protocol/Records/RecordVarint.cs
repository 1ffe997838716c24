namespace Chronik.Protocol.Records;

/// <summary>
/// The zig-zag varints of record batch v2 records (protobuf's sint32/sint64 encoding, Kafka's
/// ByteUtils.readVarint / readVarlong): at most 5 bytes for an int, 10 for a long.
/// </summary>
internal static class RecordVarint
{
    public const int MaxInt32Bytes = 5;
    public const int MaxInt64Bytes = 10;

    /// <summary>Reads a zig-zag varint; false when the span ends first or the encoding is too long.</summary>
    public static bool TryReadInt32(ReadOnlySpan<byte> source, out int value, out int bytesRead)
    {
        uint raw = 0;
        for (int i = 0; i < MaxInt32Bytes && i < source.Length; i++)
        {
            byte b = source[i];
            if (i == MaxInt32Bytes - 1 && b > 0x0F)
            {
                break;
            }

            raw |= (uint)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                value = (int)(raw >> 1) ^ -(int)(raw & 1);
                bytesRead = i + 1;
                return true;
            }
        }

        value = 0;
        bytesRead = 0;
        return false;
    }

    /// <summary>Reads a zig-zag varlong; false when the span ends first or the encoding is too long.</summary>
    public static bool TryReadInt64(ReadOnlySpan<byte> source, out long value, out int bytesRead)
    {
        ulong raw = 0;
        for (int i = 0; i < MaxInt64Bytes && i < source.Length; i++)
        {
            byte b = source[i];
            if (i == MaxInt64Bytes - 1 && b > 0x01)
            {
                break;
            }

            raw |= (ulong)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                value = (long)(raw >> 1) ^ -(long)(raw & 1);
                bytesRead = i + 1;
                return true;
            }
        }

        value = 0;
        bytesRead = 0;
        return false;
    }

    public static int SizeOf(int value) => SizeOfUnsigned((uint)((value << 1) ^ (value >> 31)));

    public static int SizeOf(long value) => SizeOfUnsigned((ulong)((value << 1) ^ (value >> 63)));

    /// <summary>Writes a zig-zag varint; returns the bytes written.</summary>
    public static int Write(Span<byte> destination, int value) => WriteUnsigned(destination, (uint)((value << 1) ^ (value >> 31)));

    /// <summary>Writes a zig-zag varlong; returns the bytes written.</summary>
    public static int Write(Span<byte> destination, long value) => WriteUnsigned(destination, (ulong)((value << 1) ^ (value >> 63)));

    private static int SizeOfUnsigned(ulong value)
    {
        int size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }

        return size;
    }

    private static int WriteUnsigned(Span<byte> destination, ulong value)
    {
        int i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[i++] = (byte)value;
        return i;
    }
}
