using Chronik.Broker.Groups.Consumer;

namespace Chronik.Broker.Groups.Records;

/// <summary>
/// One record of __consumer_offsets, decoded: the key names what it is about, a null value is a
/// tombstone (compaction then drops the key). The key's leading int16 is the record type and the
/// value's leading int16 its schema version, as Kafka's group coordinator writes them.
/// </summary>
public abstract record CoordinatorRecord(string GroupId)
{
    public abstract bool IsTombstone { get; }
}

/// <summary>Key type 1 (0 in Kafka before 0.10): a committed offset of one partition.</summary>
public sealed record OffsetCommitRecord(string GroupId, string Topic, int Partition, OffsetCommitValue? Value) : CoordinatorRecord(GroupId)
{
    public override bool IsTombstone => Value is null;
}

/// <summary>
/// OffsetCommitValue: <see cref="ExpireTimestamp"/> is -1 unless the commit asked for a retention time
/// (OffsetCommit v2-4), which Kafka writes as value version 1; otherwise version 3 (with the leader epoch).
/// </summary>
public sealed record OffsetCommitValue(long Offset, int LeaderEpoch, string Metadata, long CommitTimestamp, long ExpireTimestamp = -1);

/// <summary>Key type 2: a classic group and its members (written after each completed rebalance).</summary>
public sealed record GroupMetadataRecord(string GroupId, GroupMetadataValue? Value) : CoordinatorRecord(GroupId)
{
    public override bool IsTombstone => Value is null;
}

public sealed record GroupMetadataValue(
    string ProtocolType,
    int Generation,
    string? Protocol,
    string? Leader,
    long CurrentStateTimestamp,
    IReadOnlyList<GroupMemberMetadata> Members);

public sealed record GroupMemberMetadata(
    string MemberId,
    string? GroupInstanceId,
    string ClientId,
    string ClientHost,
    int RebalanceTimeoutMs,
    int SessionTimeoutMs,
    byte[] Subscription,
    byte[] Assignment);

/// <summary>Key type 3: a consumer (KIP-848) group's epoch and the hash of its subscribed topics' metadata (KIP-1101).</summary>
public sealed record ConsumerGroupMetadataRecord(string GroupId, int? Epoch, long MetadataHash = 0) : CoordinatorRecord(GroupId)
{
    public override bool IsTombstone => Epoch is null;
}

/// <summary>Key type 5: a consumer group member's subscription and identity.</summary>
public sealed record ConsumerGroupMemberMetadataRecord(string GroupId, string MemberId, ConsumerMemberMetadata? Value) : CoordinatorRecord(GroupId)
{
    public override bool IsTombstone => Value is null;
}

public sealed record ConsumerMemberMetadata(
    string? InstanceId,
    string? RackId,
    string ClientId,
    string ClientHost,
    IReadOnlyList<string> SubscribedTopicNames,
    string? SubscribedTopicRegex,
    int RebalanceTimeoutMs,
    string? ServerAssignor);

/// <summary>Key type 6: the epoch of the group's target assignment.</summary>
public sealed record ConsumerGroupTargetAssignmentMetadataRecord(string GroupId, int? AssignmentEpoch) : CoordinatorRecord(GroupId)
{
    public override bool IsTombstone => AssignmentEpoch is null;
}

/// <summary>Key type 7: one member's target assignment.</summary>
public sealed record ConsumerGroupTargetAssignmentMemberRecord(string GroupId, string MemberId, Assignment? Partitions) : CoordinatorRecord(GroupId)
{
    public override bool IsTombstone => Partitions is null;
}

/// <summary>Key type 8: one member's current assignment, epochs and reconciliation state.</summary>
public sealed record ConsumerGroupCurrentMemberAssignmentRecord(string GroupId, string MemberId, CurrentMemberAssignment? Value) : CoordinatorRecord(GroupId)
{
    public override bool IsTombstone => Value is null;
}

public sealed record CurrentMemberAssignment(
    int MemberEpoch,
    int PreviousMemberEpoch,
    MemberState State,
    Assignment AssignedPartitions,
    Assignment PartitionsPendingRevocation);
