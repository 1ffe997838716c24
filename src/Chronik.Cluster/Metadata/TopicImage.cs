using System.Collections.Immutable;

namespace Chronik.Cluster.Metadata;

/// <summary>A topic and its partitions, ordered by partition index.</summary>
public sealed record TopicImage(string Name, Guid TopicId, ImmutableSortedDictionary<int, PartitionRegistration> Partitions)
{
    public PartitionRegistration? GetPartition(int partition) => Partitions.GetValueOrDefault(partition);

    public bool Equals(TopicImage? other) =>
        other is not null && Name == other.Name && TopicId == other.TopicId && Partitions.Count == other.Partitions.Count
        && Partitions.All(p => other.Partitions.TryGetValue(p.Key, out PartitionRegistration? o) && p.Value.Equals(o));

    public override int GetHashCode() => HashCode.Combine(Name, TopicId, Partitions.Count);
}
