using System.Buffers;
using System.Buffers.Binary;

namespace Chronik.Broker.Network;

/// <summary>
/// A growable, pooled buffer a processor encodes one response into (response header, then body). The
/// first four bytes of the backing array are reserved for the size prefix, so the connection writes
/// prefix and body with a single copy into the socket pipe. Disposed by the connection after writing;
/// a processor that does not hand it over in a <see cref="KafkaResponse"/> must dispose it itself.
/// </summary>
public sealed class ResponseBuffer : IBufferWriter<byte>, IDisposable
{
    private const int PrefixLength = 4;
    private const int DefaultCapacity = 256;

    private byte[]? _array;
    private int _end = PrefixLength;

    private ResponseBuffer(int capacity)
    {
        _array = FrameBuffers.Rent(PrefixLength + Math.Max(capacity, DefaultCapacity));
    }

    /// <summary>Rents a buffer with room for at least <paramref name="sizeHint"/> body bytes.</summary>
    public static ResponseBuffer Rent(int sizeHint = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);
        return new ResponseBuffer(sizeHint);
    }

    /// <summary>Bytes written so far (the response size the prefix will carry).</summary>
    public int WrittenCount => _end - PrefixLength;

    /// <summary>The bytes written so far.</summary>
    public ReadOnlySpan<byte> WrittenSpan => Array.AsSpan(PrefixLength, WrittenCount);

    public ReadOnlyMemory<byte> WrittenMemory => Array.AsMemory(PrefixLength, WrittenCount);

    private byte[] Array => _array ?? throw new ObjectDisposedException(nameof(ResponseBuffer));

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > Array.Length - _end)
        {
            throw new InvalidOperationException("Advanced past the end of the buffer.");
        }

        _end += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        EnsureCapacity(sizeHint);
        return Array.AsMemory(_end);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        EnsureCapacity(sizeHint);
        return Array.AsSpan(_end);
    }

    /// <summary>Fills the size prefix and returns prefix + body, ready for the socket.</summary>
    internal ReadOnlySpan<byte> GetFrame()
    {
        byte[] array = Array;
        BinaryPrimitives.WriteInt32BigEndian(array, WrittenCount);
        return array.AsSpan(0, _end);
    }

    public void Dispose()
    {
        byte[]? array = Interlocked.Exchange(ref _array, null);
        if (array is not null)
        {
            FrameBuffers.Return(array);
        }
    }

    private void EnsureCapacity(int sizeHint)
    {
        byte[] array = Array;
        int needed = Math.Max(sizeHint, 1);
        if (array.Length - _end >= needed)
        {
            return;
        }

        long target = Math.Max((long)array.Length * 2, (long)_end + needed);
        if (target > System.Array.MaxLength)
        {
            target = (long)_end + needed;
            if (target > System.Array.MaxLength)
            {
                throw new InvalidOperationException("A Kafka response cannot exceed 2 GiB.");
            }
        }

        byte[] bigger = FrameBuffers.Rent((int)target);
        array.AsSpan(0, _end).CopyTo(bigger);
        _array = bigger;
        FrameBuffers.Return(array);
    }
}
