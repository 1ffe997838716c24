using Chronik.Broker.Network;
using Chronik.Protocol.Messages;

namespace Chronik.Broker.InterBroker;

/// <summary>
/// A response whose bytes fields (a Fetch response's records) are slices of a buffer rented from
/// <see cref="FrameBuffers"/>. Dispose it as soon as those fields are no longer read: the buffer goes back to
/// the pool for the next response instead of becoming garbage on the large object heap, where a follower's
/// megabyte-sized fetch responses would otherwise pile up until a full collection.
/// </summary>
public sealed class PooledResponse<TResponse> : IDisposable
    where TResponse : IApiResponse
{
    private byte[]? _buffer;

    /// <param name="response">The decoded response.</param>
    /// <param name="buffer">The rented buffer its bytes fields point into, or null when it owns no pooled memory.</param>
    public PooledResponse(TResponse response, byte[]? buffer)
    {
        Response = response;
        _buffer = buffer;
    }

    /// <summary>The response; its bytes fields are valid until <see cref="Dispose"/>.</summary>
    public TResponse Response { get; }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
        {
            FrameBuffers.Return(buffer);
        }
    }
}
