using Chronik.Protocol.Compression;
using Chronik.Protocol.Records;

namespace Chronik.Protocol.Tests.Compression;

public class CompressionCodecsTests
{
    public static TheoryData<CompressionType, int, bool> RoundTripCases()
    {
        var data = new TheoryData<CompressionType, int, bool>();
        foreach (CompressionType type in Enum.GetValues<CompressionType>())
        {
            foreach (int size in new[] { 0, 1, 100, (32 * 1024) - 1, 32 * 1024, (32 * 1024) + 1, (64 * 1024) - 1, 64 * 1024, (64 * 1024) + 1, 1024 * 1024 })
            {
                data.Add(type, size, false);
            }

            data.Add(type, 1024 * 1024, true);
            data.Add(type, (64 * 1024) + 7, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RoundTripCases))]
    public void Compressed_data_decompresses_to_the_original(CompressionType type, int size, bool incompressible)
    {
        byte[] original = TestData(size, incompressible, seed: size + (int)type);
        using var compressed = new PooledBufferWriter();
        CompressionCodecs.Compress(type, original, compressed);

        using PooledBufferWriter decompressed = CompressionCodecs.Decompress(type, compressed.WrittenSpan, maxOutputBytes: size);

        Assert.True(original.AsSpan().SequenceEqual(decompressed.WrittenSpan));
    }

    [Theory]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    [InlineData(CompressionType.None)]
    public void Output_one_byte_over_the_limit_is_rejected(CompressionType type)
    {
        byte[] original = TestData(100_000, incompressible: false, seed: 3);
        using var compressed = new PooledBufferWriter();
        CompressionCodecs.Compress(type, original, compressed);

        using var output = new PooledBufferWriter();
        var error = Assert.Throws<DecompressionLimitExceededException>(() => CompressionCodecs.Decompress(type, compressed.WrittenSpan, output, original.Length - 1));
        Assert.Equal(original.Length - 1, error.Limit);
    }

    [Fact]
    public void Lz4_is_written_with_Kafkas_frame_header()
    {
        using var compressed = new PooledBufferWriter();
        CompressionCodecs.Compress(CompressionType.Lz4, TestData(200_000, false, 1), compressed);

        // Magic 04 22 4D 18, FLG 0x60 (version 01, independent blocks, no checksums, no size), BD 0x40 (64 KiB).
        Assert.Equal(new byte[] { 0x04, 0x22, 0x4D, 0x18, 0x60, 0x40 }, compressed.WrittenSpan[..6].ToArray());
    }

    [Fact]
    public void Snappy_is_written_in_xerial_framing_with_32_KiB_blocks()
    {
        byte[] original = TestData(100_000, incompressible: true, seed: 2);
        using var compressed = new PooledBufferWriter();
        CompressionCodecs.Compress(CompressionType.Snappy, original, compressed);

        ReadOnlySpan<byte> framed = compressed.WrittenSpan;
        Assert.Equal(new byte[] { 0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1 }, framed[..16].ToArray());
        int blocks = 0;
        int position = 16;
        while (position < framed.Length)
        {
            int length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(framed[position..]);
            int uncompressed = Snappier.Snappy.GetUncompressedLength(framed.Slice(position + 4, length));
            Assert.True(uncompressed <= 32 * 1024);
            position += 4 + length;
            blocks++;
        }

        Assert.Equal(position, framed.Length);
        Assert.Equal((100_000 + (32 * 1024) - 1) / (32 * 1024), blocks);
    }

    [Fact]
    public void Empty_snappy_input_still_has_a_block_after_the_header()
    {
        using var compressed = new PooledBufferWriter();
        CompressionCodecs.Compress(CompressionType.Snappy, [], compressed);

        // librdkafka recognises the framing only when more than header + 4 bytes follow.
        Assert.True(compressed.WrittenCount > 20);
        using PooledBufferWriter decompressed = CompressionCodecs.Decompress(CompressionType.Snappy, compressed.WrittenSpan, 0);
        Assert.Equal(0, decompressed.WrittenCount);
    }

    [Fact]
    public void Raw_snappy_blocks_are_accepted()
    {
        byte[] original = TestData(150_000, false, 4);
        byte[] raw = Snappier.Snappy.CompressToArray(original);

        using PooledBufferWriter decompressed = CompressionCodecs.Decompress(CompressionType.Snappy, raw, original.Length);

        Assert.True(original.AsSpan().SequenceEqual(decompressed.WrittenSpan));
    }

    [Fact]
    public void Zstd_is_one_frame_with_the_standard_magic()
    {
        using var compressed = new PooledBufferWriter();
        CompressionCodecs.Compress(CompressionType.Zstd, TestData(10_000, false, 5), compressed);

        Assert.Equal(new byte[] { 0x28, 0xB5, 0x2F, 0xFD }, compressed.WrittenSpan[..4].ToArray());
    }

    [Theory]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public void Truncated_data_is_a_compression_error(CompressionType type)
    {
        byte[] original = TestData(200_000, true, 6);
        using var compressed = new PooledBufferWriter();
        CompressionCodecs.Compress(type, original, compressed);

        foreach (int cut in new[] { 1, 5, 17, compressed.WrittenCount / 2, compressed.WrittenCount - 1 })
        {
            using var output = new PooledBufferWriter();
            Assert.ThrowsAny<CompressionException>(() => CompressionCodecs.Decompress(type, compressed.WrittenSpan[..cut], output, original.Length));
        }
    }

    [Theory]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public void Garbage_and_mutations_fail_only_with_compression_errors(CompressionType type)
    {
        byte[] original = TestData(20_000, false, 7);
        using var compressed = new PooledBufferWriter();
        CompressionCodecs.Compress(type, original, compressed);
        byte[] valid = compressed.ToArray();
        var random = new Random(1234 + (int)type);

        for (int round = 0; round < 300; round++)
        {
            byte[] input = round % 3 == 0 ? RandomBytes(random, random.Next(0, 300)) : Mutate(valid, random);
            using var output = new PooledBufferWriter();
            try
            {
                CompressionCodecs.Decompress(type, input, output, 1024 * 1024);
            }
            catch (CompressionException)
            {
                // The documented failure; anything else fails the test.
            }
        }
    }

    [Fact]
    public void Unknown_codec_ids_are_rejected()
    {
        using var output = new PooledBufferWriter();
        Assert.Throws<ArgumentOutOfRangeException>(() => CompressionCodecs.Compress((CompressionType)5, [1], output));
        Assert.Throws<ArgumentOutOfRangeException>(() => CompressionCodecs.Decompress((CompressionType)7, [1], output, 10));
        Assert.False(CompressionCodecs.IsKnown((CompressionType)5));
    }

    internal static byte[] TestData(int size, bool incompressible, int seed)
    {
        var data = new byte[size];
        var random = new Random(seed);
        if (incompressible)
        {
            random.NextBytes(data);
            return data;
        }

        // Record-like text: repetitive but not trivial.
        for (int i = 0; i < size; i++)
        {
            data[i] = (byte)("{\"id\":12345,\"name\":\"chronik\",\"tags\":[\"a\",\"b\"]}\n"[i % 47] ^ (random.Next(64) == 0 ? 1 : 0));
        }

        return data;
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static byte[] Mutate(byte[] valid, Random random)
    {
        byte[] copy = valid[..random.Next(1, valid.Length + 1)];
        int flips = random.Next(1, 4);
        for (int i = 0; i < flips; i++)
        {
            copy[random.Next(copy.Length)] ^= (byte)random.Next(1, 256);
        }

        return copy;
    }
}
