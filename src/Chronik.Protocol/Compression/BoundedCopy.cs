using System.Buffers;

namespace Chronik.Protocol.Compression;

/// <summary>Moves decoder output into a writer in chunks, never past a byte limit.</summary>
internal static class BoundedCopy
{
    /// <summary>Decoded bytes are pulled in chunks of at most this size.</summary>
    public const int ChunkSize = 64 * 1024;

    /// <summary>Reads <paramref name="source"/> to its end into <paramref name="output"/>; returns the bytes copied.</summary>
    public static int ReadToEnd(Stream source, IBufferWriter<byte> output, int maxOutputBytes)
    {
        Span<byte> probe = stackalloc byte[1];
        int total = 0;
        while (true)
        {
            Span<byte> destination = NextChunk(output, total, maxOutputBytes, probe);
            int read = source.Read(destination);
            if (read == 0)
            {
                return total;
            }

            total = Commit(output, total, read, maxOutputBytes);
        }
    }

    /// <summary>
    /// Where the decoder writes next: up to a chunk of the writer's memory, never more than the limit allows;
    /// at the limit, a one-byte probe outside the writer, so that any further output is detected, not buffered.
    /// </summary>
    public static Span<byte> NextChunk(IBufferWriter<byte> output, int total, int maxOutputBytes, Span<byte> probe)
    {
        int room = Math.Min(ChunkSize, maxOutputBytes - total);
        return room == 0 ? probe : output.GetSpan(room)[..room];
    }

    /// <summary>Accounts for <paramref name="written"/> bytes the decoder put into the last chunk; returns the new total.</summary>
    public static int Commit(IBufferWriter<byte> output, int total, int written, int maxOutputBytes)
    {
        EnsureWithinLimit(total, written, maxOutputBytes);
        output.Advance(written);
        return total + written;
    }

    /// <summary>Throws when adding <paramref name="more"/> bytes to <paramref name="total"/> passes the limit.</summary>
    public static void EnsureWithinLimit(long total, long more, int maxOutputBytes)
    {
        if (total + more > maxOutputBytes)
        {
            throw new DecompressionLimitExceededException(maxOutputBytes);
        }
    }
}
