namespace Chronik.Storage.Records;

/// <summary>
/// Zig-zag varints as used inside v2 records (protobuf style). Only the storage layer's record walks use
/// these (compaction, timestamp lookup, the compacted-topic key check); the produce/fetch path never does.
/// </summary>
internal static class Varint
{
    /// <summary>Reads a zig-zag varint of at most 5 bytes; false if the span ends or the encoding is too long.</summary>
    public static bool TryReadInt(ReadOnlySpan<byte> span, ref int position, out int value)
    {
        value = 0;
        if (!TryReadLong(span, ref position, out long v, maxBytes: 5) || v < int.MinValue || v > int.MaxValue)
        {
            return false;
        }

        value = (int)v;
        return true;
    }

    /// <summary>Reads a zig-zag varint of at most 10 bytes.</summary>
    public static bool TryReadLong(ReadOnlySpan<byte> span, ref int position, out long value, int maxBytes = 10)
    {
        ulong raw = 0;
        int shift = 0;
        for (int i = 0; i < maxBytes; i++)
        {
            if (position >= span.Length)
            {
                value = 0;
                return false;
            }

            byte b = span[position++];
            raw |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                value = (long)(raw >> 1) ^ -(long)(raw & 1);
                return true;
            }

            shift += 7;
        }

        value = 0;
        return false;
    }

    /// <summary>Writes <paramref name="value"/> zig-zag encoded; returns the bytes written.</summary>
    public static int WriteLong(Span<byte> destination, long value)
    {
        ulong raw = (ulong)((value << 1) ^ (value >> 63));
        int i = 0;
        while (raw >= 0x80)
        {
            destination[i++] = (byte)(raw | 0x80);
            raw >>= 7;
        }

        destination[i++] = (byte)raw;
        return i;
    }

    /// <summary>Encoded size of <paramref name="value"/>.</summary>
    public static int SizeOfLong(long value)
    {
        ulong raw = (ulong)((value << 1) ^ (value >> 63));
        int size = 1;
        while (raw >= 0x80)
        {
            raw >>= 7;
            size++;
        }

        return size;
    }
}
