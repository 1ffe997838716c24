using System.Collections.Immutable;

namespace Chronik.Cluster.Metadata;

/// <summary>
/// The state of one partition: assigned replicas (preferred leader first), in-sync replicas, the
/// leader (-1 when none is eligible) and the two epochs. The leader epoch grows with every leader
/// change (fetchers and producers are fenced with it); the partition epoch with every change
/// (AlterPartition requests carry it as an optimistic-concurrency version).
/// </summary>
public sealed record PartitionRegistration(
    int Partition,
    ImmutableArray<int> Replicas,
    ImmutableArray<int> Isr,
    int Leader,
    int LeaderEpoch,
    int PartitionEpoch)
{
    public const int NoLeader = -1;

    public bool HasLeader => Leader != NoLeader;

    public bool Equals(PartitionRegistration? other) =>
        other is not null && Partition == other.Partition && Replicas.SequenceEqual(other.Replicas) && Isr.SequenceEqual(other.Isr)
        && Leader == other.Leader && LeaderEpoch == other.LeaderEpoch && PartitionEpoch == other.PartitionEpoch;

    public override int GetHashCode() => HashCode.Combine(Partition, Leader, LeaderEpoch, PartitionEpoch);

    internal PartitionRecord ToRecord(Guid topicId) => new(topicId, Partition, Replicas, Isr, Leader, LeaderEpoch, PartitionEpoch);
}
