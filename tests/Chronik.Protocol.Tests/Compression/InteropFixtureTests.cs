using Chronik.Protocol.Compression;
using Chronik.Protocol.Records;
using Chronik.Protocol.Tests.Compression.Fixtures;

namespace Chronik.Protocol.Tests.Compression;

/// <summary>Data compressed by other implementations (see Fixtures/generate_fixtures.py) decodes exactly.</summary>
public class InteropFixtureTests
{
    public static TheoryData<string, CompressionType> Fixtures() => new()
    {
        { nameof(CodecFixtures.GzipPython), CompressionType.Gzip },
        { nameof(CodecFixtures.GzipConcatenatedMembers), CompressionType.Gzip },
        { nameof(CodecFixtures.SnappyXerialKafkaPython), CompressionType.Snappy },
        { nameof(CodecFixtures.SnappyRaw), CompressionType.Snappy },
        { nameof(CodecFixtures.Lz4KafkaPython), CompressionType.Lz4 },
        { nameof(CodecFixtures.Lz4CliLinkedChecksummed), CompressionType.Lz4 },
        { nameof(CodecFixtures.ZstdCliStreamed), CompressionType.Zstd },
        { nameof(CodecFixtures.ZstdPythonStreamed), CompressionType.Zstd },
        { nameof(CodecFixtures.ZstdTwoFrames), CompressionType.Zstd },
    };

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Foreign_data_decodes_to_the_payload(string fixture, CompressionType type)
    {
        byte[] compressed = (byte[])typeof(CodecFixtures).GetField(fixture)!.GetValue(null)!;

        using PooledBufferWriter decompressed = CompressionCodecs.Decompress(type, compressed, InteropPayload.Bytes.Length);

        Assert.True(InteropPayload.Bytes.AsSpan().SequenceEqual(decompressed.WrittenSpan));
    }

    [Fact]
    public void Streamed_zstd_fixtures_really_have_no_content_size()
    {
        // Frame header descriptor: the top two bits (frame content size flag) are 0 and single-segment is off.
        Assert.Equal(0, CodecFixtures.ZstdCliStreamed[4] & 0xE0);
        Assert.Equal(0, CodecFixtures.ZstdPythonStreamed[4] & 0xE0);
    }

    [Fact]
    public void Legacy_magic_0_lz4_with_Kafkas_broken_header_checksum_decodes()
    {
        using PooledBufferWriter decompressed = LegacyCompression.Decompress(CompressionType.Lz4, 0, CodecFixtures.Lz4BrokenHeaderChecksum, InteropPayload.Bytes.Length);

        Assert.True(InteropPayload.Bytes.AsSpan().SequenceEqual(decompressed.WrittenSpan));
    }

    [Fact]
    public void Our_magic_0_lz4_carries_the_same_broken_checksum_as_kafka_python()
    {
        using var ours = new PooledBufferWriter();
        LegacyCompression.Compress(CompressionType.Lz4, 0, InteropPayload.Bytes, ours);

        // Same header (magic, FLG, BD) hashed the same broken way gives the same checksum byte.
        Assert.Equal(CodecFixtures.Lz4BrokenHeaderChecksum[..7], ours.WrittenSpan[..7].ToArray());
    }
}
