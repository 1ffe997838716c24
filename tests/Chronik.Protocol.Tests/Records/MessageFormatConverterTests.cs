using Chronik.Protocol.Compression;
using Chronik.Protocol.Records;
using Chronik.Protocol.Wire;

namespace Chronik.Protocol.Tests.Records;

public class MessageFormatConverterTests
{
    [Theory]
    [MemberData(nameof(LegacyMessageTests.KafkaPythonSets), MemberType = typeof(LegacyMessageTests))]
    public void Legacy_sets_from_kafka_python_convert_to_one_v2_batch(string fixture, byte magic, CompressionType compression)
    {
        using var output = new PooledBufferWriter();

        int written = MessageFormatConverter.LegacyToV2(LegacyMessageTests.Fixture(fixture), output, CompressionType.Zstd);

        Assert.Equal(output.WrittenCount, written);
        DecodedRecordBatch batch = Assert.Single(RecordBatchDecoder.DecodeAll(output.WrittenMemory));
        Assert.Equal(CompressionType.Zstd, batch.Compression);
        Assert.True(RecordBatchValidator.Validate(output.WrittenSpan).IsValid);
        long firstOffset = compression != CompressionType.None && magic == 1 ? 1 - KafkaPythonRecords.Count : 0;
        RecordAssert.MatchesKafkaPythonRecords(batch.Records, firstOffset, withTimestamps: magic == 1, withHeaders: false);
    }

    [Fact]
    public void Legacy_offsets_that_do_not_increase_are_numbered_on()
    {
        // Old producers send every uncompressed message at offset 0.
        using var set = new PooledBufferWriter();
        for (int i = 0; i < 3; i++)
        {
            LegacyMessageSetBuilder.WriteMessage(set, 0, 0, 0, 0, default, true, [(byte)i], false);
        }

        using var output = new PooledBufferWriter();
        MessageFormatConverter.LegacyToV2(set.WrittenMemory, output);

        DecodedRecordBatch batch = Assert.Single(RecordBatchDecoder.DecodeAll(output.WrittenMemory));
        Assert.Equal([0L, 1L, 2L], batch.Records.Select(r => r.Offset));
        Assert.All(batch.Records, r => Assert.Equal(-1, r.Timestamp));
        Assert.True(RecordBatchValidator.ValidateProduced(output.WrittenSpan).IsValid);
    }

    [Fact]
    public void Truncated_legacy_set_is_corrupt()
    {
        byte[] set = LegacyMessageTests.Fixture("Magic1None");
        using var output = new PooledBufferWriter();

        var error = Assert.Throws<RecordDecodeException>(() => MessageFormatConverter.LegacyToV2(set.AsMemory(0, set.Length - 3), output));

        Assert.Equal(ErrorCode.CorruptMessage, error.ErrorCode);
    }

    public static TheoryData<byte, CompressionType> DownConversions()
    {
        var data = new TheoryData<byte, CompressionType>();
        foreach (byte magic in new byte[] { 0, 1 })
        {
            foreach (CompressionType compression in Enum.GetValues<CompressionType>())
            {
                data.Add(magic, compression);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(DownConversions))]
    public void V2_batches_convert_down_keeping_offsets_keys_values_and_timestamps(byte magic, CompressionType compression)
    {
        using var first = new RecordBatchBuilder(compression) { BaseOffset = 10 };
        KafkaPythonRecords.AppendTo(first);
        using var marker = new PooledBufferWriter();
        ControlRecords.WriteEndTransactionMarkerBatch(marker, 1, 0, new EndTransactionMarker(ControlRecordType.Commit, 0), 5, baseOffset: 60);
        using var gapped = new RecordBatchBuilder(compression) { BaseOffset = 61 };
        gapped.Append(0, 42, null, [1]);
        gapped.Append(7, 43, [2], null);
        byte[] batches = [.. first.Build(), .. marker.WrittenSpan, .. gapped.Build()];
        byte[] fetched = batches[..^5];

        using var output = new PooledBufferWriter();
        MessageFormatConverter.V2ToLegacy(fetched, magic, output);

        List<DecodedRecordBatch> legacy = RecordBatchDecoder.DecodeAll(output.WrittenMemory);
        Assert.All(legacy, b => Assert.Equal(magic, b.Magic));
        CompressionType expectedCodec = compression == CompressionType.Zstd ? CompressionType.None : compression;
        Assert.All(legacy, b => Assert.Equal(expectedCodec, b.Compression));
        var records = legacy.SelectMany(b => b.Records).ToList();
        // The control batch is dropped, the truncated last batch ignored, headers lost.
        RecordAssert.MatchesKafkaPythonRecords(records.Select(r => new DecodedRecord(r.Offset - 10, r.Timestamp, r.Key, r.Value, r.Headers)).ToList(), 0, magic == 1, withHeaders: false);

        using var complete = new PooledBufferWriter();
        MessageFormatConverter.V2ToLegacy(batches, magic, complete);
        var all = RecordBatchDecoder.DecodeAll(complete.WrittenMemory).SelectMany(b => b.Records).ToList();
        Assert.Equal([61L, 68L], all.Skip(KafkaPythonRecords.Count).Select(r => r.Offset));
        Assert.Equal(magic == 1 ? [42L, 43L] : [-1L, -1L], all.Skip(KafkaPythonRecords.Count).Select(r => r.Timestamp));
    }

    [Fact]
    public void Log_append_time_survives_down_conversion_to_magic_1()
    {
        using var builder = new RecordBatchBuilder(CompressionType.Gzip) { LogAppendTime = 9_999 };
        builder.Append(1, null, [1]);
        builder.Append(2, null, [2]);
        using var output = new PooledBufferWriter();

        MessageFormatConverter.V2ToLegacy(builder.Build(), 1, output);

        DecodedRecordBatch wrapper = Assert.Single(RecordBatchDecoder.DecodeAll(output.WrittenMemory));
        Assert.True(wrapper.IsLogAppendTime);
        Assert.All(wrapper.Records, r => Assert.Equal(9_999, r.Timestamp));
    }

    [Theory]
    [InlineData(0, CompressionType.Lz4)]
    [InlineData(1, CompressionType.Snappy)]
    public void Down_then_up_conversion_round_trips(byte magic, CompressionType compression)
    {
        using var builder = new RecordBatchBuilder(compression) { BaseOffset = 300 };
        for (int i = 0; i < 100; i++)
        {
            builder.Append(5_000 + i, i % 3 == 0 ? null : [(byte)i], [(byte)i, (byte)(i * 2)]);
        }

        using var legacy = new PooledBufferWriter();
        MessageFormatConverter.V2ToLegacy(builder.Build(), magic, legacy);
        using var v2 = new PooledBufferWriter();
        MessageFormatConverter.LegacyToV2(legacy.WrittenMemory, v2, compression);

        DecodedRecordBatch batch = Assert.Single(RecordBatchDecoder.DecodeAll(v2.WrittenMemory));
        Assert.Equal(300, batch.BaseOffset);
        Assert.Equal(Enumerable.Range(300, 100).Select(i => (long)i), batch.Records.Select(r => r.Offset));
        Assert.Equal(Enumerable.Range(0, 100).Select(i => magic == 1 ? 5_000L + i : -1L), batch.Records.Select(r => r.Timestamp));
    }
}
