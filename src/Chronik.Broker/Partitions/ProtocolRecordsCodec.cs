using System.Buffers;
using Chronik.Protocol.Compression;
using Chronik.Protocol.Records;
using Chronik.Storage;

namespace Chronik.Broker.Partitions;

/// <summary>
/// The storage layer's view into compressed batches (compaction and the record-exact ListOffsets lookup), over
/// Chronik.Protocol's codecs. Decompression is bounded like every other decompression in the broker.
/// </summary>
internal sealed class ProtocolRecordsCodec : IRecordsCodec
{
    public static ProtocolRecordsCodec Instance { get; } = new();

    public void Decompress(CompressionType type, ReadOnlySpan<byte> compressed, IBufferWriter<byte> output) =>
        CompressionCodecs.Decompress(type, compressed, output, RecordBatchRecords.DefaultMaxUncompressedBytes);

    public void Compress(CompressionType type, ReadOnlySpan<byte> records, IBufferWriter<byte> output) =>
        CompressionCodecs.Compress(type, records, output);
}
