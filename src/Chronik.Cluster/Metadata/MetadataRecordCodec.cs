using System.Buffers;
using System.Collections.Immutable;

namespace Chronik.Cluster.Metadata;

/// <summary>
/// The binary encoding of metadata records: <c>type id (1 byte) | version (1 byte) | fields</c>.
/// Record types are at version 0, except Partition and PartitionChange, whose version 1 appends the
/// reassignment state (adding and removing replicas). A record is written at the lowest version that
/// carries it, so a build that only reads version 0 still reads every record outside a reassignment.
/// A newer version or an unknown type is refused (<see cref="MetadataFormatException"/>): a node must
/// never fold a record it only half understands.
/// Lists of records are encoded as <c>varint count | (varint length | record)*</c> so each record is
/// bounded and a trailing-byte mismatch is detected.
/// </summary>
public static class MetadataRecordCodec
{
    /// <summary>The highest version this build reads for <paramref name="type"/>.</summary>
    public static byte HighestVersion(MetadataRecordType type) =>
        type is MetadataRecordType.Partition or MetadataRecordType.PartitionChange ? (byte)1 : (byte)0;

    /// <summary>Encodes one record.</summary>
    public static byte[] Encode(MetadataRecord record)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        Write(new MetadataWriter(buffer), record);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Decodes exactly one record that fills <paramref name="bytes"/>.</summary>
    public static MetadataRecord Decode(ReadOnlySpan<byte> bytes)
    {
        var reader = new MetadataReader(bytes);
        MetadataRecord record = Read(ref reader);
        if (!reader.End)
        {
            throw new MetadataFormatException($"{reader.Remaining} trailing bytes after {record.Type} record");
        }

        return record;
    }

    internal static void WriteList(MetadataWriter writer, IReadOnlyList<MetadataRecord> records)
    {
        writer.WriteVarUInt((uint)records.Count);
        var scratch = new ArrayBufferWriter<byte>(64);
        var recordWriter = new MetadataWriter(scratch);
        foreach (MetadataRecord record in records)
        {
            scratch.ResetWrittenCount();
            Write(recordWriter, record);
            writer.WriteVarUInt((uint)scratch.WrittenCount);
            writer.WriteBytes(scratch.WrittenSpan);
        }
    }

    internal static ImmutableArray<MetadataRecord> ReadList(ref MetadataReader reader)
    {
        // The smallest record (type, version, an empty string) plus its length prefix is 4 bytes.
        int count = reader.ReadCount(minItemSize: 4);
        var records = ImmutableArray.CreateBuilder<MetadataRecord>(count);
        for (int i = 0; i < count; i++)
        {
            int length = reader.ReadCount(minItemSize: 1);
            records.Add(Decode(reader.ReadSlice(length)));
        }

        return records.MoveToImmutable();
    }

    private static void Write(MetadataWriter w, MetadataRecord record)
    {
        byte version = VersionFor(record);
        w.WriteByte((byte)record.Type);
        w.WriteByte(version);
        switch (record)
        {
            case ClusterIdRecord r:
                w.WriteString(r.ClusterId);
                break;
            case RegisterBrokerRecord r:
                w.WriteInt32(r.BrokerId);
                w.WriteGuid(r.Incarnation);
                w.WriteInt64(r.BrokerEpoch);
                w.WriteVarUInt((uint)r.Endpoints.Length);
                foreach (BrokerEndpoint e in r.Endpoints)
                {
                    w.WriteString(e.Name);
                    w.WriteString(e.Host);
                    w.WriteInt32(e.Port);
                    w.WriteInt16(e.SecurityProtocol);
                }

                w.WriteString(r.Rack);
                w.WriteString(r.HttpEndpoint);
                w.WriteBool(r.Fenced);
                break;
            case UnregisterBrokerRecord r:
                w.WriteInt32(r.BrokerId);
                w.WriteInt64(r.BrokerEpoch);
                break;
            case FenceBrokerRecord r:
                w.WriteInt32(r.BrokerId);
                w.WriteInt64(r.BrokerEpoch);
                break;
            case UnfenceBrokerRecord r:
                w.WriteInt32(r.BrokerId);
                w.WriteInt64(r.BrokerEpoch);
                break;
            case TopicRecord r:
                w.WriteString(r.Name);
                w.WriteGuid(r.TopicId);
                break;
            case PartitionRecord r:
                w.WriteGuid(r.TopicId);
                w.WriteInt32(r.Partition);
                w.WriteInt32Array(r.Replicas);
                w.WriteInt32Array(r.Isr);
                w.WriteInt32(r.Leader);
                w.WriteInt32(r.LeaderEpoch);
                w.WriteInt32(r.PartitionEpoch);
                if (version >= 1)
                {
                    w.WriteInt32Array(r.AddingReplicas.IsDefault ? [] : r.AddingReplicas);
                    w.WriteInt32Array(r.RemovingReplicas.IsDefault ? [] : r.RemovingReplicas);
                }

                break;
            case PartitionChangeRecord r:
                w.WriteGuid(r.TopicId);
                w.WriteInt32(r.Partition);
                w.WriteInt32Array(r.Replicas);
                w.WriteInt32Array(r.Isr);
                w.WriteBool(r.Leader.HasValue);
                w.WriteInt32(r.Leader ?? -1);
                if (version >= 1)
                {
                    w.WriteInt32Array(r.AddingReplicas);
                    w.WriteInt32Array(r.RemovingReplicas);
                }

                break;
            case RemoveTopicRecord r:
                w.WriteGuid(r.TopicId);
                break;
            case ConfigRecord r:
                w.WriteByte((byte)r.ResourceType);
                w.WriteString(r.ResourceName);
                w.WriteString(r.Name);
                w.WriteString(r.Value);
                break;
            case ProducerIdsRecord r:
                w.WriteInt32(r.BrokerId);
                w.WriteInt64(r.FirstId);
                w.WriteInt32(r.Size);
                break;
            default:
                throw new ArgumentException($"no encoding for {record.GetType().Name}", nameof(record));
        }
    }

    /// <summary>Version 1 only for a Partition / PartitionChange record that carries reassignment state.</summary>
    private static byte VersionFor(MetadataRecord record) => record switch
    {
        PartitionRecord r when !r.AddingReplicas.IsDefaultOrEmpty || !r.RemovingReplicas.IsDefaultOrEmpty => 1,
        PartitionChangeRecord r when r.AddingReplicas.HasValue || r.RemovingReplicas.HasValue => 1,
        _ => 0,
    };

    private static MetadataRecord Read(ref MetadataReader r)
    {
        byte typeId = r.ReadByte();
        byte version = r.ReadByte();
        var type = (MetadataRecordType)typeId;
        if (!Enum.IsDefined(type))
        {
            throw new MetadataFormatException($"unknown metadata record type {typeId}");
        }

        if (version > HighestVersion(type))
        {
            throw new MetadataFormatException($"{type} record version {version} is newer than this build reads ({HighestVersion(type)})");
        }

        switch (type)
        {
            case MetadataRecordType.ClusterId:
                return new ClusterIdRecord(r.ReadRequiredString("cluster id"));
            case MetadataRecordType.RegisterBroker:
            {
                int brokerId = r.ReadInt32();
                Guid incarnation = r.ReadGuid();
                long epoch = r.ReadInt64();
                int count = r.ReadCount(minItemSize: 8);
                var endpoints = ImmutableArray.CreateBuilder<BrokerEndpoint>(count);
                for (int i = 0; i < count; i++)
                {
                    endpoints.Add(new BrokerEndpoint(r.ReadRequiredString("listener name"), r.ReadRequiredString("host"), r.ReadInt32(), r.ReadInt16()));
                }

                return new RegisterBrokerRecord(brokerId, incarnation, epoch, endpoints.MoveToImmutable(), r.ReadString(), r.ReadString(), r.ReadBool());
            }

            case MetadataRecordType.UnregisterBroker:
                return new UnregisterBrokerRecord(r.ReadInt32(), r.ReadInt64());
            case MetadataRecordType.FenceBroker:
                return new FenceBrokerRecord(r.ReadInt32(), r.ReadInt64());
            case MetadataRecordType.UnfenceBroker:
                return new UnfenceBrokerRecord(r.ReadInt32(), r.ReadInt64());
            case MetadataRecordType.Topic:
                return new TopicRecord(r.ReadRequiredString("topic name"), r.ReadGuid());
            case MetadataRecordType.Partition:
            {
                var record = new PartitionRecord(r.ReadGuid(), r.ReadInt32(), r.ReadInt32Array("replicas"), r.ReadInt32Array("isr"), r.ReadInt32(), r.ReadInt32(), r.ReadInt32());
                return version == 0 ? record : record with { AddingReplicas = r.ReadInt32Array("adding replicas"), RemovingReplicas = r.ReadInt32Array("removing replicas") };
            }

            case MetadataRecordType.PartitionChange:
            {
                Guid topicId = r.ReadGuid();
                int partition = r.ReadInt32();
                ImmutableArray<int>? replicas = r.ReadNullableInt32Array();
                ImmutableArray<int>? isr = r.ReadNullableInt32Array();
                bool hasLeader = r.ReadBool();
                int leader = r.ReadInt32();
                var record = new PartitionChangeRecord(topicId, partition, replicas, isr, hasLeader ? leader : null);
                return version == 0 ? record : record with { AddingReplicas = r.ReadNullableInt32Array(), RemovingReplicas = r.ReadNullableInt32Array() };
            }

            case MetadataRecordType.RemoveTopic:
                return new RemoveTopicRecord(r.ReadGuid());
            case MetadataRecordType.Config:
            {
                byte resourceType = r.ReadByte();
                if (!Enum.IsDefined((ConfigResourceType)resourceType))
                {
                    throw new MetadataFormatException($"unknown config resource type {resourceType}");
                }

                return new ConfigRecord((ConfigResourceType)resourceType, r.ReadRequiredString("resource name"), r.ReadRequiredString("config name"), r.ReadString());
            }

            case MetadataRecordType.ProducerIds:
                return new ProducerIdsRecord(r.ReadInt32(), r.ReadInt64(), r.ReadInt32());
            default:
                throw new MetadataFormatException($"unknown metadata record type {typeId}");
        }
    }
}
