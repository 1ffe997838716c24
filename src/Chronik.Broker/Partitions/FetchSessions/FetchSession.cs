namespace Chronik.Broker.Partitions.FetchSessions;

/// <summary>
/// Identifies a partition in a fetch request or session: by topic id (Fetch v13+, <see cref="Topic"/> empty) or
/// by topic name (<see cref="TopicId"/> empty), as the request version dictates.
/// </summary>
public readonly record struct FetchPartitionKey(Guid TopicId, string Topic, int Partition)
{
    public static FetchPartitionKey ById(Guid topicId, int partition) => new(topicId, "", partition);

    public static FetchPartitionKey ByName(string topic, int partition) => new(Guid.Empty, topic, partition);
}

/// <summary>What a fetch asks of one partition (the request's FetchPartition, or what a session remembers of it).</summary>
public readonly record struct FetchPartitionParams(long FetchOffset, int MaxBytes, int CurrentLeaderEpoch, int LastFetchedEpoch, long FetcherLogStartOffset);

/// <summary>
/// A partition remembered by a fetch session (Kafka's CachedPartition): the fetcher's last request parameters,
/// and the high watermark and log start offset last sent, so an incremental response can leave out partitions
/// where nothing changed.
/// </summary>
public sealed class CachedPartition(FetchPartitionKey key, FetchPartitionParams request)
{
    public FetchPartitionKey Key { get; } = key;

    public FetchPartitionParams Request { get; set; } = request;

    /// <summary>High watermark last sent; -1 when unknown or after an error (so the partition is sent again).</summary>
    public long HighWatermark { get; set; } = -1;

    /// <summary>Log start offset last sent.</summary>
    public long LogStartOffset { get; set; } = -1;
}

/// <summary>
/// An incremental fetch session (KIP-227): the partitions a fetcher reads, in the order it reads them, and the
/// epoch its next request must carry. Guarded by the owning <see cref="FetchSessionCache"/>'s lock.
/// </summary>
public sealed class FetchSession
{
    private readonly LinkedList<CachedPartition> _order = new();
    private readonly Dictionary<FetchPartitionKey, LinkedListNode<CachedPartition>> _byKey = [];

    internal FetchSession(int id, bool privileged, bool usesTopicIds, long creationMs, int epoch)
    {
        Id = id;
        Privileged = privileged;
        UsesTopicIds = usesTopicIds;
        CreationMs = creationMs;
        LastUsedMs = creationMs;
        Epoch = epoch;
    }

    public int Id { get; }

    /// <summary>Created by a follower: such sessions win cache slots over consumers'.</summary>
    public bool Privileged { get; }

    /// <summary>Created by Fetch v13+: partitions are keyed by topic id.</summary>
    public bool UsesTopicIds { get; }

    public long CreationMs { get; }

    public long LastUsedMs { get; internal set; }

    /// <summary>The epoch the next incremental request must carry.</summary>
    public int Epoch { get; internal set; }

    public int Count => _order.Count;

    /// <summary>The size recorded in the cache's eviction index (-1 while not in the cache).</summary>
    internal int CachedSize { get; set; } = -1;

    /// <summary>The partitions in fetch order.</summary>
    public IEnumerable<CachedPartition> Partitions => _order;

    public CachedPartition? Find(FetchPartitionKey key) => _byKey.TryGetValue(key, out var node) ? node.Value : null;

    internal void Add(CachedPartition partition)
    {
        _byKey[partition.Key] = _order.AddLast(partition);
    }

    /// <summary>Adds or updates the requested partitions, removes the forgotten ones (Kafka's FetchSession.update).</summary>
    internal void Update(IReadOnlyList<(FetchPartitionKey Key, FetchPartitionParams Params)> requested, IReadOnlyList<FetchPartitionKey> forgotten)
    {
        foreach (var (key, request) in requested)
        {
            if (_byKey.TryGetValue(key, out var node))
            {
                node.Value.Request = request;
            }
            else
            {
                Add(new CachedPartition(key, request));
            }
        }

        foreach (var key in forgotten)
        {
            if (_byKey.Remove(key, out var node))
            {
                _order.Remove(node);
            }
        }
    }

    /// <summary>A partition that returned records goes to the end, so the next fetches start with the others (fairness under max_bytes).</summary>
    internal void MoveToEnd(FetchPartitionKey key)
    {
        if (_byKey.TryGetValue(key, out var node) && node != _order.Last)
        {
            _order.Remove(node);
            _order.AddLast(node);
        }
    }

    public override string ToString() => $"FetchSession(id={Id}, privileged={Privileged}, partitions={Count}, epoch={Epoch})";
}
