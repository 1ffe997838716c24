using Chronik.Broker.Partitions;
using Chronik.Storage;
using Microsoft.Extensions.Logging;

namespace Chronik.Broker.Replication;

/// <summary>
/// The replica fetchers of this broker (Kafka's ReplicaFetcherManager with num.replica.fetchers = 1): one
/// <see cref="ReplicaFetcher"/> per leader broker, fetching all the partitions this broker follows from that leader
/// in one request. <see cref="Follow"/> is called for every hosted partition whose role, leader or leader epoch changed
/// (in metadata-image order): a follower with a live leader is (re)assigned to that leader's fetcher — a new leader
/// epoch restarts its divergence check — and anything else (leader, leaderless, deleted) is removed from the fetchers.
/// A fetcher left without partitions stops.
/// </summary>
public sealed class ReplicaFetcherManager : IAsyncDisposable
{
    private readonly int _localBrokerId;
    private readonly IReplicaChannelFactory _channels;
    private readonly ReplicaFetcherOptions _options;
    private readonly Func<long> _brokerEpoch;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly object _lock = new();
    private readonly Dictionary<int, ReplicaFetcher> _fetchers = [];
    private readonly Dictionary<TopicPartition, int> _leaders = [];
    private readonly List<Task> _stopping = [];
    private bool _disposed;

    /// <param name="brokerEpoch">This broker's current broker epoch, sent with every fetch (KIP-903), -1 when unknown.</param>
    public ReplicaFetcherManager(int localBrokerId, IReplicaChannelFactory channels, ReplicaFetcherOptions options, Func<long> brokerEpoch, ILoggerFactory loggerFactory, TimeProvider time)
    {
        _localBrokerId = localBrokerId;
        _channels = channels;
        _options = options;
        _brokerEpoch = brokerEpoch;
        _logger = loggerFactory.CreateLogger<ReplicaFetcher>();
        _time = time;
    }

    /// <summary>Leader broker → number of partitions fetched from it.</summary>
    public IReadOnlyDictionary<int, int> PartitionsByLeader
    {
        get
        {
            lock (_lock)
            {
                return _fetchers.ToDictionary(f => f.Key, f => f.Value.PartitionCount);
            }
        }
    }

    /// <summary>The fetch state of <paramref name="partition"/>, or null when it is not being fetched.</summary>
    public PartitionFetchState? State(TopicPartition partition)
    {
        lock (_lock)
        {
            return _leaders.TryGetValue(partition, out int leader) && _fetchers.TryGetValue(leader, out var fetcher) ? fetcher.State(partition) : null;
        }
    }

    /// <summary>Fetches <paramref name="partition"/> from its leader if this broker follows it, and stops fetching it otherwise.</summary>
    public void Follow(Partition partition)
    {
        int leader = partition.LeaderId;
        if (partition.IsDeleted || partition.IsLeader || leader < 0 || leader == _localBrokerId)
        {
            Unfollow(partition.TopicPartition);
            return;
        }

        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            var tp = partition.TopicPartition;
            if (_leaders.TryGetValue(tp, out int previous) && previous != leader)
            {
                RemoveLocked(tp, previous);
            }

            if (!_fetchers.TryGetValue(leader, out var fetcher))
            {
                fetcher = new ReplicaFetcher(leader, _localBrokerId, _channels, _options, _brokerEpoch, _logger, _time);
                _fetchers[leader] = fetcher;
                fetcher.Start();
            }

            _leaders[tp] = leader;
            fetcher.Add(partition, partition.LeaderEpoch);
        }
    }

    /// <summary>Stops fetching <paramref name="partition"/> (it became leader, lost its leader or left this broker).</summary>
    public void Unfollow(TopicPartition partition)
    {
        lock (_lock)
        {
            if (_leaders.TryGetValue(partition, out int leader))
            {
                RemoveLocked(partition, leader);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<ReplicaFetcher> fetchers;
        List<Task> stopping;
        lock (_lock)
        {
            _disposed = true;
            fetchers = [.. _fetchers.Values];
            _fetchers.Clear();
            _leaders.Clear();
            stopping = [.. _stopping];
        }

        foreach (var fetcher in fetchers)
        {
            await fetcher.DisposeAsync().ConfigureAwait(false);
        }

        await Task.WhenAll(stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private void RemoveLocked(TopicPartition partition, int leader)
    {
        _leaders.Remove(partition);
        if (_fetchers.TryGetValue(leader, out var fetcher) && fetcher.Remove(partition) == 0)
        {
            // Kafka's shutdownIdleFetcherThreads.
            _fetchers.Remove(leader);
            _stopping.RemoveAll(t => t.IsCompleted);
            _stopping.Add(fetcher.DisposeAsync().AsTask());
        }
    }
}
