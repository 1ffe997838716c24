using System.Buffers.Binary;
using System.Text;

namespace Chronik.Protocol.Wire;

/// <summary>
/// Reads Kafka's wire primitives (big-endian fixed-size integers, zig-zag varints, classic and
/// compact strings/bytes/arrays, uuids, tagged-field sections) from a buffer, advancing a position.
/// Holds the <see cref="ReadOnlyMemory{T}"/> so that <c>records</c> fields come back as zero-copy
/// slices of the input: such a slice is valid only while the caller keeps the input buffer alive.
/// Every failure is a <see cref="MalformedMessageException"/>; a claimed length larger than the
/// remaining input is rejected before anything is allocated.
/// </summary>
public ref struct KafkaReader
{
    /// <summary>Longest string the protocol allows (int16 length), as Kafka enforces on read.</summary>
    public const int MaxStringLength = short.MaxValue;

    private readonly ReadOnlyMemory<byte> _memory;
    private readonly ReadOnlySpan<byte> _span;
    private int _position;

    public KafkaReader(ReadOnlyMemory<byte> memory)
    {
        _memory = memory;
        _span = memory.Span;
        _position = 0;
    }

    /// <summary>Bytes consumed so far.</summary>
    public readonly int Position => _position;

    /// <summary>Bytes not yet consumed.</summary>
    public readonly int Remaining => _span.Length - _position;

    /// <summary>Total length of the input.</summary>
    public readonly int Length => _span.Length;

    public sbyte ReadInt8() => (sbyte)Take(1)[0];

    public short ReadInt16() => BinaryPrimitives.ReadInt16BigEndian(Take(2));

    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

    public int ReadInt32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public long ReadInt64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public double ReadFloat64() => BinaryPrimitives.ReadDoubleBigEndian(Take(8));

    /// <summary>Any non-zero byte is true, as in Kafka.</summary>
    public bool ReadBool() => Take(1)[0] != 0;

    /// <summary>Kafka's Uuid: 16 bytes, most significant first; Uuid.ZERO is <see cref="Guid.Empty"/>.</summary>
    public Guid ReadUuid() => new(Take(16), bigEndian: true);

    /// <summary>Unsigned LEB128 of at most 5 bytes holding a 32-bit value.</summary>
    public uint ReadUnsignedVarint()
    {
        uint value = 0;
        for (int shift = 0; shift < 35; shift += 7)
        {
            byte b = Take(1)[0];
            if (shift == 28 && b > 0x0F)
            {
                throw new MalformedMessageException("unsigned varint does not fit in 32 bits");
            }

            value |= (uint)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw new MalformedMessageException("unsigned varint longer than 5 bytes");
    }

    /// <summary>Zig-zag encoded 32-bit varint (record fields).</summary>
    public int ReadVarint()
    {
        uint raw = ReadUnsignedVarint();
        return (int)(raw >> 1) ^ -(int)(raw & 1);
    }

    /// <summary>Zig-zag encoded 64-bit varint, at most 10 bytes.</summary>
    public long ReadVarlong()
    {
        ulong value = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            byte b = Take(1)[0];
            if (shift == 63 && b > 0x01)
            {
                throw new MalformedMessageException("varlong does not fit in 64 bits");
            }

            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return (long)(value >> 1) ^ -(long)(value & 1);
            }
        }

        throw new MalformedMessageException("varlong longer than 10 bytes");
    }

    /// <summary>A string that must not be null: int16 length (classic) or unsigned varint length + 1 (compact).</summary>
    public string ReadString(bool compact) =>
        ReadNullableString(compact) ?? throw new MalformedMessageException("non-nullable string was serialized as null");

    /// <summary>A string that may be null (length -1, or 0 in compact form).</summary>
    public string? ReadNullableString(bool compact)
    {
        int length = compact ? ReadCompactLength() : ReadInt16();
        if (length < 0)
        {
            if (length != -1)
            {
                throw new MalformedMessageException($"string length {length} is invalid");
            }

            return null;
        }

        if (length > MaxStringLength)
        {
            throw new MalformedMessageException($"string length {length} is longer than {MaxStringLength}");
        }

        // Invalid UTF-8 becomes U+FFFD, as Java's new String(bytes, UTF_8) does in Kafka.
        return Encoding.UTF8.GetString(Take(length));
    }

    /// <summary>Bytes that must not be null, copied out of the input.</summary>
    public byte[] ReadBytes(bool compact) =>
        ReadNullableBytes(compact) ?? throw new MalformedMessageException("non-nullable bytes were serialized as null");

    /// <summary>Bytes that may be null (length -1 classic, 0 compact), copied out of the input.</summary>
    public byte[]? ReadNullableBytes(bool compact)
    {
        int length = ReadBytesLength(compact);
        return length < 0 ? null : length == 0 ? [] : Take(length).ToArray();
    }

    /// <summary>
    /// A <c>records</c> field (int32 length classic, unsigned varint length + 1 compact) as a
    /// zero-copy slice of the input; null when the length says so.
    /// </summary>
    public ReadOnlyMemory<byte>? ReadRecords(bool compact)
    {
        int length = ReadBytesLength(compact);
        if (length < 0)
        {
            // Not a conditional expression: null would convert to an empty ReadOnlyMemory through byte[].
            return null;
        }

        return ReadMemory(length);
    }

    /// <summary>
    /// An array length: int32 (classic) or unsigned varint count + 1 (compact); -1 means null.
    /// Every element takes at least one byte, so a count larger than the remaining input is rejected
    /// here, before the caller sizes a list by it.
    /// </summary>
    public int ReadArrayLength(bool compact)
    {
        int count = compact ? ReadCompactLength() : ReadInt32();
        if (count < -1)
        {
            throw new MalformedMessageException($"array length {count} is invalid");
        }

        if (count > Remaining)
        {
            throw new MalformedMessageException($"array claims {count} elements but only {Remaining} bytes remain");
        }

        return count;
    }

    /// <summary>The number of fields of a tagged-field section, checked against the remaining input.</summary>
    public int ReadTaggedFieldCount()
    {
        uint count = ReadUnsignedVarint();
        if (count > (uint)Remaining)
        {
            throw new MalformedMessageException($"tagged field section claims {count} fields but only {Remaining} bytes remain");
        }

        return (int)count;
    }

    /// <summary>A tag number of a tagged field.</summary>
    public int ReadTag()
    {
        uint tag = ReadUnsignedVarint();
        if (tag > int.MaxValue)
        {
            throw new MalformedMessageException($"tag {tag} is out of range");
        }

        return (int)tag;
    }

    /// <summary>
    /// The size prefix of a tagged field followed by a reader over exactly that many bytes; this
    /// reader moves past them. Slices taken from the returned reader share the input memory.
    /// </summary>
    public KafkaReader ReadTaggedValue()
    {
        uint size = ReadUnsignedVarint();
        if (size > (uint)Remaining)
        {
            throw new MalformedMessageException($"tagged field claims {size} bytes but only {Remaining} remain");
        }

        return new KafkaReader(ReadMemory((int)size));
    }

    /// <summary>Throws unless every byte was consumed; used after a tagged value whose size is known.</summary>
    public readonly void EnsureFullyConsumed()
    {
        if (Remaining != 0)
        {
            throw new MalformedMessageException($"{Remaining} unexpected bytes after the field");
        }
    }

    /// <summary>Skips a whole tagged-field section, keeping nothing (for callers that only need the fields before it).</summary>
    public void SkipTaggedFields()
    {
        int count = ReadTaggedFieldCount();
        for (int i = 0; i < count; i++)
        {
            ReadTag();
            ReadTaggedValue();
        }
    }

    /// <summary>Reads an unknown tagged field's value bytes (after the tag) and appends it to <paramref name="fields"/>.</summary>
    public void ReadUnknownTaggedField(ref List<TaggedField>? fields, int tag)
    {
        KafkaReader value = ReadTaggedValue();
        (fields ??= []).Add(new TaggedField(tag, value._span.ToArray()));
    }

    /// <summary>The next <paramref name="length"/> bytes as a span of the input.</summary>
    public ReadOnlySpan<byte> ReadSpan(int length) => Take(length);

    /// <summary>The next <paramref name="length"/> bytes as a slice of the input memory (no copy).</summary>
    public ReadOnlyMemory<byte> ReadMemory(int length)
    {
        int start = _position;
        Take(length);
        return _memory.Slice(start, length);
    }

    public void Skip(int length) => Take(length);

    private int ReadCompactLength()
    {
        uint raw = ReadUnsignedVarint();
        if (raw > int.MaxValue)
        {
            throw new MalformedMessageException($"compact length {raw} is out of range");
        }

        return (int)raw - 1;
    }

    private int ReadBytesLength(bool compact)
    {
        int length = compact ? ReadCompactLength() : ReadInt32();
        if (length < -1)
        {
            throw new MalformedMessageException($"bytes length {length} is invalid");
        }

        return length;
    }

    private ReadOnlySpan<byte> Take(int length)
    {
        if ((uint)length > (uint)(_span.Length - _position))
        {
            throw new MalformedMessageException(length < 0
                ? $"negative length {length}"
                : $"needs {length} bytes at position {_position} but only {_span.Length - _position} remain");
        }

        ReadOnlySpan<byte> slice = _span.Slice(_position, length);
        _position += length;
        return slice;
    }
}
