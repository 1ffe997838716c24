using System.Buffers;

namespace Chronik.Cluster.Metadata;

/// <summary>
/// A snapshot of the image: <c>format (1 byte) | version (int64) | record list</c>, where the records
/// are <see cref="MetadataImage.ToRecords"/>. Restoring folds them into <see cref="MetadataImage.Empty"/>,
/// so a snapshot can never hold state the log could not.
/// </summary>
public static class MetadataSnapshotCodec
{
    private const byte Format = 1;

    public static byte[] Encode(MetadataImage image)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        var writer = new MetadataWriter(buffer);
        writer.WriteByte(Format);
        writer.WriteInt64(image.Version);
        MetadataRecordCodec.WriteList(writer, image.ToRecords());
        return buffer.WrittenSpan.ToArray();
    }

    public static MetadataImage Decode(ReadOnlySpan<byte> bytes)
    {
        var reader = new MetadataReader(bytes);
        byte format = reader.ReadByte();
        if (format != Format)
        {
            throw new MetadataFormatException($"unknown metadata snapshot format {format}");
        }

        long version = reader.ReadInt64();
        if (version < 0)
        {
            throw new MetadataFormatException($"negative snapshot version {version}");
        }

        var records = MetadataRecordCodec.ReadList(ref reader);
        if (!reader.End)
        {
            throw new MetadataFormatException($"{reader.Remaining} trailing bytes after metadata snapshot");
        }

        return MetadataImage.Empty.Apply(records, version);
    }
}
