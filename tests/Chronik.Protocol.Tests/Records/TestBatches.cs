using Chronik.Protocol.Compression;
using Chronik.Protocol.Records;

namespace Chronik.Protocol.Tests.Records;

internal static class TestBatches
{
    /// <summary>A batch of <paramref name="records"/> small records at <paramref name="baseOffset"/>.</summary>
    public static byte[] Simple(long baseOffset, int records, CompressionType compression = CompressionType.None)
    {
        using var builder = new RecordBatchBuilder(compression) { BaseOffset = baseOffset };
        for (int i = 0; i < records; i++)
        {
            builder.Append(1_000 + i, i % 2 == 0 ? null : [(byte)i], [(byte)i, 1, 2, 3], i % 3 == 0 ? [new RecordHeader("h", [(byte)i])] : null);
        }

        return builder.Build();
    }

    /// <summary>Several batches back to back.</summary>
    public static byte[] Concatenated(params byte[][] batches) => batches.SelectMany(b => b).ToArray();

    /// <summary>A batch whose records section is <paramref name="records"/> verbatim (count and CRC set to match).</summary>
    public static byte[] WithRawRecords(byte[] records, int count)
    {
        using var builder = new RecordBatchBuilder();
        byte[] empty = builder.Build();
        byte[] batch = [.. empty, .. records];
        RecordBatchHeaderWriter.SetLengthCountAndCrc(batch, count);
        return batch;
    }
}

internal static class RecordBatchHeaderWriter
{
    public static void SetLengthCountAndCrc(byte[] batch, int count)
    {
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchHeader.BatchLengthOffset), batch.Length - RecordBatchHeader.LogOverhead);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchHeader.RecordCountOffset), count);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchHeader.LastOffsetDeltaOffset), Math.Max(count - 1, 0));
        RecordBatchHeader.UpdateCrc(batch);
    }
}
