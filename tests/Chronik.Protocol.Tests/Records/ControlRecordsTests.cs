using Chronik.Protocol.Compression;
using Chronik.Protocol.Records;

namespace Chronik.Protocol.Tests.Records;

public class ControlRecordsTests
{
    [Theory]
    [InlineData(ControlRecordType.Commit)]
    [InlineData(ControlRecordType.Abort)]
    public void Marker_batch_round_trips(ControlRecordType type)
    {
        using var output = new PooledBufferWriter();
        int size = ControlRecords.WriteEndTransactionMarkerBatch(output, producerId: 77, producerEpoch: 3, new EndTransactionMarker(type, 12), timestamp: 1_234, baseOffset: 900, partitionLeaderEpoch: 4);
        byte[] batch = output.ToArray();

        Assert.Equal(size, batch.Length);
        Assert.True(RecordBatchValidator.Validate(batch).IsValid);
        RecordBatchAttributes attributes = RecordBatchHeader.Attributes(batch);
        Assert.Equal(RecordBatchAttributes.Control | RecordBatchAttributes.Transactional, attributes);
        Assert.Equal(77, RecordBatchHeader.ProducerId(batch));
        Assert.Equal(3, RecordBatchHeader.ProducerEpoch(batch));
        Assert.Equal(RecordBatchHeader.NoSequence, RecordBatchHeader.BaseSequence(batch));
        Assert.Equal(900, RecordBatchHeader.BaseOffset(batch));
        Assert.Equal(4, RecordBatchHeader.PartitionLeaderEpoch(batch));

        int markers = 0;
        foreach (RecordView record in RecordReader.ForUncompressedBatch(batch))
        {
            Assert.Equal(new byte[] { 0, 0, 0, (byte)type }, record.Key.ToArray());
            Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 12 }, record.Value.ToArray());
            Assert.True(ControlRecords.TryParseKey(record.Key, out ControlRecordType parsedType));
            Assert.Equal(type, parsedType);
            Assert.True(ControlRecords.TryParseEndTransactionMarker(record, out EndTransactionMarker marker));
            Assert.Equal(new EndTransactionMarker(type, 12), marker);
            Assert.Equal(type == ControlRecordType.Commit, marker.IsCommit);
            Assert.Equal(1_234, record.Timestamp);
            markers++;
        }

        Assert.Equal(1, markers);
    }

    [Fact]
    public void Newer_versions_parse_by_their_known_prefix()
    {
        using var builder = new RecordBatchBuilder { IsControl = true, IsTransactional = true };
        builder.Append(1, [0, 1, 0, 1, 0xAA], [0, 1, 0, 0, 0, 9, 0xBB, 0xCC]);

        foreach (RecordView record in RecordReader.ForUncompressedBatch(builder.Build()))
        {
            Assert.True(ControlRecords.TryParseEndTransactionMarker(record, out EndTransactionMarker marker));
            Assert.Equal(new EndTransactionMarker(ControlRecordType.Commit, 9), marker);
        }
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 0 }, new byte[] { 0, 0, 0, 0, 0, 1 })]
    [InlineData(new byte[] { 0xFF, 0xFF, 0, 1 }, new byte[] { 0, 0, 0, 0, 0, 1 })]
    [InlineData(new byte[] { 0, 0, 0, 2 }, new byte[] { 0, 0, 0, 0, 0, 1 })]
    [InlineData(new byte[] { 0, 0, 0, 1 }, new byte[] { 0, 0, 0, 0, 0 })]
    [InlineData(new byte[] { 0, 0, 0, 1 }, new byte[] { 0x80, 0, 0, 0, 0, 1 })]
    public void Malformed_or_other_control_records_are_not_markers(byte[] key, byte[] value)
    {
        using var builder = new RecordBatchBuilder { IsControl = true, IsTransactional = true };
        builder.Append(1, key, value);

        foreach (RecordView record in RecordReader.ForUncompressedBatch(builder.Build()))
        {
            Assert.False(ControlRecords.TryParseEndTransactionMarker(record, out _));
        }
    }

    [Fact]
    public void Only_abort_and_commit_make_marker_batches()
    {
        using var output = new PooledBufferWriter();

        Assert.Throws<ArgumentException>(() => ControlRecords.WriteEndTransactionMarkerBatch(output, 1, 0, new EndTransactionMarker(ControlRecordType.LeaderChange, 0), 0));
    }

    [Theory]
    [InlineData(ControlRecordType.Commit)]
    [InlineData(ControlRecordType.Abort)]
    public void Batch_type_comes_from_the_first_record_key(ControlRecordType type)
    {
        using var output = new PooledBufferWriter();
        ControlRecords.WriteEndTransactionMarkerBatch(output, producerId: 5, producerEpoch: 0, new EndTransactionMarker(type, 1), timestamp: 10);

        Assert.True(ControlRecords.TryReadBatchType(output.WrittenSpan, out ControlRecordType read));
        Assert.Equal(type, read);
    }

    [Fact]
    public void Batch_type_is_read_from_compressed_and_unnamed_control_batches()
    {
        using var builder = new RecordBatchBuilder(CompressionType.Gzip) { IsControl = true };
        builder.Append(1, [0, 0, 0, 9], null);

        Assert.True(ControlRecords.TryReadBatchType(builder.Build(), out ControlRecordType read));
        Assert.Equal((ControlRecordType)9, read);
    }

    [Fact]
    public void Batch_type_is_unavailable_for_data_batches_and_unreadable_keys()
    {
        using var data = new RecordBatchBuilder();
        data.Append(1, [0, 0, 0, 1], [0, 0, 0, 0, 0, 1]);
        using var keyless = new RecordBatchBuilder { IsControl = true };
        keyless.Append(1, null, [0, 0, 0, 0, 0, 1]);
        using var shortKey = new RecordBatchBuilder { IsControl = true };
        shortKey.Append(1, [0, 0, 1], null);
        using var empty = new RecordBatchBuilder { IsControl = true };

        Assert.False(ControlRecords.TryReadBatchType(data.Build(), out _));
        Assert.False(ControlRecords.TryReadBatchType(keyless.Build(), out _));
        Assert.False(ControlRecords.TryReadBatchType(shortKey.Build(), out _));
        Assert.False(ControlRecords.TryReadBatchType(empty.Build(), out _));
        Assert.False(ControlRecords.TryReadBatchType(new byte[20], out _));
    }
}
