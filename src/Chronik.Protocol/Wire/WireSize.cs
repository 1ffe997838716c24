using System.Numerics;
using System.Text;

namespace Chronik.Protocol.Wire;

/// <summary>Encoded sizes of the primitives <see cref="KafkaWriter"/> writes, for the size pass before a write.</summary>
public static class WireSize
{
    public static int UnsignedVarint(uint value) => (BitOperations.Log2(value | 1) / 7) + 1;

    public static int UnsignedVarint(int value) => UnsignedVarint(checked((uint)value));

    public static int Varint(int value) => UnsignedVarint((uint)((value << 1) ^ (value >> 31)));

    public static int Varlong(long value)
    {
        ulong raw = (ulong)((value << 1) ^ (value >> 63));
        return (BitOperations.Log2(raw | 1) / 7) + 1;
    }

    /// <summary>Size of a string or null in classic (int16 length) or compact form.</summary>
    public static int String(string? value, bool compact)
    {
        if (value is null)
        {
            return compact ? 1 : 2;
        }

        int byteCount = Encoding.UTF8.GetByteCount(value);
        return compact ? UnsignedVarint((uint)byteCount + 1) + byteCount : 2 + byteCount;
    }

    /// <summary>Size of bytes of <paramref name="length"/> (or -1 for null) in classic (int32 length) or compact form.</summary>
    public static int Bytes(int length, bool compact)
    {
        if (length < 0)
        {
            return compact ? 1 : 4;
        }

        return compact ? UnsignedVarint((uint)length + 1) + length : 4 + length;
    }

    public static int Bytes(byte[]? value, bool compact) => Bytes(value?.Length ?? -1, compact);

    public static int Records(ReadOnlyMemory<byte>? value, bool compact) => Bytes(value?.Length ?? -1, compact);

    /// <summary>Size of an array's length prefix for <paramref name="count"/> elements (or -1 for null).</summary>
    public static int ArrayLength(int count, bool compact)
    {
        if (count < 0)
        {
            return compact ? 1 : 4;
        }

        return compact ? UnsignedVarint((uint)count + 1) : 4;
    }

    /// <summary>Size of one tagged field whose value takes <paramref name="valueSize"/> bytes: tag, size, value.</summary>
    public static int TaggedField(int tag, int valueSize) => UnsignedVarint(tag) + UnsignedVarint(valueSize) + valueSize;

    /// <summary>Total size of preserved unknown tagged fields.</summary>
    public static int UnknownTaggedFields(List<TaggedField>? fields)
    {
        if (fields is null)
        {
            return 0;
        }

        int size = 0;
        foreach (TaggedField field in fields)
        {
            size += TaggedField(field.Tag, field.Data.Length);
        }

        return size;
    }
}
