using System.Buffers;
using System.Numerics;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace Chronik.Protocol.Compression;

/// <summary>
/// Zstandard through ZstdSharp (a managed port of libzstd). Writes one frame at level 3, Kafka's default
/// compression.zstd.level. Reads any sequence of frames, including streamed frames without a content size
/// (what zstd-jni's stream writer in the Java client produces), incrementally so the output limit holds.
/// </summary>
internal static class ZstdCodec
{
    private const int KafkaDefaultLevel = 3;

    /// <summary>libzstd's own default ceiling on the decoding window (128 MiB).</summary>
    private const int MaxWindowLog = 27;

    /// <summary>Windows up to 16 MiB are always accepted; every common encoder setting stays below that.</summary>
    private const int MinWindowLog = 24;

    // Contexts are costly to create and not thread-safe: one per thread, reset before every use.
    [ThreadStatic]
    private static Compressor? _threadCompressor;

    [ThreadStatic]
    private static Decompressor? _threadDecompressor;

    public static void Compress(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
    {
        Compressor compressor = _threadCompressor ??= new Compressor(KafkaDefaultLevel);
        Span<byte> destination = output.GetSpan(Compressor.GetCompressBound(input.Length));
        int written = compressor.Wrap(input, destination);
        output.Advance(written);
    }

    public static int Decompress(ReadOnlySpan<byte> input, IBufferWriter<byte> output, int maxOutputBytes)
    {
        if (input.IsEmpty)
        {
            return 0;
        }

        Decompressor decompressor = _threadDecompressor ??= new Decompressor();
        decompressor.ResetStream();
        // The window is allocated up front from the frame header; cap it near the output limit so a forged
        // header cannot make the decoder reserve far more memory than the caller allows.
        decompressor.SetParameter(ZSTD_dParameter.ZSTD_d_windowLogMax, WindowLogFor(maxOutputBytes));

        Span<byte> probe = stackalloc byte[1];
        int total = 0;
        int position = 0;
        while (true)
        {
            Span<byte> destination = BoundedCopy.NextChunk(output, total, maxOutputBytes, probe);
            OperationStatus status;
            int consumed;
            int written;
            try
            {
                status = decompressor.UnwrapStream(input[position..], destination, out consumed, out written);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                throw new CompressionException("Corrupt zstd data.", exception);
            }

            position += consumed;
            if (written > 0)
            {
                total = BoundedCopy.Commit(output, total, written, maxOutputBytes);
            }

            switch (status)
            {
                case OperationStatus.Done when position == input.Length:
                    return total;
                case OperationStatus.Done:
                case OperationStatus.DestinationTooSmall:
                    continue;
                case OperationStatus.NeedMoreData when position < input.Length && (consumed > 0 || written > 0):
                    continue;
                case OperationStatus.NeedMoreData:
                    throw new CompressionException("Truncated zstd frame.");
                default:
                    throw new CompressionException("Corrupt zstd data.");
            }
        }
    }

    private static int WindowLogFor(int maxOutputBytes)
    {
        int needed = BitOperations.Log2((uint)Math.Max(maxOutputBytes, 1) - 1) + 1;
        return Math.Clamp(needed, MinWindowLog, MaxWindowLog);
    }
}
