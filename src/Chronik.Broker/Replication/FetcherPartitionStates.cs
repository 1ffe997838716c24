using Chronik.Storage;

namespace Chronik.Broker.Replication;

/// <summary>Where a followed partition is in its fetcher: checking for divergence from the leader, or fetching.</summary>
public enum FetchPhase
{
    /// <summary>Must find its truncation point before fetching (new leader epoch, or a log the leader cannot check by epoch).</summary>
    Truncating,

    /// <summary>Fetches from <see cref="PartitionFetchState.FetchOffset"/>.</summary>
    Fetching,
}

/// <summary>One followed partition in a fetcher (Kafka's PartitionFetchState).</summary>
/// <param name="FetchOffset">The next offset to fetch: the follower's log end.</param>
/// <param name="CurrentLeaderEpoch">The leader epoch this broker follows in (sent as current_leader_epoch, fencing stale leaders and stale followers).</param>
/// <param name="Phase">Truncating or fetching.</param>
/// <param name="LastFetchedEpoch">The epoch of the last batch in the follower's log (Fetch v12+ last_fetched_epoch), -1 when none.</param>
/// <param name="DelayedUntilMs">After an error, not fetched before this time.</param>
public readonly record struct PartitionFetchState(long FetchOffset, int CurrentLeaderEpoch, FetchPhase Phase, int LastFetchedEpoch, long DelayedUntilMs)
{
    public bool IsDelayed(long nowMs) => DelayedUntilMs > nowMs;
}

/// <summary>
/// The partitions one replica fetcher follows and their <see cref="PartitionFetchState"/>s (Kafka's PartitionStates
/// in AbstractFetcherThread): which are ready to fetch or to truncate, the round-robin order (a partition that got
/// data moves to the end, so one busy partition cannot starve the others of a response's bytes), delays after errors,
/// and guarded updates — a fetch result applies only if the state it was sent for is still the current one.
/// Pure: no I/O, times passed in; not thread-safe (the fetcher locks).
/// </summary>
public sealed class FetcherPartitionStates
{
    private readonly Dictionary<TopicPartition, (PartitionFetchState State, long Order)> _states = [];
    private long _nextOrder;

    public int Count => _states.Count;

    public IEnumerable<TopicPartition> Partitions => _states.Keys;

    public PartitionFetchState? Get(TopicPartition partition) => _states.TryGetValue(partition, out var entry) ? entry.State : null;

    /// <summary>
    /// Follows <paramref name="partition"/> in <paramref name="leaderEpoch"/> from <paramref name="logEndOffset"/>: it
    /// starts truncating (its log may have diverged under an earlier leader). A partition already followed in the
    /// same epoch keeps its state (Kafka's rule). True when the state was (re)set.
    /// </summary>
    public bool Add(TopicPartition partition, int leaderEpoch, long logEndOffset)
    {
        if (_states.TryGetValue(partition, out var existing) && existing.State.CurrentLeaderEpoch == leaderEpoch)
        {
            return false;
        }

        _states[partition] = (new PartitionFetchState(logEndOffset, leaderEpoch, FetchPhase.Truncating, -1, 0), _nextOrder++);
        return true;
    }

    public bool Remove(TopicPartition partition) => _states.Remove(partition);

    /// <summary>Partitions in <paramref name="phase"/> that are not delayed, in round-robin order.</summary>
    public List<(TopicPartition Partition, PartitionFetchState State)> Ready(FetchPhase phase, long nowMs)
    {
        var ready = new List<(TopicPartition, PartitionFetchState, long)>();
        foreach (var (partition, (state, order)) in _states)
        {
            if (state.Phase == phase && !state.IsDelayed(nowMs))
            {
                ready.Add((partition, state, order));
            }
        }

        ready.Sort(static (a, b) => a.Item3.CompareTo(b.Item3));
        var result = new List<(TopicPartition, PartitionFetchState)>(ready.Count);
        foreach (var (partition, state, _) in ready)
        {
            result.Add((partition, state));
        }

        return result;
    }

    /// <summary>Kafka's delayPartitions: not fetched or truncated before <paramref name="untilMs"/> (an existing delay stands).</summary>
    public void Delay(TopicPartition partition, long nowMs, long untilMs)
    {
        if (_states.TryGetValue(partition, out var entry) && !entry.State.IsDelayed(nowMs))
        {
            _states[partition] = (entry.State with { DelayedUntilMs = untilMs }, entry.Order);
        }
    }

    /// <summary>
    /// Whether a result for a request sent with <paramref name="sent"/> still applies: the partition is followed in the
    /// same epoch, in the same phase, from the same offset.
    /// </summary>
    public bool Matches(TopicPartition partition, PartitionFetchState sent) =>
        _states.TryGetValue(partition, out var entry)
        && entry.State.CurrentLeaderEpoch == sent.CurrentLeaderEpoch
        && entry.State.Phase == sent.Phase
        && entry.State.FetchOffset == sent.FetchOffset;

    /// <summary>Data was appended: fetch on from <paramref name="nextOffset"/>; the partition moves to the end of the order.</summary>
    public void Advance(TopicPartition partition, long nextOffset, int lastFetchedEpoch)
    {
        if (_states.TryGetValue(partition, out var entry))
        {
            _states[partition] = (entry.State with { FetchOffset = nextOffset, LastFetchedEpoch = lastFetchedEpoch, DelayedUntilMs = 0 }, _nextOrder++);
        }
    }

    /// <summary>
    /// The log was truncated to (or restarted at) <paramref name="offset"/>. The partition fetches from there, except
    /// that an intermediate point found by OffsetForLeaderEpoch needs another round of truncation (Kafka's
    /// updateFetchOffsetAndMaybeMarkTruncationComplete: with divergence detection in Fetch the next fetch checks again).
    /// </summary>
    public void Truncated(TopicPartition partition, long offset, int lastFetchedEpoch, bool completed)
    {
        if (_states.TryGetValue(partition, out var entry))
        {
            var phase = completed ? FetchPhase.Fetching : FetchPhase.Truncating;
            _states[partition] = (entry.State with { FetchOffset = offset, LastFetchedEpoch = lastFetchedEpoch, Phase = phase, DelayedUntilMs = 0 }, entry.Order);
        }
    }

    /// <summary>The earliest time a delayed partition becomes ready again, or null when none is delayed.</summary>
    public long? NextReadyTimeMs(long nowMs)
    {
        long? next = null;
        foreach (var (state, _) in _states.Values)
        {
            if (state.IsDelayed(nowMs) && (next is null || state.DelayedUntilMs < next))
            {
                next = state.DelayedUntilMs;
            }
        }

        return next;
    }
}
