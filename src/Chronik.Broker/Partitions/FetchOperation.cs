using Chronik.Broker.Partitions.FetchSessions;
using Chronik.Protocol.Wire;
using Chronik.Storage;

namespace Chronik.Broker.Partitions;

/// <summary>One partition of a fetch: what was asked, which partition it resolved to, and what the last read found.</summary>
public sealed class FetchTarget
{
    public FetchTarget(FetchPartitionKey key, FetchPartitionParams request, string? topic, Guid topicId, Partition? partition, ErrorCode lookupError)
    {
        Key = key;
        Request = request;
        Topic = topic;
        TopicId = topicId;
        Partition = partition;
        LookupError = lookupError;
        Error = lookupError;
    }

    public FetchPartitionKey Key { get; }

    public FetchPartitionParams Request { get; }

    /// <summary>The topic name (null for an unknown topic id).</summary>
    public string? Topic { get; }

    public Guid TopicId { get; }

    public int Index => Key.Partition;

    /// <summary>The hosted partition, or null (then <see cref="LookupError"/> says why).</summary>
    public Partition? Partition { get; }

    public ErrorCode LookupError { get; }

    /// <summary>The partition's error after the last read.</summary>
    public ErrorCode Error { get; internal set; }

    /// <summary>The batches found by the last read (a file range, not yet copied).</summary>
    public LogReadResult Records { get; internal set; }

    public long HighWatermark { get; internal set; } = -1;

    public long LastStableOffset { get; internal set; } = -1;

    public long LogStartOffset { get; internal set; } = -1;

    /// <summary>KIP-320/595 divergence: the fetcher's last fetched epoch ends before its fetch offset here.</summary>
    public (int Epoch, long EndOffset)? DivergingEpoch { get; internal set; }
}

/// <summary>
/// The reading side of one Fetch request (Kafka's ReplicaManager.readFromLog plus DelayedFetch): reads every
/// target within the request's byte limits, and — when fewer than min_bytes are available — waits, without a
/// thread, until a partition's high watermark moves (the log end for followers), something changes that ends the
/// wait with an error, or max_wait_ms passes; then reads again. Reads only describe file ranges; nothing is
/// copied until the response is built.
/// </summary>
public sealed class FetchOperation : IPartitionListener, IDeadlineTarget
{
    private readonly FetchTarget[] _targets;
    private readonly int _replicaId;
    private readonly long _replicaEpoch;
    private readonly FetchIsolation _isolation;
    private readonly int _maxBytes;
    private readonly bool _minOneMessage;
    private readonly bool _checkLastFetchedEpoch;
    private readonly object _signalLock = new();
    private TaskCompletionSource<bool>? _signal;
    private bool _timedOut;
    private bool _followerStateRecorded;

    /// <param name="targets">The partitions, in fetch order.</param>
    /// <param name="replicaId">The fetching follower's broker id, or -1 for a consumer.</param>
    /// <param name="isolation">How far consumers may read (followers read to the log end).</param>
    /// <param name="maxBytes">The response's byte limit (KIP-74).</param>
    /// <param name="minOneMessage">Whether the first batch is returned even when larger than the limits (Fetch v3+).</param>
    /// <param name="checkLastFetchedEpoch">Fetch v12+: validate last_fetched_epoch (divergence detection).</param>
    /// <param name="replicaEpoch">The follower's broker epoch (Fetch v15+ replica_state, KIP-903), -1 when not sent.</param>
    public FetchOperation(FetchTarget[] targets, int replicaId, FetchIsolation isolation, int maxBytes, bool minOneMessage, bool checkLastFetchedEpoch, long replicaEpoch = -1)
    {
        _targets = targets;
        _replicaId = replicaId;
        _replicaEpoch = replicaEpoch;
        _isolation = replicaId >= 0 ? FetchIsolation.LogEnd : isolation;
        _maxBytes = maxBytes;
        _minOneMessage = minOneMessage;
        _checkLastFetchedEpoch = checkLastFetchedEpoch;
    }

    public IReadOnlyList<FetchTarget> Targets => _targets;

    public bool IsFromFollower => _replicaId >= 0;

    /// <summary>Bytes found by the last <see cref="ReadAll"/>.</summary>
    public long BytesReadable { get; private set; }

    /// <summary>The last read found an error or a divergence: Kafka answers at once then.</summary>
    public bool MustRespondNow { get; private set; }

    /// <summary>
    /// Reads every target from its fetch offset; returns the bytes available. A follower's position (its fetch offset,
    /// the leader's log end at that moment) is recorded by the first read only, as Kafka's readFromLog does it once per
    /// request: the re-reads of a long poll would otherwise make a lagging follower look caught up.
    /// </summary>
    public long ReadAll()
    {
        bool recordFollower = IsFromFollower && !_followerStateRecorded;
        _followerStateRecorded = true;
        long total = 0;
        bool respondNow = false;
        long remaining = _maxBytes;
        bool minOne = _minOneMessage;
        foreach (var target in _targets)
        {
            int found = ReadTarget(target, (int)Math.Min(Math.Max(remaining, 0), int.MaxValue), minOne, recordFollower);
            if (target.Error != ErrorCode.None || target.DivergingEpoch is not null)
            {
                respondNow = true;
            }

            if (found > 0)
            {
                total += found;
                remaining -= found;
                minOne = false;
            }
        }

        BytesReadable = total;
        MustRespondNow = respondNow;
        return total;
    }

    /// <summary>
    /// Kafka's DelayedFetch: answers at once when max_wait_ms ≤ 0, there is nothing to fetch, min_bytes are
    /// available or a partition has an error; otherwise waits for a change on one of the partitions or the deadline,
    /// reading again after each change. Returns once the response can be built from the targets' last reads.
    /// </summary>
    public async ValueTask ReadAndWaitAsync(int minBytes, int maxWaitMs, FetchDeadlines deadlines, CancellationToken cancellationToken)
    {
        ReadAll();
        if (Satisfied(minBytes, maxWaitMs))
        {
            return;
        }

        foreach (var target in _targets)
        {
            target.Partition?.AddListener(this, IsFromFollower);
        }

        // Only a fetch that waits takes a deadline; answered, it cancels it.
        var deadline = deadlines.Schedule(maxWaitMs, this);
        try
        {
            using var cancelled = cancellationToken.Register(TimeOut);
            while (true)
            {
                var signal = Arm();

                // Read after arming: a change between the previous read and now has completed the signal already.
                ReadAll();
                if (BytesReadable >= minBytes || MustRespondNow)
                {
                    return;
                }

                if (await signal.ConfigureAwait(false))
                {
                    // The deadline: Kafka's DelayedFetch.onComplete reads once more.
                    ReadAll();
                    return;
                }
            }
        }
        finally
        {
            deadline.Cancel();
            foreach (var target in _targets)
            {
                target.Partition?.RemoveListener(this, IsFromFollower);
            }
        }
    }

    void IPartitionListener.OnPartitionChanged(Partition partition) => Volatile.Read(ref _signal)?.TrySetResult(false);

    void IDeadlineTarget.OnDeadline() => TimeOut();

    private bool Satisfied(int minBytes, int maxWaitMs) =>
        maxWaitMs <= 0 || _targets.Length == 0 || BytesReadable >= minBytes || MustRespondNow;

    private Task<bool> Arm()
    {
        lock (_signalLock)
        {
            if (_timedOut)
            {
                return Task.FromResult(true);
            }

            var signal = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _signal, signal);
            return signal.Task;
        }
    }

    private void TimeOut()
    {
        lock (_signalLock)
        {
            _timedOut = true;
            _signal?.TrySetResult(true);
        }
    }

    private int ReadTarget(FetchTarget target, int limit, bool minOne, bool recordFollower)
    {
        target.Records = default;
        target.DivergingEpoch = null;
        target.HighWatermark = -1;
        target.LastStableOffset = -1;
        target.LogStartOffset = -1;
        var partition = target.Partition;
        if (partition is null)
        {
            target.Error = target.LookupError;
            return 0;
        }

        var request = target.Request;
        var error = partition.CheckLeader(request.CurrentLeaderEpoch, requireLeader: true);
        if (error == ErrorCode.None && IsFromFollower && !partition.IsFollowerReplica(_replicaId))
        {
            // Kafka's followerReplicaOrThrow: a broker that is not an assigned replica retries later.
            error = request.CurrentLeaderEpoch >= 0 ? ErrorCode.UnknownLeaderEpoch : ErrorCode.NotLeaderOrFollower;
        }

        if (error != ErrorCode.None)
        {
            target.Error = error;
            return 0;
        }

        long logStart = partition.LogStartOffset;
        if (_checkLastFetchedEpoch && request.LastFetchedEpoch >= 0)
        {
            var (epoch, endOffset) = partition.EndOffsetForEpoch(request.LastFetchedEpoch);
            if (epoch < 0 || endOffset < 0 || request.FetchOffset < logStart)
            {
                target.Error = ErrorCode.OffsetOutOfRange;
                return 0;
            }

            if (epoch < request.LastFetchedEpoch || endOffset < request.FetchOffset)
            {
                target.Error = ErrorCode.None;
                target.DivergingEpoch = (epoch, endOffset);
                target.HighWatermark = partition.HighWatermark;
                target.LastStableOffset = partition.LastStableOffset;
                target.LogStartOffset = logStart;
                return 0;
            }
        }

        int maxBytes = Math.Min(Math.Max(request.MaxBytes, 0), limit);
        LogReadResult read;
        try
        {
            read = partition.Read(request.FetchOffset, maxBytes, _isolation, minOne);
        }
        catch (ObjectDisposedException)
        {
            target.Error = ErrorCode.NotLeaderOrFollower;
            return 0;
        }
        catch (IOException)
        {
            target.Error = ErrorCode.KafkaStorageError;
            return 0;
        }

        if (read.Error != ErrorCode.None)
        {
            target.Error = read.Error;
            return 0;
        }

        target.Error = ErrorCode.None;
        target.Records = read;
        // The read's own snapshot: the records it found lie below it.
        target.HighWatermark = read.HighWatermark;
        target.LastStableOffset = Math.Min(read.HighWatermark, partition.LastStableOffset);
        target.LogStartOffset = read.LogStartOffset;
        if (recordFollower)
        {
            partition.RecordFollowerFetch(_replicaId, request.FetchOffset, read.LogEndOffset, _replicaEpoch);
        }

        return read.Length;
    }
}
