using System.Buffers;
using System.Collections.Immutable;

namespace Chronik.Cluster.Metadata;

/// <summary>
/// One Raft log entry of the metadata log: a batch of records that commits atomically.
/// Layout: <c>format (1 byte) | proposal id (16 bytes) | record list</c>. The proposal id lets the
/// proposing node recognise its own entry when it is applied; other nodes ignore it.
/// </summary>
public static class MetadataEntryCodec
{
    private const byte Format = 1;

    public static byte[] Encode(Guid proposalId, IReadOnlyList<MetadataRecord> records)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        var writer = new MetadataWriter(buffer);
        writer.WriteByte(Format);
        writer.WriteGuid(proposalId);
        MetadataRecordCodec.WriteList(writer, records);
        return buffer.WrittenSpan.ToArray();
    }

    public static (Guid ProposalId, ImmutableArray<MetadataRecord> Records) Decode(ReadOnlySpan<byte> bytes)
    {
        var reader = new MetadataReader(bytes);
        byte format = reader.ReadByte();
        if (format != Format)
        {
            throw new MetadataFormatException($"unknown metadata entry format {format}");
        }

        Guid proposalId = reader.ReadGuid();
        ImmutableArray<MetadataRecord> records = MetadataRecordCodec.ReadList(ref reader);
        if (!reader.End)
        {
            throw new MetadataFormatException($"{reader.Remaining} trailing bytes after metadata entry");
        }

        return (proposalId, records);
    }
}
