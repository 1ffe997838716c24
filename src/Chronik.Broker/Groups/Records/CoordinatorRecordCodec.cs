using Chronik.Broker.Coordinators;
using Chronik.Broker.Groups.Consumer;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Groups.Records;

/// <summary>
/// Kafka's key/value formats of __consumer_offsets (group-coordinator's *Key.json / *Value.json). A key
/// starts with its int16 record type, a value with its int16 schema version. Written: offset commit key
/// type 1 with value v3 (v1 when an expire timestamp is set), group metadata key type 2 with value v3,
/// and the KIP-848 records (types 3, 5, 6, 7, 8; value v0, flexible). Read: every version of those, type 0
/// offset keys of old Kafka, and types Chronik does not use (partition metadata 4, regular expressions 16,
/// share and streams groups) are skipped as <c>null</c>.
/// </summary>
public static class CoordinatorRecordCodec
{
    public const short LegacyOffsetCommitKeyType = 0;
    public const short OffsetCommitKeyType = 1;
    public const short GroupMetadataKeyType = 2;
    public const short ConsumerGroupMetadataKeyType = 3;
    public const short ConsumerGroupPartitionMetadataKeyType = 4;
    public const short ConsumerGroupMemberMetadataKeyType = 5;
    public const short ConsumerGroupTargetAssignmentMetadataKeyType = 6;
    public const short ConsumerGroupTargetAssignmentMemberKeyType = 7;
    public const short ConsumerGroupCurrentMemberAssignmentKeyType = 8;

    /// <summary>The key and value (null for a tombstone) of <paramref name="record"/>.</summary>
    public static (byte[] Key, byte[]? Value) Encode(CoordinatorRecord record) => record switch
    {
        OffsetCommitRecord r => (OffsetKey(r.GroupId, r.Topic, r.Partition), r.Value is null ? null : EncodeOffsetValue(r.Value)),
        GroupMetadataRecord r => (GroupKey(GroupMetadataKeyType, r.GroupId), r.Value is null ? null : EncodeGroupMetadata(r.Value)),
        ConsumerGroupMetadataRecord r => (GroupKey(ConsumerGroupMetadataKeyType, r.GroupId), r.Epoch is { } epoch ? EncodeConsumerGroupMetadata(epoch, r.MetadataHash) : null),
        ConsumerGroupMemberMetadataRecord r => (MemberKey(ConsumerGroupMemberMetadataKeyType, r.GroupId, r.MemberId), r.Value is null ? null : EncodeMemberMetadata(r.Value)),
        ConsumerGroupTargetAssignmentMetadataRecord r => (GroupKey(ConsumerGroupTargetAssignmentMetadataKeyType, r.GroupId), r.AssignmentEpoch is { } epoch ? EncodeTargetAssignmentMetadata(epoch) : null),
        ConsumerGroupTargetAssignmentMemberRecord r => (MemberKey(ConsumerGroupTargetAssignmentMemberKeyType, r.GroupId, r.MemberId), r.Partitions is null ? null : EncodeTargetAssignmentMember(r.Partitions)),
        ConsumerGroupCurrentMemberAssignmentRecord r => (MemberKey(ConsumerGroupCurrentMemberAssignmentKeyType, r.GroupId, r.MemberId), r.Value is null ? null : EncodeCurrentAssignment(r.Value)),
        _ => throw new ArgumentException($"no encoding for {record.GetType().Name}", nameof(record)),
    };

    /// <summary>Decodes one record from arrays (a null value is a tombstone).</summary>
    public static CoordinatorRecord? Decode(byte[] key, byte[]? value) =>
        Decode(key.AsMemory(), value is null ? null : (ReadOnlyMemory<byte>?)value.AsMemory());

    /// <summary>
    /// Decodes one record; null for record types Chronik does not use. Throws
    /// <see cref="MalformedMessageException"/> on bytes that do not follow the schema.
    /// </summary>
    public static CoordinatorRecord? Decode(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte>? value)
    {
        var reader = new KafkaReader(key);
        short type = reader.ReadInt16();
        switch (type)
        {
            case LegacyOffsetCommitKeyType or OffsetCommitKeyType:
                {
                    string group = reader.ReadString(compact: false);
                    string topic = reader.ReadString(compact: false);
                    int partition = reader.ReadInt32();
                    return new OffsetCommitRecord(group, topic, partition, value is { } v ? DecodeOffsetValue(v) : null);
                }

            case GroupMetadataKeyType:
                {
                    string group = reader.ReadString(compact: false);
                    return new GroupMetadataRecord(group, value is { } v ? DecodeGroupMetadata(v) : null);
                }

            case ConsumerGroupMetadataKeyType:
                {
                    string group = reader.ReadString(compact: false);
                    if (value is not { } v)
                    {
                        return new ConsumerGroupMetadataRecord(group, null);
                    }

                    var (epoch, hash) = DecodeConsumerGroupMetadata(v);
                    return new ConsumerGroupMetadataRecord(group, epoch, hash);
                }

            case ConsumerGroupMemberMetadataKeyType:
                {
                    var (group, member) = (reader.ReadString(compact: false), reader.ReadString(compact: false));
                    return new ConsumerGroupMemberMetadataRecord(group, member, value is { } v ? DecodeMemberMetadata(v) : null);
                }

            case ConsumerGroupTargetAssignmentMetadataKeyType:
                {
                    string group = reader.ReadString(compact: false);
                    return new ConsumerGroupTargetAssignmentMetadataRecord(group, value is { } v ? DecodeTargetAssignmentMetadata(v) : null);
                }

            case ConsumerGroupTargetAssignmentMemberKeyType:
                {
                    var (group, member) = (reader.ReadString(compact: false), reader.ReadString(compact: false));
                    return new ConsumerGroupTargetAssignmentMemberRecord(group, member, value is { } v ? DecodeTargetAssignmentMember(v) : null);
                }

            case ConsumerGroupCurrentMemberAssignmentKeyType:
                {
                    var (group, member) = (reader.ReadString(compact: false), reader.ReadString(compact: false));
                    return new ConsumerGroupCurrentMemberAssignmentRecord(group, member, value is { } v ? DecodeCurrentAssignment(v) : null);
                }

            default:
                return null;
        }
    }

    private static byte[] OffsetKey(string group, string topic, int partition)
    {
        var w = new RecordFieldWriter();
        w.WriteInt16(OffsetCommitKeyType);
        w.WriteString(group, compact: false);
        w.WriteString(topic, compact: false);
        w.WriteInt32(partition);
        return w.ToArray();
    }

    private static byte[] GroupKey(short type, string group)
    {
        var w = new RecordFieldWriter();
        w.WriteInt16(type);
        w.WriteString(group, compact: false);
        return w.ToArray();
    }

    private static byte[] MemberKey(short type, string group, string member)
    {
        var w = new RecordFieldWriter();
        w.WriteInt16(type);
        w.WriteString(group, compact: false);
        w.WriteString(member, compact: false);
        return w.ToArray();
    }

    private static byte[] EncodeOffsetValue(OffsetCommitValue value)
    {
        var w = new RecordFieldWriter();
        if (value.ExpireTimestamp >= 0)
        {
            w.WriteInt16(1);
            w.WriteInt64(value.Offset);
            w.WriteString(value.Metadata, compact: false);
            w.WriteInt64(value.CommitTimestamp);
            w.WriteInt64(value.ExpireTimestamp);
        }
        else
        {
            w.WriteInt16(3);
            w.WriteInt64(value.Offset);
            w.WriteInt32(value.LeaderEpoch);
            w.WriteString(value.Metadata, compact: false);
            w.WriteInt64(value.CommitTimestamp);
        }

        return w.ToArray();
    }

    private static OffsetCommitValue DecodeOffsetValue(ReadOnlyMemory<byte> bytes)
    {
        var r = new KafkaReader(bytes);
        short version = r.ReadInt16();
        bool flexible = version >= 4;
        long offset = r.ReadInt64();
        int leaderEpoch = version >= 3 ? r.ReadInt32() : -1;
        string metadata = r.ReadString(flexible);
        long commitTimestamp = r.ReadInt64();
        long expireTimestamp = version == 1 ? r.ReadInt64() : -1;
        if (flexible)
        {
            r.SkipTaggedFields();
        }

        return new OffsetCommitValue(offset, leaderEpoch, metadata, commitTimestamp, expireTimestamp);
    }

    private static byte[] EncodeGroupMetadata(GroupMetadataValue value)
    {
        var w = new RecordFieldWriter();
        w.WriteInt16(3);
        w.WriteString(value.ProtocolType, compact: false);
        w.WriteInt32(value.Generation);
        w.WriteNullableString(value.Protocol, compact: false);
        w.WriteNullableString(value.Leader, compact: false);
        w.WriteInt64(value.CurrentStateTimestamp);
        w.WriteArrayLength(value.Members.Count, compact: false);
        foreach (GroupMemberMetadata m in value.Members)
        {
            w.WriteString(m.MemberId, compact: false);
            w.WriteNullableString(m.GroupInstanceId, compact: false);
            w.WriteString(m.ClientId, compact: false);
            w.WriteString(m.ClientHost, compact: false);
            w.WriteInt32(m.RebalanceTimeoutMs);
            w.WriteInt32(m.SessionTimeoutMs);
            w.WriteBytes(m.Subscription, compact: false);
            w.WriteBytes(m.Assignment, compact: false);
        }

        return w.ToArray();
    }

    private static GroupMetadataValue DecodeGroupMetadata(ReadOnlyMemory<byte> bytes)
    {
        var r = new KafkaReader(bytes);
        short version = r.ReadInt16();
        bool flexible = version >= 4;
        string protocolType = r.ReadString(flexible);
        int generation = r.ReadInt32();
        string? protocol = r.ReadNullableString(flexible);
        string? leader = r.ReadNullableString(flexible);
        long currentStateTimestamp = version >= 2 ? r.ReadInt64() : -1;
        int count = r.ReadArrayLength(flexible);
        var members = new List<GroupMemberMetadata>(Math.Min(Math.Max(count, 0), 1024));
        for (int i = 0; i < count; i++)
        {
            string memberId = r.ReadString(flexible);
            string? instanceId = version >= 3 ? r.ReadNullableString(flexible) : null;
            string clientId = r.ReadString(flexible);
            string clientHost = r.ReadString(flexible);
            int sessionTimeout;
            int rebalanceTimeout;
            if (version >= 1)
            {
                rebalanceTimeout = r.ReadInt32();
                sessionTimeout = r.ReadInt32();
            }
            else
            {
                sessionTimeout = r.ReadInt32();
                rebalanceTimeout = sessionTimeout;
            }

            byte[] subscription = r.ReadBytes(flexible);
            byte[] assignment = r.ReadBytes(flexible);
            if (flexible)
            {
                r.SkipTaggedFields();
            }

            members.Add(new GroupMemberMetadata(memberId, instanceId, clientId, clientHost, rebalanceTimeout, sessionTimeout, subscription, assignment));
        }

        if (flexible)
        {
            r.SkipTaggedFields();
        }

        return new GroupMetadataValue(protocolType, generation, protocol, leader, currentStateTimestamp, members);
    }

    private static byte[] EncodeConsumerGroupMetadata(int epoch, long metadataHash)
    {
        var w = new RecordFieldWriter();
        w.WriteInt16(0);
        w.WriteInt32(epoch);
        if (metadataHash == 0)
        {
            w.WriteNoTaggedFields();
        }
        else
        {
            // Tag 0: MetadataHash (int64), KIP-1101.
            w.WriteUnsignedVarint(1);
            w.WriteUnsignedVarint(0);
            w.WriteUnsignedVarint(8);
            w.WriteInt64(metadataHash);
        }

        return w.ToArray();
    }

    private static (int Epoch, long Hash) DecodeConsumerGroupMetadata(ReadOnlyMemory<byte> bytes)
    {
        var r = new KafkaReader(bytes);
        r.ReadInt16();
        int epoch = r.ReadInt32();
        long hash = 0;
        int tags = r.ReadTaggedFieldCount();
        for (int i = 0; i < tags; i++)
        {
            int tag = r.ReadTag();
            KafkaReader field = r.ReadTaggedValue();
            if (tag == 0)
            {
                hash = field.ReadInt64();
            }
        }

        return (epoch, hash);
    }

    private static byte[] EncodeMemberMetadata(ConsumerMemberMetadata value)
    {
        var w = new RecordFieldWriter();
        w.WriteInt16(0);
        w.WriteNullableString(value.InstanceId, compact: true);
        w.WriteNullableString(value.RackId, compact: true);
        w.WriteString(value.ClientId, compact: true);
        w.WriteString(value.ClientHost, compact: true);
        w.WriteArrayLength(value.SubscribedTopicNames.Count, compact: true);
        foreach (string topic in value.SubscribedTopicNames)
        {
            w.WriteString(topic, compact: true);
        }

        w.WriteNullableString(value.SubscribedTopicRegex, compact: true);
        w.WriteInt32(value.RebalanceTimeoutMs);
        w.WriteNullableString(value.ServerAssignor, compact: true);
        w.WriteNoTaggedFields();
        return w.ToArray();
    }

    private static ConsumerMemberMetadata DecodeMemberMetadata(ReadOnlyMemory<byte> bytes)
    {
        var r = new KafkaReader(bytes);
        r.ReadInt16();
        string? instanceId = r.ReadNullableString(compact: true);
        string? rackId = r.ReadNullableString(compact: true);
        string clientId = r.ReadString(compact: true);
        string clientHost = r.ReadString(compact: true);
        int count = r.ReadArrayLength(compact: true);
        var topics = new List<string>(Math.Min(Math.Max(count, 0), 1024));
        for (int i = 0; i < count; i++)
        {
            topics.Add(r.ReadString(compact: true));
        }

        string? regex = r.ReadNullableString(compact: true);
        int rebalanceTimeout = r.ReadInt32();
        string? assignor = r.ReadNullableString(compact: true);
        r.SkipTaggedFields();
        return new ConsumerMemberMetadata(instanceId, rackId, clientId, clientHost, topics, regex, rebalanceTimeout, assignor);
    }

    private static byte[] EncodeTargetAssignmentMetadata(int epoch)
    {
        var w = new RecordFieldWriter();
        w.WriteInt16(0);
        w.WriteInt32(epoch);
        w.WriteNoTaggedFields();
        return w.ToArray();
    }

    private static int DecodeTargetAssignmentMetadata(ReadOnlyMemory<byte> bytes)
    {
        var r = new KafkaReader(bytes);
        r.ReadInt16();
        int epoch = r.ReadInt32();
        r.SkipTaggedFields();
        return epoch;
    }

    private static byte[] EncodeTargetAssignmentMember(Assignment partitions)
    {
        var w = new RecordFieldWriter();
        w.WriteInt16(0);
        WriteTopicPartitions(w, partitions);
        w.WriteNoTaggedFields();
        return w.ToArray();
    }

    private static Assignment DecodeTargetAssignmentMember(ReadOnlyMemory<byte> bytes)
    {
        var r = new KafkaReader(bytes);
        r.ReadInt16();
        Assignment partitions = ReadTopicPartitions(ref r);
        r.SkipTaggedFields();
        return partitions;
    }

    private static byte[] EncodeCurrentAssignment(CurrentMemberAssignment value)
    {
        var w = new RecordFieldWriter();
        w.WriteInt16(0);
        w.WriteInt32(value.MemberEpoch);
        w.WriteInt32(value.PreviousMemberEpoch);
        w.WriteInt8((sbyte)value.State);
        WriteTopicPartitions(w, value.AssignedPartitions);
        WriteTopicPartitions(w, value.PartitionsPendingRevocation);
        w.WriteNoTaggedFields();
        return w.ToArray();
    }

    private static CurrentMemberAssignment DecodeCurrentAssignment(ReadOnlyMemory<byte> bytes)
    {
        var r = new KafkaReader(bytes);
        r.ReadInt16();
        int epoch = r.ReadInt32();
        int previousEpoch = r.ReadInt32();
        sbyte state = r.ReadInt8();
        Assignment assigned = ReadTopicPartitions(ref r);
        Assignment pending = ReadTopicPartitions(ref r);
        r.SkipTaggedFields();
        MemberState memberState = Enum.IsDefined((MemberState)state) ? (MemberState)state : MemberState.Unknown;
        return new CurrentMemberAssignment(epoch, previousEpoch, memberState, assigned, pending);
    }

    private static void WriteTopicPartitions(RecordFieldWriter w, Assignment assignment)
    {
        w.WriteArrayLength(assignment.Topics.Count, compact: true);
        foreach (Guid topicId in assignment.TopicIds.Order())
        {
            IReadOnlySet<int> partitions = assignment.Partitions(topicId);
            w.WriteUuid(topicId);
            w.WriteArrayLength(partitions.Count, compact: true);
            foreach (int partition in partitions)
            {
                w.WriteInt32(partition);
            }

            w.WriteNoTaggedFields();
        }
    }

    private static Assignment ReadTopicPartitions(ref KafkaReader r)
    {
        int topics = r.ReadArrayLength(compact: true);
        var partitions = new List<(Guid, int)>();
        for (int i = 0; i < topics; i++)
        {
            Guid topicId = r.ReadUuid();
            int count = r.ReadArrayLength(compact: true);
            for (int j = 0; j < count; j++)
            {
                partitions.Add((topicId, r.ReadInt32()));
            }

            r.SkipTaggedFields();
        }

        return Assignment.From(partitions);
    }
}
