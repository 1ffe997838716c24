using Chronik.Broker.Groups.Records;

namespace Chronik.Broker.Groups.Offsets;

/// <summary>
/// The committed offsets of one coordinator shard, by group, topic and partition, folded from
/// <see cref="OffsetCommitRecord"/>s (a tombstone removes an offset). The same fold serves loading the
/// partition and applying a commit, so what is served is what a reload would rebuild. Each offset keeps the
/// position of the record that wrote it in the shard's write order, so a transactional commit made visible
/// by a later marker does not overwrite a newer plain commit (Kafka compares record offsets).
/// </summary>
public sealed class OffsetStore
{
    private readonly Dictionary<string, Dictionary<string, Dictionary<int, Committed>>> _byGroup = new(StringComparer.Ordinal);

    public IEnumerable<string> Groups => _byGroup.Keys;

    /// <summary>Applies <paramref name="record"/>, written at position <paramref name="order"/> of the shard's records.</summary>
    public void Replay(OffsetCommitRecord record, long order)
    {
        if (record.Value is { } value)
        {
            if (!_byGroup.TryGetValue(record.GroupId, out var topics))
            {
                topics = new Dictionary<string, Dictionary<int, Committed>>(StringComparer.Ordinal);
                _byGroup[record.GroupId] = topics;
            }

            if (!topics.TryGetValue(record.Topic, out var partitions))
            {
                partitions = [];
                topics[record.Topic] = partitions;
            }

            partitions[record.Partition] = new Committed(value, order);
            return;
        }

        if (_byGroup.TryGetValue(record.GroupId, out var groupTopics)
            && groupTopics.TryGetValue(record.Topic, out var groupPartitions)
            && groupPartitions.Remove(record.Partition))
        {
            if (groupPartitions.Count == 0)
            {
                groupTopics.Remove(record.Topic);
            }

            if (groupTopics.Count == 0)
            {
                _byGroup.Remove(record.GroupId);
            }
        }
    }

    public OffsetCommitValue? Get(string groupId, string topic, int partition) => Find(groupId, topic, partition)?.Value;

    /// <summary>The write position of the committed offset, or -1 when there is none.</summary>
    public long OrderOf(string groupId, string topic, int partition) => Find(groupId, topic, partition)?.Order ?? -1;

    public bool HasOffsets(string groupId) => _byGroup.ContainsKey(groupId);

    /// <summary>Every committed offset of a group, topics and partitions in order.</summary>
    public IEnumerable<(string Topic, int Partition, OffsetCommitValue Value)> OffsetsOf(string groupId)
    {
        if (!_byGroup.TryGetValue(groupId, out var topics))
        {
            yield break;
        }

        foreach (string topic in topics.Keys.Order(StringComparer.Ordinal))
        {
            foreach (var (partition, committed) in topics[topic].OrderBy(p => p.Key))
            {
                yield return (topic, partition, committed.Value);
            }
        }
    }

    /// <summary>Partitions of <paramref name="topic"/> the group has offsets for.</summary>
    public IEnumerable<int> PartitionsOf(string groupId, string topic) =>
        _byGroup.TryGetValue(groupId, out var topics) && topics.TryGetValue(topic, out var partitions) ? partitions.Keys.Order() : [];

    private Committed? Find(string groupId, string topic, int partition) =>
        _byGroup.TryGetValue(groupId, out var topics) && topics.TryGetValue(topic, out var partitions) && partitions.TryGetValue(partition, out var committed)
            ? committed
            : null;

    private sealed record Committed(OffsetCommitValue Value, long Order);
}
