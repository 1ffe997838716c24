using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Text;

namespace Chronik.Cluster.Metadata;

/// <summary>
/// Reads what <see cref="MetadataWriter"/> writes. Every length is checked against the bytes that
/// remain before anything is allocated, so garbage yields <see cref="MetadataFormatException"/>,
/// never a huge allocation.
/// </summary>
internal ref struct MetadataReader(ReadOnlySpan<byte> buffer)
{
    private readonly ReadOnlySpan<byte> _buffer = buffer;
    private int _position;

    public readonly int Remaining => _buffer.Length - _position;

    public readonly bool End => _position == _buffer.Length;

    public byte ReadByte() => Take(1)[0];

    public bool ReadBool() => ReadByte() switch
    {
        0 => false,
        1 => true,
        var b => throw new MetadataFormatException($"invalid boolean byte {b}"),
    };

    public short ReadInt16() => BinaryPrimitives.ReadInt16BigEndian(Take(2));

    public int ReadInt32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public long ReadInt64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public uint ReadVarUInt()
    {
        uint result = 0;
        for (int shift = 0; shift < 35; shift += 7)
        {
            byte b = ReadByte();
            if (shift == 28 && b > 0x0F)
            {
                throw new MetadataFormatException("varint longer than 32 bits");
            }

            result |= (uint)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }

        throw new MetadataFormatException("varint longer than 5 bytes");
    }

    public Guid ReadGuid() => new(Take(16), bigEndian: true);

    public string? ReadString()
    {
        uint lengthPlusOne = ReadVarUInt();
        if (lengthPlusOne == 0)
        {
            return null;
        }

        ReadOnlySpan<byte> bytes = Take(CheckedLength(lengthPlusOne - 1, 1));
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new MetadataFormatException("string is not valid UTF-8");
        }
    }

    public string ReadRequiredString(string field) =>
        ReadString() ?? throw new MetadataFormatException($"{field} must not be null");

    public ImmutableArray<int>? ReadNullableInt32Array()
    {
        uint countPlusOne = ReadVarUInt();
        if (countPlusOne == 0)
        {
            return null;
        }

        int count = CheckedLength(countPlusOne - 1, 4);
        var builder = ImmutableArray.CreateBuilder<int>(count);
        for (int i = 0; i < count; i++)
        {
            builder.Add(ReadInt32());
        }

        return builder.MoveToImmutable();
    }

    public ImmutableArray<int> ReadInt32Array(string field) =>
        ReadNullableInt32Array() ?? throw new MetadataFormatException($"{field} must not be null");

    /// <summary>A count of items that each take at least <paramref name="minItemSize"/> bytes; refuses counts the input cannot hold.</summary>
    public int ReadCount(int minItemSize) => CheckedLength(ReadVarUInt(), minItemSize);

    public ReadOnlySpan<byte> ReadSlice(int length) => Take(length);

    private readonly int CheckedLength(uint count, int minItemSize)
    {
        if (count > (uint)(Remaining / minItemSize))
        {
            throw new MetadataFormatException($"length {count} exceeds the {Remaining} bytes left");
        }

        return (int)count;
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > Remaining)
        {
            throw new MetadataFormatException($"truncated: needed {count} bytes, {Remaining} left");
        }

        ReadOnlySpan<byte> slice = _buffer.Slice(_position, count);
        _position += count;
        return slice;
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
