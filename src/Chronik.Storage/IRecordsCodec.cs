using System.Buffers;
using Chronik.Protocol.Records;

namespace Chronik.Storage;

/// <summary>
/// Compression of a batch's records section, for the few storage paths that must look inside compressed
/// batches: compaction (keys) and the record-exact timestamp lookup of ListOffsets. The produce and fetch
/// paths never use it. The broker supplies an implementation over Chronik.Protocol's codecs; without one,
/// compressed batches are treated as opaque (see the README for what that changes).
/// </summary>
public interface IRecordsCodec
{
    /// <summary>Appends the uncompressed records of a batch compressed with <paramref name="type"/> to <paramref name="output"/>.</summary>
    void Decompress(CompressionType type, ReadOnlySpan<byte> compressed, IBufferWriter<byte> output);

    /// <summary>Appends <paramref name="records"/> compressed with <paramref name="type"/> to <paramref name="output"/>.</summary>
    void Compress(CompressionType type, ReadOnlySpan<byte> records, IBufferWriter<byte> output);
}
