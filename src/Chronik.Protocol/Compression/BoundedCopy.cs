using System.Buffers;

namespace Chronik.Protocol.Compression;

/// <summary>Moves decoder output into a writer in chunks, never past a byte limit.</summary>
internal static class BoundedCopy
{
    /// <summary>Decoded bytes are pulled in chunks of this size, so a bomb costs at most one chunk past the limit.</summary>
    public const int ChunkSize = 64 * 1024;

    /// <summary>Reads <paramref name="source"/> to its end into <paramref name="output"/>; returns the bytes copied.</summary>
    public static int ReadToEnd(Stream source, IBufferWriter<byte> output, int maxOutputBytes)
    {
        int total = 0;
        while (true)
        {
            // Ask for one byte more than the limit allows, so exceeding it is detected rather than truncated.
            int room = (int)Math.Min(ChunkSize, (long)maxOutputBytes - total + 1);
            Span<byte> span = output.GetSpan(room)[..room];
            int read = source.Read(span);
            if (read == 0)
            {
                return total;
            }

            EnsureWithinLimit(total, read, maxOutputBytes);
            output.Advance(read);
            total += read;
        }
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
