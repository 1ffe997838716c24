using System.Buffers;
using System.Buffers.Binary;
using Snappier;

namespace Chronik.Protocol.Compression;

/// <summary>
/// snappy as Kafka uses it. Writing uses snappy-java's stream format ("xerial framing"), which the Java
/// client writes through SnappyOutputStream and every client reads: a 16-byte header — magic
/// 0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00, int32 BE version 1, int32 BE minimum compatible version 1 (snappy-java
/// SnappyCodec.MAGIC_HEADER / DEFAULT_VERSION / MINIMUM_COMPATIBLE_VERSION) — then blocks of
/// [int32 BE compressed length][raw snappy block], each block holding at most 32 KiB of input (snappy-java's
/// default block size). Reading accepts that framing and also a single raw snappy block, which librdkafka
/// and other non-Java producers send (librdkafka's reader, like snappy-java's SnappyInputStream, checks the
/// magic and otherwise decodes the whole input as one raw block). This is not Google's "framing format"
/// (stream identifier 0xFF 06 00 00 sNaPpY), which Kafka does not use.
/// </summary>
internal static class SnappyCodec
{
    public const int XerialHeaderSize = 16;
    public const int XerialBlockSize = 32 * 1024;

    private static ReadOnlySpan<byte> XerialMagic => [0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0x00];

    public static void Compress(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
    {
        Span<byte> header = output.GetSpan(XerialHeaderSize);
        XerialMagic.CopyTo(header);
        BinaryPrimitives.WriteInt32BigEndian(header[8..], 1);
        BinaryPrimitives.WriteInt32BigEndian(header[12..], 1);
        output.Advance(XerialHeaderSize);

        // An empty input still gets one (empty) block: librdkafka and kafka-python only recognise the
        // framing when something follows the header, and would otherwise try the header as a raw block.
        do
        {
            ReadOnlySpan<byte> chunk = input[..Math.Min(XerialBlockSize, input.Length)];
            input = input[chunk.Length..];
            Span<byte> block = output.GetSpan(sizeof(int) + Snappy.GetMaxCompressedLength(chunk.Length));
            int compressed = Snappy.Compress(chunk, block[sizeof(int)..]);
            BinaryPrimitives.WriteInt32BigEndian(block, compressed);
            output.Advance(sizeof(int) + compressed);
        }
        while (!input.IsEmpty);
    }

    public static int Decompress(ReadOnlySpan<byte> input, IBufferWriter<byte> output, int maxOutputBytes)
    {
        if (input.IsEmpty)
        {
            return 0;
        }

        if (input.Length < XerialHeaderSize || !input.StartsWith(XerialMagic))
        {
            return DecompressBlock(input, output, 0, maxOutputBytes);
        }

        int total = 0;
        ReadOnlySpan<byte> rest = input[XerialHeaderSize..];
        while (!rest.IsEmpty)
        {
            if (rest.Length < sizeof(int))
            {
                throw new CompressionException("Truncated snappy block length.");
            }

            int length = BinaryPrimitives.ReadInt32BigEndian(rest);
            if (length < 0 || length > rest.Length - sizeof(int))
            {
                throw new CompressionException($"Snappy block length {length} exceeds the {rest.Length - sizeof(int)} bytes left.");
            }

            total += DecompressBlock(rest.Slice(sizeof(int), length), output, total, maxOutputBytes);
            rest = rest[(sizeof(int) + length)..];
        }

        return total;
    }

    private static int DecompressBlock(ReadOnlySpan<byte> block, IBufferWriter<byte> output, int writtenSoFar, int maxOutputBytes)
    {
        int length;
        try
        {
            // The raw format starts with the uncompressed length, so the limit is checked before allocating.
            length = Snappy.GetUncompressedLength(block);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            throw new CompressionException("Invalid snappy block header.", exception);
        }

        if (length < 0)
        {
            throw new CompressionException("Invalid snappy block length.");
        }

        BoundedCopy.EnsureWithinLimit(writtenSoFar, length, maxOutputBytes);
        if (length == 0)
        {
            return 0;
        }

        Span<byte> destination = output.GetSpan(length)[..length];
        int written;
        try
        {
            written = Snappy.Decompress(block, destination);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            throw new CompressionException("Corrupt snappy block.", exception);
        }

        if (written != length)
        {
            throw new CompressionException($"Snappy block decoded to {written} bytes, its header says {length}.");
        }

        output.Advance(written);
        return written;
    }
}
