using System.Buffers.Binary;
using System.IO.Compression;
using Chronik.Protocol.Compression;
using Chronik.Protocol.Records;
using K4os.Compression.LZ4;
using K4os.Compression.LZ4.Streams;

namespace Chronik.Protocol.Tests.Compression;

/// <summary>
/// Real bombs: 1 GiB of zeros compressed (streamed in, never held whole). With a 16 MiB limit, decoding
/// fails once the output passes the limit, having allocated about as much as the limit, not the gigabyte.
/// </summary>
public class DecompressionBombTests
{
    private const int Limit = 16 * 1024 * 1024;
    private const int ZeroChunks = 1024;
    private const int ChunkSize = 1024 * 1024;

    /// <summary>Pooled buffers grow by doubling, so up to about twice the limit may be rented, never the bomb's size.</summary>
    private const long AllocationBudget = 3L * Limit;

    [Fact]
    public void Gzip_bomb_is_rejected_at_the_limit() =>
        AssertRejected(CompressionType.Gzip, StreamZeros(sink => new GZipStream(sink, CompressionLevel.Fastest, leaveOpen: true)));

    [Fact]
    public void Lz4_bomb_is_rejected_at_the_limit() =>
        AssertRejected(CompressionType.Lz4, StreamZeros(sink => LZ4Stream.Encode(
            sink,
            new LZ4EncoderSettings { ChainBlocks = false, BlockSize = 64 * 1024, CompressionLevel = LZ4Level.L00_FAST },
            leaveOpen: true)));

    [Fact]
    public void Zstd_bomb_without_content_size_is_rejected_at_the_limit() =>
        AssertRejected(CompressionType.Zstd, StreamZeros(sink => new ZstdSharp.CompressionStream(sink, level: 1, leaveOpen: true)));

    [Fact]
    public void Xerial_snappy_bomb_is_rejected_at_the_limit()
    {
        // Snappy expands at most ~20x, so 1 GiB of zeros is 32768 identical 32 KiB blocks (~50 MB).
        byte[] block = Snappier.Snappy.CompressToArray(new byte[32 * 1024]);
        const int blocks = 32 * 1024;
        byte[] bomb = new byte[16 + (blocks * (4 + block.Length))];
        using (var header = new PooledBufferWriter())
        {
            CompressionCodecs.Compress(CompressionType.Snappy, [], header);
            header.WrittenSpan[..16].CopyTo(bomb);
        }

        for (int i = 0; i < blocks; i++)
        {
            Span<byte> at = bomb.AsSpan(16 + (i * (4 + block.Length)));
            BinaryPrimitives.WriteInt32BigEndian(at, block.Length);
            block.CopyTo(at[4..]);
        }

        AssertRejected(CompressionType.Snappy, bomb);
    }

    [Fact]
    public void Raw_snappy_block_claiming_a_gigabyte_is_rejected_before_decoding()
    {
        // Varint 1 GiB, then the start of a valid block: the length alone decides.
        byte[] bomb = [0x80, 0x80, 0x80, 0x80, 0x04, 0x00, 0x00];

        AssertRejected(CompressionType.Snappy, bomb);
    }

    [Fact]
    public void Zstd_frame_demanding_a_huge_window_is_refused_without_reserving_it()
    {
        // Frame header: magic, descriptor 0x00 (no content size, not single segment), window descriptor
        // 0xF8 = 2^(10+31) bytes. The decoder must not try to reserve such a window.
        byte[] frame = [0x28, 0xB5, 0x2F, 0xFD, 0x00, 0xF8, 0x01, 0x00, 0x00];
        long before = GC.GetAllocatedBytesForCurrentThread();
        using var output = new PooledBufferWriter();

        Assert.ThrowsAny<CompressionException>(() => CompressionCodecs.Decompress(CompressionType.Zstd, frame, output, Limit));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < AllocationBudget);
    }

    private static void AssertRejected(CompressionType type, byte[] bomb)
    {
        using var output = new PooledBufferWriter();
        long before = GC.GetAllocatedBytesForCurrentThread();

        var error = Assert.Throws<DecompressionLimitExceededException>(() => CompressionCodecs.Decompress(type, bomb, output, Limit));

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(Limit, error.Limit);
        Assert.True(output.WrittenCount <= Limit);
        Assert.True(allocated < AllocationBudget, $"{type}: allocated {allocated} bytes for a {Limit}-byte limit.");
    }

    private static byte[] StreamZeros(Func<Stream, Stream> compressor)
    {
        var sink = new MemoryStream();
        byte[] zeros = new byte[ChunkSize];
        using (Stream stream = compressor(sink))
        {
            for (int i = 0; i < ZeroChunks; i++)
            {
                stream.Write(zeros);
            }
        }

        return sink.ToArray();
    }
}
