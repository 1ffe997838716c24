using System.Buffers;
using System.Buffers.Binary;

namespace Chronik.Broker.Network;

/// <summary>Outcome of <see cref="RequestFrameReader.TryRead"/>.</summary>
internal enum FrameReadStatus
{
    /// <summary>All input was consumed (or fewer than 4 prefix bytes remain); read more.</summary>
    NeedMoreData,

    /// <summary>A complete frame was produced.</summary>
    Frame,

    /// <summary>The size prefix is negative or above the limit; the connection must be closed.</summary>
    InvalidSize,
}

/// <summary>
/// Cuts Kafka's 4-byte big-endian size-prefixed frames out of a byte stream, copying each frame into a
/// pooled buffer that outlives the pipe's read buffer (the processor may hold it while later requests
/// are read). Bytes are consumed as they arrive, so a frame larger than the transport's read buffer
/// never stalls the pipe. Pure: no I/O, fed by the connection's read loop.
/// </summary>
/// <remarks>
/// An absurd or hostile size prefix never causes a large allocation up front: frames up to
/// <see cref="DirectAllocationLimit"/> get their exact buffer at once, larger ones grow by doubling as
/// their bytes actually arrive, so memory held is at most about twice what the peer has sent.
/// </remarks>
internal sealed class RequestFrameReader
{
    internal const int DirectAllocationLimit = 64 * 1024;
    private const int PrefixLength = 4;

    private readonly int _maxFrameSize;
    private byte[]? _partial;
    private int _expected;
    private int _filled;

    public RequestFrameReader(int maxFrameSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxFrameSize);
        _maxFrameSize = maxFrameSize;
    }

    /// <summary>The size prefix that was rejected by the last <see cref="FrameReadStatus.InvalidSize"/>.</summary>
    public int RejectedSize { get; private set; }

    /// <summary>True while a frame has been started but not completed.</summary>
    public bool HasPartialFrame => _partial is not null;

    /// <summary>Bytes currently rented for the unfinished frame (0 when none).</summary>
    public int PartialFrameCapacity => _partial?.Length ?? 0;

    /// <summary>Bytes the unfinished frame still lacks (0 when no frame has been started).</summary>
    public int MissingBytes => _partial is null ? 0 : _expected - _filled;

    /// <summary>
    /// Consumes bytes from the front of <paramref name="input"/> (it is sliced past what was consumed).
    /// On <see cref="FrameReadStatus.Frame"/> the caller owns <paramref name="frame"/>'s buffer and must
    /// return it with <see cref="FrameBuffers.Return"/>.
    /// </summary>
    public FrameReadStatus TryRead(ref ReadOnlySequence<byte> input, out KafkaRequestFrame frame)
    {
        frame = default;
        if (_partial is null)
        {
            if (input.Length < PrefixLength)
            {
                return FrameReadStatus.NeedMoreData;
            }

            Span<byte> prefix = stackalloc byte[PrefixLength];
            input.Slice(0, PrefixLength).CopyTo(prefix);
            int size = BinaryPrimitives.ReadInt32BigEndian(prefix);
            if (size < 0 || size > _maxFrameSize)
            {
                RejectedSize = size;
                return FrameReadStatus.InvalidSize;
            }

            input = input.Slice(PrefixLength);
            _expected = size;
            _filled = 0;
            int initial = size <= DirectAllocationLimit || input.Length >= size
                ? size
                : (int)Math.Min(size, Math.Max(DirectAllocationLimit, input.Length));
            // Never rent zero bytes: the pool hands out a shared empty array that must not be returned.
            _partial = FrameBuffers.Rent(Math.Max(initial, 1));
        }

        int take = (int)Math.Min(_expected - _filled, input.Length);
        if (take > 0)
        {
            EnsureCapacity(_filled + take);
            input.Slice(0, take).CopyTo(_partial.AsSpan(_filled));
            _filled += take;
            input = input.Slice(take);
        }

        if (_filled < _expected)
        {
            return FrameReadStatus.NeedMoreData;
        }

        frame = new KafkaRequestFrame(_partial, _expected);
        _partial = null;
        return FrameReadStatus.Frame;
    }

    /// <summary>Returns the buffer of an unfinished frame to the pool (connection closing).</summary>
    public void Reset()
    {
        if (_partial is not null)
        {
            FrameBuffers.Return(_partial);
            _partial = null;
        }
    }

    private void EnsureCapacity(int needed)
    {
        byte[] current = _partial!;
        if (current.Length >= needed)
        {
            return;
        }

        int target = (int)Math.Min(_expected, Math.Max((long)current.Length * 2, needed));
        byte[] bigger = FrameBuffers.Rent(target);
        current.AsSpan(0, _filled).CopyTo(bigger);
        FrameBuffers.Return(current);
        _partial = bigger;
    }
}
