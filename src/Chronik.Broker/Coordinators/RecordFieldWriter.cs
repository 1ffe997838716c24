using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Chronik.Broker.Coordinators;

/// <summary>
/// Writes the fields of a coordinator record key or value in Kafka's wire encoding into a growing buffer
/// (records are small and written off the hot path). Read back with Chronik.Protocol's KafkaReader.
/// </summary>
internal sealed class RecordFieldWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new(128);

    public void WriteInt8(sbyte value) => Take(1)[0] = (byte)value;

    public void WriteInt16(short value) => BinaryPrimitives.WriteInt16BigEndian(Take(2), value);

    public void WriteInt32(int value) => BinaryPrimitives.WriteInt32BigEndian(Take(4), value);

    public void WriteInt64(long value) => BinaryPrimitives.WriteInt64BigEndian(Take(8), value);

    public void WriteUuid(Guid value) => value.TryWriteBytes(Take(16), bigEndian: true, out _);

    public void WriteUnsignedVarint(uint value)
    {
        while ((value & ~0x7Fu) != 0)
        {
            Take(1)[0] = (byte)((value & 0x7F) | 0x80);
            value >>= 7;
        }

        Take(1)[0] = (byte)value;
    }

    public void WriteString(string value, bool compact) => WriteNullableString(value, compact);

    public void WriteNullableString(string? value, bool compact)
    {
        if (value is null)
        {
            if (compact)
            {
                WriteUnsignedVarint(0);
            }
            else
            {
                WriteInt16(-1);
            }

            return;
        }

        int length = Encoding.UTF8.GetByteCount(value);
        if (compact)
        {
            WriteUnsignedVarint((uint)length + 1);
        }
        else
        {
            WriteInt16(checked((short)length));
        }

        Encoding.UTF8.GetBytes(value, Take(length));
    }

    public void WriteBytes(ReadOnlySpan<byte> value, bool compact)
    {
        if (compact)
        {
            WriteUnsignedVarint((uint)value.Length + 1);
        }
        else
        {
            WriteInt32(value.Length);
        }

        value.CopyTo(Take(value.Length));
    }

    public void WriteArrayLength(int count, bool compact)
    {
        if (compact)
        {
            WriteUnsignedVarint((uint)count + 1);
        }
        else
        {
            WriteInt32(count);
        }
    }

    /// <summary>Bytes as they are (a tagged field's value, already encoded).</summary>
    public void WriteRaw(ReadOnlySpan<byte> value) => value.CopyTo(Take(value.Length));

    /// <summary>The tagged-field section of a flexible struct with no fields set.</summary>
    public void WriteNoTaggedFields() => WriteUnsignedVarint(0);

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

    private Span<byte> Take(int length)
    {
        Span<byte> span = _buffer.GetSpan(length)[..length];
        _buffer.Advance(length);
        return span;
    }
}
