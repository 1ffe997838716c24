using System.Buffers.Binary;
using Chronik.Protocol.Records;
using Chronik.Protocol.Wire;

namespace Chronik.Protocol.Tests.Records;

public class RecordBatchEnumeratorTests
{
    [Fact]
    public void Yields_each_batch_slice_and_completes()
    {
        byte[] first = TestBatches.Simple(0, 3);
        byte[] second = TestBatches.Simple(3, 5, CompressionType.Gzip);
        byte[] third = TestBatches.Simple(8, 1);
        byte[] buffer = TestBatches.Concatenated(first, second, third);

        var batches = new RecordBatchEnumerator(buffer);
        var slices = new List<(int Position, byte[] Bytes)>();
        while (batches.MoveNext())
        {
            slices.Add((batches.CurrentPosition, batches.Current.ToArray()));
            Assert.Equal(2, batches.CurrentMagic);
        }

        Assert.Equal(RecordBatchEnumerationStatus.Completed, batches.Status);
        Assert.Equal(buffer.Length, batches.BytesConsumed);
        Assert.Equal([0, first.Length, first.Length + second.Length], slices.Select(s => s.Position));
        Assert.Equal(first, slices[0].Bytes);
        Assert.Equal(second, slices[1].Bytes);
        Assert.Equal(third, slices[2].Bytes);
    }

    [Fact]
    public void Stops_cleanly_at_an_incomplete_trailing_batch_wherever_it_is_cut()
    {
        byte[] first = TestBatches.Simple(0, 3);
        byte[] buffer = TestBatches.Concatenated(first, TestBatches.Simple(3, 4));

        for (int cut = first.Length + 1; cut < buffer.Length; cut++)
        {
            var batches = new RecordBatchEnumerator(buffer.AsMemory(0, cut));
            Assert.True(batches.MoveNext());
            Assert.False(batches.MoveNext());
            Assert.Equal(RecordBatchEnumerationStatus.IncompleteTrailingBatch, batches.Status);
            Assert.Equal(first.Length, batches.BytesConsumed);
            Assert.Equal(ErrorCode.None, batches.Error);
        }
    }

    [Fact]
    public void Empty_buffer_completes_immediately()
    {
        var batches = new RecordBatchEnumerator(ReadOnlyMemory<byte>.Empty);

        Assert.False(batches.MoveNext());
        Assert.Equal(RecordBatchEnumerationStatus.Completed, batches.Status);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(255)]
    public void Unknown_magic_is_corrupt(byte magic)
    {
        byte[] buffer = TestBatches.Simple(0, 2);
        buffer[RecordBatchHeader.MagicOffset] = magic;

        var batches = new RecordBatchEnumerator(buffer);

        Assert.False(batches.MoveNext());
        Assert.Equal(RecordBatchEnumerationStatus.Corrupt, batches.Status);
        Assert.Equal(ErrorCode.CorruptMessage, batches.Error);
        Assert.Equal(0, batches.BytesConsumed);
    }

    [Theory]
    [InlineData(2, 48)]
    [InlineData(1, 21)]
    [InlineData(0, 13)]
    [InlineData(2, -5)]
    [InlineData(2, int.MinValue)]
    public void Length_below_the_minimum_for_its_magic_is_corrupt(byte magic, int length)
    {
        byte[] buffer = TestBatches.Simple(0, 2);
        buffer[RecordBatchHeader.MagicOffset] = magic;
        BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(RecordBatchHeader.BatchLengthOffset), length);

        var batches = new RecordBatchEnumerator(buffer);

        Assert.False(batches.MoveNext());
        Assert.Equal(RecordBatchEnumerationStatus.Corrupt, batches.Status);
    }

    [Fact]
    public void Absurd_length_is_incomplete_without_a_limit_and_corrupt_with_one()
    {
        byte[] buffer = TestBatches.Simple(0, 2);
        BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(RecordBatchHeader.BatchLengthOffset), int.MaxValue - 100);

        var unlimited = new RecordBatchEnumerator(buffer);
        Assert.False(unlimited.MoveNext());
        Assert.Equal(RecordBatchEnumerationStatus.IncompleteTrailingBatch, unlimited.Status);

        var limited = new RecordBatchEnumerator(buffer, maxBatchSize: 1024 * 1024);
        Assert.False(limited.MoveNext());
        Assert.Equal(RecordBatchEnumerationStatus.Corrupt, limited.Status);
    }

    [Fact]
    public void Legacy_messages_are_framed_too()
    {
        using var builder = new LegacyMessageSetBuilder(1);
        builder.Append(0, 10, null, [1]);
        builder.Append(1, 11, [2], [3]);
        byte[] buffer = builder.Build();

        var entries = new RecordBatchEnumerator(buffer);
        int count = 0;
        while (entries.MoveNext())
        {
            Assert.Equal(1, entries.CurrentMagic);
            count++;
        }

        Assert.Equal(2, count);
        Assert.Equal(RecordBatchEnumerationStatus.Completed, entries.Status);
    }
}
