using System.Buffers;

namespace Chronik.Broker.Network;

/// <summary>
/// Where the broker rents the buffers of whole requests and responses (request frames, encoded responses, fetch
/// record arenas, a follower's fetch responses). Buffers up to <see cref="SharedLimit"/> come from
/// <see cref="ArrayPool{T}.Shared"/>; larger ones from one bounded pool shared by all threads.
/// <para>
/// Why: <see cref="ArrayPool{T}.Shared"/> keeps one array per size per thread that returned it. These buffers are
/// rented on one thread-pool thread and returned on another, so with replication (fetch responses of 1-16 MiB) every
/// worker thread ended up parking its own multi-megabyte arrays of each size, while the next renter on another
/// thread found none and allocated again: ~30-60 MB of extra heap per node in S6. The shared pool keeps at most
/// <see cref="ArraysPerSize"/> arrays per size, whichever thread returns them.
/// </para>
/// </summary>
internal static class FrameBuffers
{
    /// <summary>Above this many bytes a buffer comes from the bounded pool (per-thread caching stays for smaller ones).</summary>
    public const int SharedLimit = 512 * 1024;

    /// <summary>The largest buffer kept for reuse: a replica fetch response is at most replica.fetch.response.max.bytes (10 MiB).</summary>
    public const int MaxPooledLength = 16 * 1024 * 1024;

    /// <summary>Arrays kept per size: about the large buffers in use at once (two per fetch being answered or received).</summary>
    public const int ArraysPerSize = 4;

    private static readonly ArrayPool<byte> Large = ArrayPool<byte>.Create(MaxPooledLength, ArraysPerSize);

    /// <summary>A buffer of at least <paramref name="minimumLength"/> bytes (at least 1), to give back with <see cref="Return"/>.</summary>
    public static byte[] Rent(int minimumLength) =>
        minimumLength > SharedLimit ? Large.Rent(minimumLength) : ArrayPool<byte>.Shared.Rent(Math.Max(minimumLength, 1));

    /// <summary>Gives back a buffer from <see cref="Rent"/>, to the pool it came from.</summary>
    public static void Return(byte[] buffer)
    {
        if (buffer.Length > SharedLimit)
        {
            Large.Return(buffer);
        }
        else
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
