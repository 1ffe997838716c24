using System.Buffers;
using Chronik.Protocol.Records;

namespace Chronik.Storage.Records;

/// <summary>Access to the records section of a stored batch, decompressing through an <see cref="IRecordsCodec"/> when needed.</summary>
internal static class BatchRecords
{
    public static CompressionType Compression(ReadOnlySpan<byte> batch) =>
        (CompressionType)(RecordBatchHeader.Attributes(batch) & RecordBatchAttributes.CompressionMask);

    /// <summary>
    /// The uncompressed records of <paramref name="batch"/>: the bytes after the header when uncompressed, or
    /// decompressed into <paramref name="scratch"/>. False when compressed and no codec is available or the codec fails.
    /// </summary>
    public static bool TryGetRecords(ReadOnlySpan<byte> batch, IRecordsCodec? codec, ArrayBufferWriter<byte> scratch, out ReadOnlySpan<byte> records)
    {
        var body = batch[RecordBatchHeader.Size..];
        var compression = Compression(batch);
        if (compression == CompressionType.None)
        {
            records = body;
            return true;
        }

        records = default;
        if (codec is null)
        {
            return false;
        }

        scratch.ResetWrittenCount();
        try
        {
            codec.Decompress(compression, body, scratch);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException or InvalidOperationException)
        {
            return false;
        }

        records = scratch.WrittenSpan;
        return true;
    }
}
