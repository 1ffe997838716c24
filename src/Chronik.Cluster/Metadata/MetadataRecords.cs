using System.Collections.Immutable;

namespace Chronik.Cluster.Metadata;

/// <summary>
/// A record of the metadata log. The set is closed (the constructor is not visible outside this
/// assembly): every record has a type id, a version and a codec in <see cref="MetadataRecordCodec"/>,
/// and <see cref="MetadataImage.Apply(MetadataRecord)"/> knows how to fold it.
/// </summary>
public abstract record MetadataRecord
{
    private protected MetadataRecord()
    {
    }

    public abstract MetadataRecordType Type { get; }
}

/// <summary>Sets the cluster id once; later ones are ignored (the first committed wins).</summary>
public sealed record ClusterIdRecord(string ClusterId) : MetadataRecord
{
    public override MetadataRecordType Type => MetadataRecordType.ClusterId;
}

/// <summary>
/// Registers (or re-registers) a broker. A registration replaces any earlier one for the id; the
/// broker epoch grows with every registration so stale requests of an older incarnation are refused.
/// </summary>
public sealed record RegisterBrokerRecord(
    int BrokerId,
    Guid Incarnation,
    long BrokerEpoch,
    ImmutableArray<BrokerEndpoint> Endpoints,
    string? Rack,
    string? HttpEndpoint,
    bool Fenced) : MetadataRecord
{
    public override MetadataRecordType Type => MetadataRecordType.RegisterBroker;

    public bool Equals(RegisterBrokerRecord? other) =>
        other is not null && BrokerId == other.BrokerId && Incarnation == other.Incarnation && BrokerEpoch == other.BrokerEpoch
        && Endpoints.SequenceEqual(other.Endpoints) && Rack == other.Rack && HttpEndpoint == other.HttpEndpoint && Fenced == other.Fenced;

    public override int GetHashCode() => HashCode.Combine(BrokerId, Incarnation, BrokerEpoch);
}

/// <summary>Removes a broker registration (only the registration of that epoch).</summary>
public sealed record UnregisterBrokerRecord(int BrokerId, long BrokerEpoch) : MetadataRecord
{
    public override MetadataRecordType Type => MetadataRecordType.UnregisterBroker;
}

/// <summary>Fences a broker: it may not lead or be in an ISR until unfenced.</summary>
public sealed record FenceBrokerRecord(int BrokerId, long BrokerEpoch) : MetadataRecord
{
    public override MetadataRecordType Type => MetadataRecordType.FenceBroker;
}

/// <summary>Unfences a broker after it heartbeats and has caught up with the metadata log.</summary>
public sealed record UnfenceBrokerRecord(int BrokerId, long BrokerEpoch) : MetadataRecord
{
    public override MetadataRecordType Type => MetadataRecordType.UnfenceBroker;
}

/// <summary>Creates a topic (without partitions; <see cref="PartitionRecord"/>s follow in the same batch).</summary>
public sealed record TopicRecord(string Name, Guid TopicId) : MetadataRecord
{
    public override MetadataRecordType Type => MetadataRecordType.Topic;
}

/// <summary>
/// The full state of one partition: replicas, ISR, leader (-1 = none) and its epochs, and while a
/// reassignment runs the replicas being added and removed (encoded from record version 1 on).
/// </summary>
public sealed record PartitionRecord(
    Guid TopicId,
    int Partition,
    ImmutableArray<int> Replicas,
    ImmutableArray<int> Isr,
    int Leader,
    int LeaderEpoch,
    int PartitionEpoch) : MetadataRecord
{
    public override MetadataRecordType Type => MetadataRecordType.Partition;

    public ImmutableArray<int> AddingReplicas { get; init; } = [];

    public ImmutableArray<int> RemovingReplicas { get; init; } = [];

    public bool Equals(PartitionRecord? other) =>
        other is not null && TopicId == other.TopicId && Partition == other.Partition && Replicas.SequenceEqual(other.Replicas)
        && Isr.SequenceEqual(other.Isr) && Leader == other.Leader && LeaderEpoch == other.LeaderEpoch && PartitionEpoch == other.PartitionEpoch
        && PartitionRegistration.SameOrEmpty(AddingReplicas, other.AddingReplicas) && PartitionRegistration.SameOrEmpty(RemovingReplicas, other.RemovingReplicas);

    public override int GetHashCode() => HashCode.Combine(TopicId, Partition, Leader, LeaderEpoch, PartitionEpoch);
}

/// <summary>
/// A change to a partition; absent (null) fields keep their value. As in Kafka's PartitionChangeRecord
/// the epochs are not carried: folding bumps the partition epoch on every change and the leader epoch
/// whenever <see cref="Leader"/> is present. <see cref="AddingReplicas"/> and <see cref="RemovingReplicas"/>
/// set the reassignment state (an empty list ends it); they are encoded from record version 1 on.
/// </summary>
public sealed record PartitionChangeRecord(
    Guid TopicId,
    int Partition,
    ImmutableArray<int>? Replicas = null,
    ImmutableArray<int>? Isr = null,
    int? Leader = null) : MetadataRecord
{
    public override MetadataRecordType Type => MetadataRecordType.PartitionChange;

    public ImmutableArray<int>? AddingReplicas { get; init; }

    public ImmutableArray<int>? RemovingReplicas { get; init; }

    public bool Equals(PartitionChangeRecord? other) =>
        other is not null && TopicId == other.TopicId && Partition == other.Partition && SameList(Replicas, other.Replicas)
        && SameList(Isr, other.Isr) && Leader == other.Leader
        && SameList(AddingReplicas, other.AddingReplicas) && SameList(RemovingReplicas, other.RemovingReplicas);

    public override int GetHashCode() => HashCode.Combine(TopicId, Partition, Leader);

    private static bool SameList(ImmutableArray<int>? a, ImmutableArray<int>? b) =>
        a.HasValue == b.HasValue && (!a.HasValue || a.Value.SequenceEqual(b!.Value));
}

/// <summary>Deletes a topic, its partitions and its config overrides.</summary>
public sealed record RemoveTopicRecord(Guid TopicId) : MetadataRecord
{
    public override MetadataRecordType Type => MetadataRecordType.RemoveTopic;
}

/// <summary>Sets one config override; a null <see cref="Value"/> deletes it.</summary>
public sealed record ConfigRecord(ConfigResourceType ResourceType, string ResourceName, string Name, string? Value) : MetadataRecord
{
    public override MetadataRecordType Type => MetadataRecordType.Config;
}

/// <summary>Hands the producer ids [FirstId, FirstId + Size) to a broker (Kafka's AllocateProducerIds, KIP-730).</summary>
public sealed record ProducerIdsRecord(int BrokerId, long FirstId, int Size) : MetadataRecord
{
    public override MetadataRecordType Type => MetadataRecordType.ProducerIds;
}
