namespace Chronik.Broker.Groups.Consumer;

/// <summary>
/// An immutable set of partitions by topic id: a member's target or current assignment in a consumer
/// (KIP-848) group. Topics without partitions are never stored, so equal sets compare equal.
/// </summary>
public sealed class Assignment : IEquatable<Assignment>
{
    public static readonly Assignment Empty = new(new Dictionary<Guid, SortedSet<int>>());

    private readonly Dictionary<Guid, SortedSet<int>> _partitions;

    private Assignment(Dictionary<Guid, SortedSet<int>> partitions)
    {
        _partitions = partitions;
        int count = 0;
        foreach (SortedSet<int> set in partitions.Values)
        {
            count += set.Count;
        }

        Count = count;
    }

    /// <summary>Partitions in total.</summary>
    public int Count { get; }

    public bool IsEmpty => Count == 0;

    /// <summary>Topic ids with at least one partition.</summary>
    public IEnumerable<Guid> TopicIds => _partitions.Keys;

    public IReadOnlyDictionary<Guid, SortedSet<int>> Topics => _partitions;

    public static Assignment From(IEnumerable<KeyValuePair<Guid, IEnumerable<int>>> topics)
    {
        var map = new Dictionary<Guid, SortedSet<int>>();
        foreach (var (topicId, partitions) in topics)
        {
            if (!map.TryGetValue(topicId, out SortedSet<int>? set))
            {
                set = [];
                map[topicId] = set;
            }

            set.UnionWith(partitions);
        }

        return Normalize(map);
    }

    public static Assignment From(IEnumerable<(Guid TopicId, int Partition)> partitions)
    {
        var map = new Dictionary<Guid, SortedSet<int>>();
        foreach (var (topicId, partition) in partitions)
        {
            if (!map.TryGetValue(topicId, out SortedSet<int>? set))
            {
                set = [];
                map[topicId] = set;
            }

            set.Add(partition);
        }

        return Normalize(map);
    }

    public bool Contains(Guid topicId, int partition) => _partitions.TryGetValue(topicId, out SortedSet<int>? set) && set.Contains(partition);

    public IReadOnlySet<int> Partitions(Guid topicId) => _partitions.TryGetValue(topicId, out SortedSet<int>? set) ? set : EmptySet;

    /// <summary>Every (topic, partition), topics in id order.</summary>
    public IEnumerable<(Guid TopicId, int Partition)> All()
    {
        foreach (Guid topicId in _partitions.Keys.Order())
        {
            foreach (int partition in _partitions[topicId])
            {
                yield return (topicId, partition);
            }
        }
    }

    public bool IsSubsetOf(Assignment other)
    {
        foreach (var (topicId, set) in _partitions)
        {
            if (!other._partitions.TryGetValue(topicId, out SortedSet<int>? o) || !set.IsSubsetOf(o))
            {
                return false;
            }
        }

        return true;
    }

    public bool Equals(Assignment? other)
    {
        if (other is null || other.Count != Count || other._partitions.Count != _partitions.Count)
        {
            return false;
        }

        foreach (var (topicId, set) in _partitions)
        {
            if (!other._partitions.TryGetValue(topicId, out SortedSet<int>? o) || !set.SetEquals(o))
            {
                return false;
            }
        }

        return true;
    }

    public override bool Equals(object? obj) => obj is Assignment other && Equals(other);

    public override int GetHashCode()
    {
        int hash = Count;
        foreach (var (topicId, set) in _partitions)
        {
            hash ^= HashCode.Combine(topicId, set.Count, set.Min);
        }

        return hash;
    }

    public override string ToString() => string.Join(", ", _partitions.Select(t => $"{t.Key}:[{string.Join(",", t.Value)}]"));

    private static readonly IReadOnlySet<int> EmptySet = new SortedSet<int>();

    private static Assignment Normalize(Dictionary<Guid, SortedSet<int>> map)
    {
        foreach (Guid empty in map.Where(e => e.Value.Count == 0).Select(e => e.Key).ToList())
        {
            map.Remove(empty);
        }

        return map.Count == 0 ? Empty : new Assignment(map);
    }
}
