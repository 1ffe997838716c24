using Chronik.Broker.Groups.Records;

namespace Chronik.Broker.Groups.Offsets;

/// <summary>
/// Offsets committed inside producers' transactions (TxnOffsetCommit, KIP-98/KIP-447) that no marker has ended
/// yet, by producer id: the COMMIT marker makes them the committed offsets, the ABORT marker drops them.
/// While any is pending for a partition, OffsetFetch with require_stable answers UNSTABLE_OFFSET_COMMIT there.
/// Folded from the transactional batches and markers of __consumer_offsets, like every other shard state.
/// </summary>
public sealed class PendingTransactionalOffsets
{
    private readonly Dictionary<long, List<Pending>> _byProducer = [];
    private readonly Dictionary<(string Group, string Topic, int Partition), int> _openCounts = [];

    /// <summary>Producers with pending offsets.</summary>
    public int ProducerCount => _byProducer.Count;

    /// <summary>Records a transactional offset of <paramref name="producerId"/> written at position <paramref name="order"/>.</summary>
    public void Add(long producerId, OffsetCommitRecord record, long order)
    {
        if (!_byProducer.TryGetValue(producerId, out var pending))
        {
            pending = [];
            _byProducer[producerId] = pending;
        }

        pending.Add(new Pending(record, order));
        var key = (record.GroupId, record.Topic, record.Partition);
        _openCounts[key] = _openCounts.GetValueOrDefault(key) + 1;
    }

    /// <summary>Ends <paramref name="producerId"/>'s transaction: its offsets in write order (empty when it had none here).</summary>
    public IReadOnlyList<(OffsetCommitRecord Record, long Order)> Complete(long producerId)
    {
        if (!_byProducer.Remove(producerId, out var pending))
        {
            return [];
        }

        var completed = new List<(OffsetCommitRecord, long)>(pending.Count);
        foreach (Pending p in pending)
        {
            var key = (p.Record.GroupId, p.Record.Topic, p.Record.Partition);
            int left = _openCounts[key] - 1;
            if (left == 0)
            {
                _openCounts.Remove(key);
            }
            else
            {
                _openCounts[key] = left;
            }

            completed.Add((p.Record, p.Order));
        }

        return completed;
    }

    public bool HasPending(string groupId, string topic, int partition) => _openCounts.ContainsKey((groupId, topic, partition));

    public bool HasPending(string groupId) => _openCounts.Keys.Any(k => k.Group == groupId);

    public void Clear()
    {
        _byProducer.Clear();
        _openCounts.Clear();
    }

    private readonly record struct Pending(OffsetCommitRecord Record, long Order);
}
