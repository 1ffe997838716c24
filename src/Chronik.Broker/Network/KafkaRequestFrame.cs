using System.Buffers.Binary;

namespace Chronik.Broker.Network;

/// <summary>
/// One request as it arrived: the bytes after the 4-byte size prefix, i.e. the request header followed
/// by the request body. Backed by a pooled buffer owned by the connection (see
/// <see cref="IKafkaRequestProcessor"/> for how long it stays valid).
/// </summary>
public readonly struct KafkaRequestFrame
{
    // Every request header version starts with api key (int16), api version (int16), correlation id (int32).
    private const int FixedHeaderLength = 8;

    private readonly byte[] _buffer;

    internal KafkaRequestFrame(byte[] buffer, int length)
    {
        _buffer = buffer;
        Length = length;
    }

    /// <summary>Number of bytes in the frame.</summary>
    public int Length { get; }

    public ReadOnlyMemory<byte> Memory => new(_buffer, 0, Length);

    public ReadOnlySpan<byte> Span => new(_buffer, 0, Length);

    /// <summary>True when the frame is long enough to hold api key, api version and correlation id.</summary>
    public bool HasFixedHeader => Length >= FixedHeaderLength;

    /// <summary>The request's api key, or -1 when the frame is too short to carry one.</summary>
    public short ApiKey => Length >= 2 ? BinaryPrimitives.ReadInt16BigEndian(_buffer) : (short)-1;

    /// <summary>The request's api version, or -1 when the frame is too short to carry one.</summary>
    public short ApiVersion => Length >= 4 ? BinaryPrimitives.ReadInt16BigEndian(_buffer.AsSpan(2)) : (short)-1;

    /// <summary>The request's correlation id, or -1 when the frame is too short to carry one.</summary>
    public int CorrelationId => HasFixedHeader ? BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(4)) : -1;

    internal byte[] Buffer => _buffer;
}
