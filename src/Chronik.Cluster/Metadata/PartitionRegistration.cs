using System.Collections.Immutable;

namespace Chronik.Cluster.Metadata;

/// <summary>
/// The state of one partition: assigned replicas (preferred leader first), in-sync replicas, the
/// leader (-1 when none is eligible) and the two epochs. The leader epoch grows with every leader
/// change (fetchers and producers are fenced with it); the partition epoch with every change
/// (AlterPartition requests carry it as an optimistic-concurrency version).
///
/// During a reassignment (KIP-455) <see cref="Replicas"/> is the union of the old and the target
/// replicas (target first), <see cref="AddingReplicas"/> the targets not yet in the old set and
/// <see cref="RemovingReplicas"/> the old ones not in the target; both are empty otherwise.
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

    public ImmutableArray<int> AddingReplicas { get; init; } = [];

    public ImmutableArray<int> RemovingReplicas { get; init; } = [];

    public bool HasLeader => Leader != NoLeader;

    /// <summary>Whether a reassignment is in progress.</summary>
    public bool IsReassigning => !AddingReplicas.IsDefaultOrEmpty || !RemovingReplicas.IsDefaultOrEmpty;

    /// <summary>The replicas once the reassignment completes: <see cref="Replicas"/> without <see cref="RemovingReplicas"/>.</summary>
    public ImmutableArray<int> TargetReplicas => RemovingReplicas.IsDefaultOrEmpty ? Replicas : [.. Replicas.Where(r => !RemovingReplicas.Contains(r))];

    /// <summary>The first replica in assignment order, which leadership returns to (-1 without replicas).</summary>
    public int PreferredLeader => Replicas.IsDefaultOrEmpty ? NoLeader : Replicas[0];

    public bool Equals(PartitionRegistration? other) =>
        other is not null && Partition == other.Partition && Replicas.SequenceEqual(other.Replicas) && Isr.SequenceEqual(other.Isr)
        && Leader == other.Leader && LeaderEpoch == other.LeaderEpoch && PartitionEpoch == other.PartitionEpoch
        && SameOrEmpty(AddingReplicas, other.AddingReplicas) && SameOrEmpty(RemovingReplicas, other.RemovingReplicas);

    public override int GetHashCode() => HashCode.Combine(Partition, Leader, LeaderEpoch, PartitionEpoch);

    internal PartitionRecord ToRecord(Guid topicId) =>
        new(topicId, Partition, Replicas, Isr, Leader, LeaderEpoch, PartitionEpoch) { AddingReplicas = AddingReplicas, RemovingReplicas = RemovingReplicas };

    internal static bool SameOrEmpty(ImmutableArray<int> a, ImmutableArray<int> b) =>
        a.IsDefaultOrEmpty ? b.IsDefaultOrEmpty : !b.IsDefault && a.SequenceEqual(b);
}
