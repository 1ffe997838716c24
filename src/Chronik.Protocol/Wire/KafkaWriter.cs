using System.Buffers.Binary;
using System.Text;

namespace Chronik.Protocol.Wire;

/// <summary>
/// Writes Kafka's wire primitives into a span that the caller sized beforehand with the message's
/// Size method (<see cref="WireSize"/> holds the matching size formulas). Writing past the end is a
/// sizing bug and fails with the span's own range check.
/// </summary>
public ref struct KafkaWriter
{
    private readonly Span<byte> _span;
    private int _position;

    public KafkaWriter(Span<byte> destination)
    {
        _span = destination;
        _position = 0;
    }

    /// <summary>Bytes written so far.</summary>
    public readonly int Position => _position;

    /// <summary>Room left in the destination.</summary>
    public readonly int Remaining => _span.Length - _position;

    public void WriteInt8(sbyte value) => _span[_position++] = (byte)value;

    public void WriteInt16(short value)
    {
        BinaryPrimitives.WriteInt16BigEndian(_span[_position..], value);
        _position += 2;
    }

    public void WriteUInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_span[_position..], value);
        _position += 2;
    }

    public void WriteInt32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(_span[_position..], value);
        _position += 4;
    }

    public void WriteInt64(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(_span[_position..], value);
        _position += 8;
    }

    public void WriteFloat64(double value)
    {
        BinaryPrimitives.WriteDoubleBigEndian(_span[_position..], value);
        _position += 8;
    }

    public void WriteBool(bool value) => _span[_position++] = value ? (byte)1 : (byte)0;

    /// <summary>Kafka's Uuid layout: 16 bytes, most significant first.</summary>
    public void WriteUuid(Guid value)
    {
        if (!value.TryWriteBytes(_span[_position..], bigEndian: true, out int written))
        {
            throw new ArgumentException("destination too small for a uuid");
        }

        _position += written;
    }

    public void WriteUnsignedVarint(uint value)
    {
        while (value >= 0x80)
        {
            _span[_position++] = (byte)(value | 0x80);
            value >>= 7;
        }

        _span[_position++] = (byte)value;
    }

    /// <summary>Writes a non-negative int as an unsigned varint (counts, sizes, tags).</summary>
    public void WriteUnsignedVarint(int value) => WriteUnsignedVarint(checked((uint)value));

    /// <summary>Zig-zag 32-bit varint.</summary>
    public void WriteVarint(int value) => WriteUnsignedVarint((uint)((value << 1) ^ (value >> 31)));

    /// <summary>Zig-zag 64-bit varint.</summary>
    public void WriteVarlong(long value)
    {
        ulong raw = (ulong)((value << 1) ^ (value >> 63));
        while (raw >= 0x80)
        {
            _span[_position++] = (byte)(raw | 0x80);
            raw >>= 7;
        }

        _span[_position++] = (byte)raw;
    }

    /// <summary>A non-null string; longer than 32767 UTF-8 bytes is refused, as in Kafka.</summary>
    public void WriteString(string value, bool compact)
    {
        if (compact)
        {
            int byteCount = Encoding.UTF8.GetByteCount(value);
            CheckStringLength(byteCount);
            WriteUnsignedVarint((uint)byteCount + 1);
            _position += Encoding.UTF8.GetBytes(value, _span[_position..]);
        }
        else
        {
            // Encode after the fixed two-byte prefix, then fill the prefix in.
            int byteCount = Encoding.UTF8.GetBytes(value, _span[(_position + 2)..]);
            CheckStringLength(byteCount);
            BinaryPrimitives.WriteInt16BigEndian(_span[_position..], (short)byteCount);
            _position += 2 + byteCount;
        }
    }

    /// <summary>A string or null (-1 classic, 0 compact).</summary>
    public void WriteNullableString(string? value, bool compact)
    {
        if (value is null)
        {
            WriteNullLength(compact, classicLengthSize: 2);
        }
        else
        {
            WriteString(value, compact);
        }
    }

    /// <summary>Bytes with an int32 (classic) or unsigned varint + 1 (compact) length.</summary>
    public void WriteBytes(ReadOnlySpan<byte> value, bool compact)
    {
        WriteLength(value.Length, compact);
        WriteRaw(value);
    }

    /// <summary>Bytes or null (-1 classic, 0 compact).</summary>
    public void WriteNullableBytes(byte[]? value, bool compact)
    {
        if (value is null)
        {
            WriteNullLength(compact, classicLengthSize: 4);
        }
        else
        {
            WriteBytes(value, compact);
        }
    }

    /// <summary>A records field: same layout as nullable bytes.</summary>
    public void WriteRecords(ReadOnlyMemory<byte>? value, bool compact)
    {
        if (value is { } records)
        {
            WriteBytes(records.Span, compact);
        }
        else
        {
            WriteNullLength(compact, classicLengthSize: 4);
        }
    }

    /// <summary>An array length: int32 (classic) or count + 1 (compact); -1 writes null.</summary>
    public void WriteArrayLength(int count, bool compact)
    {
        if (count < 0)
        {
            WriteNullLength(compact, classicLengthSize: 4);
        }
        else
        {
            WriteLength(count, compact);
        }
    }

    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_span[_position..]);
        _position += bytes.Length;
    }

    /// <summary>Writes one tagged field whose value is already encoded: tag, size, value.</summary>
    public void WriteTaggedField(TaggedField field)
    {
        WriteUnsignedVarint(field.Tag);
        WriteUnsignedVarint(field.Data.Length);
        WriteRaw(field.Data);
    }

    /// <summary>
    /// Writes the unknown tagged fields, from index <paramref name="next"/> on, whose tag is below
    /// <paramref name="tagLimit"/>; returns the index of the first one not written. Interleaves
    /// preserved fields with known ones so the section stays in ascending tag order.
    /// </summary>
    public int WriteUnknownTaggedFields(List<TaggedField>? fields, int next, int tagLimit)
    {
        if (fields is null)
        {
            return next;
        }

        while (next < fields.Count && fields[next].Tag < tagLimit)
        {
            WriteTaggedField(fields[next]);
            next++;
        }

        return next;
    }

    private void WriteLength(int length, bool compact)
    {
        if (compact)
        {
            WriteUnsignedVarint((uint)length + 1);
        }
        else
        {
            WriteInt32(length);
        }
    }

    private void WriteNullLength(bool compact, int classicLengthSize)
    {
        if (compact)
        {
            WriteUnsignedVarint(0u);
        }
        else if (classicLengthSize == 2)
        {
            WriteInt16(-1);
        }
        else
        {
            WriteInt32(-1);
        }
    }

    private static void CheckStringLength(int byteCount)
    {
        if (byteCount > KafkaReader.MaxStringLength)
        {
            throw new InvalidOperationException($"string of {byteCount} UTF-8 bytes is longer than the protocol's {KafkaReader.MaxStringLength}");
        }
    }
}
