using Chronik.Protocol.Compression;
using Chronik.Protocol.Records;
using Chronik.Protocol.Wire;

namespace Chronik.Protocol.Tests.Records;

public class RecordReaderTests
{
    [Fact]
    public void Views_expose_fields_and_headers_without_copying()
    {
        using var builder = new RecordBatchBuilder { BaseOffset = 40 };
        builder.Append(500, "key"u8.ToArray(), null, [new RecordHeader("a", "1"u8.ToArray()), new RecordHeader("b", null)]);
        builder.Append(499, null, "v"u8.ToArray());
        byte[] batch = builder.Build();

        var reader = RecordReader.ForUncompressedBatch(batch);
        Assert.Equal(RecordReadStatus.Record, reader.TryReadNext(out RecordView first));
        Assert.Equal(40, first.Offset);
        Assert.Equal(0, first.OffsetDelta);
        Assert.Equal(500, first.Timestamp);
        Assert.True(first.Key.SequenceEqual("key"u8));
        Assert.True(first.IsValueNull);
        Assert.Equal(2, first.HeaderCount);
        var headers = new List<(string, byte[]?)>();
        foreach (RecordHeaderView header in first.Headers)
        {
            headers.Add((header.Key, header.IsValueNull ? null : header.Value.ToArray()));
        }

        Assert.Equal(["a", "b"], headers.Select(h => h.Item1));
        Assert.Equal("1"u8.ToArray(), headers[0].Item2);
        Assert.Null(headers[1].Item2);
        Assert.Equal(RecordReadStatus.Record, reader.TryReadNext(out RecordView second));
        Assert.Equal(41, second.Offset);
        Assert.Equal(-1, second.TimestampDelta);
        Assert.True(second.IsKeyNull);
        Assert.Equal(RecordReadStatus.End, reader.TryReadNext(out _));
        Assert.Equal(2, reader.RecordsRead);
    }

    [Fact]
    public void Reading_an_uncompressed_batch_does_not_allocate()
    {
        byte[] batch = TestBatches.Simple(0, 1000);
        long sum = Sum(batch);

        long before = GC.GetAllocatedBytesForCurrentThread();
        long again = Sum(batch);

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(sum, again);
    }

    public static TheoryData<string, byte[], int> MalformedRecords() => new()
    {
        // length varint, attributes, timestampDelta, offsetDelta, key length, key, value length, value, header count…
        { "body shorter than its length", [0x20, 0, 0, 0, 1, 1, 0], 1 },
        { "negative body length", [0x01], 1 },
        { "key length far beyond the record", [0x0C, 0, 0, 0, 0xFE, 0xFF, 0xFF, 0xFF, 0x0F, 1, 0], 1 },
        { "value length far beyond the record", [0x0C, 0, 0, 0, 1, 0xFE, 0xFF, 0xFF, 0xFF, 0x0F, 0], 1 },
        { "huge header count", [0x0C, 0, 0, 0, 1, 1, 0xFE, 0xFF, 0xFF, 0xFF, 0x0F], 1 },
        { "negative header count", [0x0C, 0, 0, 0, 1, 1, 0x03, 0, 0, 0, 0], 1 },
        { "negative header key length", [0x0E, 0, 0, 0, 1, 1, 0x02, 0x01, 0x02, 0, 0, 0], 1 },
        { "header value beyond the record", [0x10, 0, 0, 0, 1, 1, 0x02, 0x02, (byte)'h', 0x7E, 0, 0, 0], 1 },
        { "varint longer than five bytes", [0x0C, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 1, 1, 0], 1 },
        { "body longer than its fields", [0x0A, 0, 0, 0, 1, 1, 0, 9, 9, 9], 1 },
        { "fewer records than the count", [0x0C, 0, 0, 0, 1, 1, 0], 2 },
        { "bytes after the last record", [0x0C, 0, 0, 0, 1, 1, 0, 0x0C], 1 },
    };

    [Theory]
    [MemberData(nameof(MalformedRecords))]
    public void Malformed_records_are_invalid_records_not_crashes(string description, byte[] records, int count)
    {
        byte[] batch = TestBatches.WithRawRecords(records, count);
        Assert.True(RecordBatchValidator.Validate(batch).IsValid || RecordBatchValidator.Validate(batch).Error == ErrorCode.InvalidRecord, description);

        var reader = RecordReader.ForUncompressedBatch(batch);
        RecordReadStatus status;
        do
        {
            status = reader.TryReadNext(out _);
        }
        while (status == RecordReadStatus.Record);

        Assert.Equal(RecordReadStatus.Error, status);
        Assert.Equal(ErrorCode.InvalidRecord, reader.Error);
        var error = Assert.Throws<RecordDecodeException>(() => RecordBatchDecoder.Decode(batch));
        Assert.True(error.ErrorCode is ErrorCode.InvalidRecord or ErrorCode.CorruptMessage, description);
    }

    [Fact]
    public void Compressed_batches_are_decompressed_within_the_limit()
    {
        byte[] batch = TestBatches.Simple(0, 2000, CompressionType.Zstd);

        var error = Assert.Throws<RecordDecodeException>(() =>
        {
            using RecordBatchRecords records = RecordBatchRecords.Open(batch, maxUncompressedBytes: 1000);
        });

        Assert.Equal(ErrorCode.CorruptMessage, error.ErrorCode);
        Assert.IsType<DecompressionLimitExceededException>(error.InnerException);
        using RecordBatchRecords within = RecordBatchRecords.Open(batch);
        int count = 0;
        foreach (RecordView record in within)
        {
            Assert.Equal(count++, record.OffsetDelta);
        }

        Assert.Equal(2000, count);
    }

    [Fact]
    public void Try_open_reports_unreadable_records_as_false_instead_of_throwing()
    {
        byte[] batch = TestBatches.Simple(0, 2000, CompressionType.Lz4);
        byte[] corrupt = TestBatches.Simple(0, 50, CompressionType.Gzip);
        corrupt[RecordBatchHeader.Size + 20] ^= 0xFF;
        byte[] unknownCodec = (byte[])batch.Clone();
        RecordBatchHeader.SetAttributes(unknownCodec, (RecordBatchAttributes)7);

        Assert.False(RecordBatchRecords.TryOpen(batch, maxUncompressedBytes: 1000, out _));
        Assert.False(RecordBatchRecords.TryOpen(corrupt, RecordBatchRecords.DefaultMaxUncompressedBytes, out _));
        Assert.False(RecordBatchRecords.TryOpen(unknownCodec, RecordBatchRecords.DefaultMaxUncompressedBytes, out _));
        Assert.False(RecordBatchRecords.TryOpen(batch.AsSpan(0, 40), RecordBatchRecords.DefaultMaxUncompressedBytes, out _));

        Assert.True(RecordBatchRecords.TryOpen(batch, RecordBatchRecords.DefaultMaxUncompressedBytes, out RecordBatchRecords records));
        using (records)
        {
            using RecordBatchRecords opened = RecordBatchRecords.Open(batch);
            Assert.True(records.Bytes.SequenceEqual(opened.Bytes));
        }
    }

    [Fact]
    public void Corrupt_compressed_records_are_corrupt_messages()
    {
        byte[] batch = TestBatches.Simple(0, 50, CompressionType.Gzip);
        batch[RecordBatchHeader.Size + 20] ^= 0xFF;
        RecordBatchHeader.UpdateCrc(batch);

        var error = Assert.Throws<RecordDecodeException>(() => RecordBatchDecoder.Decode(batch));

        Assert.Equal(ErrorCode.CorruptMessage, error.ErrorCode);
    }

    private static long Sum(byte[] batch)
    {
        long sum = 0;
        foreach (RecordView record in RecordReader.ForUncompressedBatch(batch))
        {
            sum += record.Offset + record.Timestamp + record.Key.Length + record.Value.Length;
            foreach (RecordHeaderView header in record.Headers)
            {
                sum += header.KeyUtf8.Length + header.Value.Length;
            }
        }

        return sum;
    }
}
