using Chronik.Broker.InterBroker;
using Chronik.Broker.Partitions;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;
using Chronik.Storage;
using Microsoft.Extensions.Logging;

namespace Chronik.Broker.Replication;

/// <summary>
/// Fetches every partition this broker follows from one leader broker (Kafka's ReplicaFetcherThread over
/// AbstractFetcherThread): a loop that truncates where needed, then sends one Fetch for all ready partitions
/// (replica_id / replica_state set, sessionless, at the version negotiated with the leader), appends what comes back
/// with the leader's offsets and epochs, takes the leader's high watermark, and waits for the appended data to be
/// durable before the next fetch — whose fetch offsets tell the leader what this follower has, so an acks=all
/// produce is acknowledged only when it is on disk on every ISR member.
/// <para>
/// Divergence: with Fetch v12+ the request carries last_fetched_epoch and the leader answers diverging_epoch instead
/// of data when this log went past the end of that epoch on the leader (KIP-595, as Kafka 4 does); with an older
/// leader a partition first asks OffsetForLeaderEpoch (KIP-101/279). Either way <see cref="TruncationPlanner"/> finds
/// the point and the log is truncated there before any data from this leader is appended. A log without any leader
/// epoch truncates to its high watermark. OFFSET_OUT_OF_RANGE asks the leader for its log end and start (ListOffsets)
/// and truncates or restarts the log accordingly.
/// </para>
/// Errors delay the partition by replica.fetch.backoff.ms (a failed request or connection delays all of them); every
/// result is applied only if the partition's fetch state is still the one the request was built from, and
/// <see cref="Partition"/> refuses follower writes once this broker no longer follows in that leader epoch.
/// A leader that stops answering is warned about once per outage — the retries, one per backoff, log at Debug — and
/// the first fetch that succeeds again says at Information how many attempts failed over how long.
/// </summary>
internal sealed partial class ReplicaFetcher : IAsyncDisposable
{
    private const short MaxFetchVersion = 17;

    /// <summary>Fetch v9 carries current_leader_epoch (KIP-320): without it a follower could not be fenced.</summary>
    private const short MinFetchVersion = 9;

    /// <summary>Fetch v12 brings last_fetched_epoch / diverging_epoch (KIP-595).</summary>
    private const short DivergingEpochFetchVersion = 12;

    private const short MaxOffsetForLeaderEpochVersion = 4;
    private const short MaxListOffsetsVersion = 10;
    private const long LatestTimestamp = -1;
    private const long EarliestTimestamp = -2;

    private readonly int _localBrokerId;
    private readonly IReplicaChannelFactory _channels;
    private readonly ReplicaFetcherOptions _options;
    private readonly Func<long> _brokerEpoch;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly object _lock = new();
    private readonly FetcherPartitionStates _states = new();
    private readonly Dictionary<TopicPartition, Partition> _partitions = [];
    private readonly CancellationTokenSource _stopping = new();
    private TaskCompletionSource? _wake;
    private Task? _loop;

    // The current outage of the leader, touched by the fetch loop only: failed attempts in a row, since when.
    private int _failures;
    private long _firstFailureMs;

    public ReplicaFetcher(int leaderId, int localBrokerId, IReplicaChannelFactory channels, ReplicaFetcherOptions options, Func<long> brokerEpoch, ILogger logger, TimeProvider time)
    {
        LeaderId = leaderId;
        _localBrokerId = localBrokerId;
        _channels = channels;
        _options = options;
        _brokerEpoch = brokerEpoch;
        _logger = logger;
        _time = time;
    }

    public int LeaderId { get; }

    public int PartitionCount
    {
        get
        {
            lock (_lock)
            {
                return _states.Count;
            }
        }
    }

    /// <summary>The fetch state of <paramref name="partition"/>, or null when this fetcher does not follow it.</summary>
    public PartitionFetchState? State(TopicPartition partition)
    {
        lock (_lock)
        {
            return _states.Get(partition);
        }
    }

    public void Start() => _loop ??= Task.Run(() => RunAsync(_stopping.Token));

    /// <summary>Follows <paramref name="partition"/> in <paramref name="leaderEpoch"/> (a new epoch starts with a divergence check).</summary>
    public void Add(Partition partition, int leaderEpoch)
    {
        lock (_lock)
        {
            _partitions[partition.TopicPartition] = partition;
            if (_states.Add(partition.TopicPartition, leaderEpoch, partition.LogEndOffset))
            {
                WakeLocked();
            }
        }
    }

    /// <summary>Stops following <paramref name="partition"/>; a fetch in flight for it is discarded. Returns the partitions left.</summary>
    public int Remove(TopicPartition partition)
    {
        lock (_lock)
        {
            _partitions.Remove(partition);
            _states.Remove(partition);
            return _states.Count;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (_failures > 0)
        {
            LogFetchAbandoned(_logger, LeaderId, _failures, OutageSeconds());
        }

        _stopping.Dispose();
    }

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Unreachable leader, timed-out or failed request, undecodable answer: every partition waits a backoff.
                // One warning per outage; the attempts after it (one per backoff) go to Debug.
                if (_failures++ == 0)
                {
                    _firstFailureMs = NowMs;
                    LogFetchFailed(_logger, LeaderId, e.Message, (long)_options.Backoff.TotalMilliseconds);
                }
                else
                {
                    LogFetchFailedAgain(_logger, LeaderId, _failures, e.Message);
                }

                DelayAll();
            }
        }
    }

    private async Task RunOnceAsync(CancellationToken stopping)
    {
        long now = NowMs;
        bool ready;
        lock (_lock)
        {
            ready = _states.Ready(FetchPhase.Truncating, now).Count > 0 || _states.Ready(FetchPhase.Fetching, now).Count > 0;
        }

        if (!ready)
        {
            await WaitForWorkAsync(stopping).ConfigureAwait(false);
            return;
        }

        var channel = await _channels.ConnectAsync(LeaderId, stopping).ConfigureAwait(false);
        short version = channel.NegotiatedVersion(ApiKey.Fetch, MaxFetchVersion);
        if (version < MinFetchVersion)
        {
            throw new KafkaClientException(ErrorCode.UnsupportedVersion, $"broker {LeaderId} does not serve Fetch v{MinFetchVersion} or later");
        }

        bool divergenceInFetch = version >= DivergingEpochFetchVersion;
        await TruncateAsync(channel, divergenceInFetch, stopping).ConfigureAwait(false);
        var (request, sent) = BuildFetch(version);
        if (request is null)
        {
            await WaitForWorkAsync(stopping).ConfigureAwait(false);
            return;
        }

        PooledResponse<FetchResponse> fetched;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping))
        {
            timeout.CancelAfter(_options.RequestTimeout);
            fetched = await channel.SendPooledAsync<FetchResponse>(request, version, timeout.Token).ConfigureAwait(false);
        }

        List<(Partition Partition, long LastOffset)> appended;
        List<(TopicPartition, PartitionFetchState)>? outOfRange;

        // The records are written to the logs by Process; the response's buffer goes back to the pool right after.
        using (fetched)
        {
            var response = fetched.Response;
            if (response.ErrorCode != 0)
            {
                throw new KafkaClientException((ErrorCode)response.ErrorCode, $"Fetch to broker {LeaderId} failed with {(ErrorCode)response.ErrorCode}");
            }

            if (_failures > 0)
            {
                LogFetchRecovered(_logger, LeaderId, _failures, OutageSeconds());
                _failures = 0;
            }

            (appended, outOfRange) = Process(response, sent, version, divergenceInFetch);
        }

        if (outOfRange is not null)
        {
            await HandleOutOfRangeAsync(channel, outOfRange, stopping).ConfigureAwait(false);
        }

        // The next fetch offset acknowledges the data to the leader: it must be on disk first.
        foreach (var (partition, lastOffset) in appended)
        {
            try
            {
                await partition.Log.WaitForDurabilityAsync(lastOffset, stopping).ConfigureAwait(false);
            }
            catch (Exception e) when (e is StorageException or ObjectDisposedException)
            {
                // Truncated or closed meanwhile: the fetch state was reset with it.
            }
        }
    }

    /// <summary>
    /// Partitions starting a leader epoch: with divergence detection in Fetch they simply start fetching with their
    /// latest epoch as last_fetched_epoch; a log without epochs truncates to its high watermark; otherwise the leader
    /// is asked OffsetForLeaderEpoch and the log truncated where they part.
    /// </summary>
    private async Task TruncateAsync(IReplicaChannel channel, bool divergenceInFetch, CancellationToken stopping)
    {
        var ask = new List<(TopicPartition Partition, PartitionFetchState State, int Epoch)>();
        lock (_lock)
        {
            foreach (var (tp, state) in _states.Ready(FetchPhase.Truncating, NowMs))
            {
                var partition = _partitions[tp];
                if (partition.Log.LeaderEpochs.LatestEpoch is not { } latest)
                {
                    TruncateLocked(tp, partition, state, new TruncationPoint(Math.Min(partition.HighWatermark, partition.LogEndOffset), true), "its log has no leader epoch");
                }
                else if (divergenceInFetch)
                {
                    _states.Truncated(tp, partition.LogEndOffset, latest, completed: true);
                }
                else
                {
                    ask.Add((tp, state, latest));
                }
            }
        }

        if (ask.Count == 0)
        {
            return;
        }

        short version = channel.NegotiatedVersion(ApiKey.OffsetForLeaderEpoch, MaxOffsetForLeaderEpochVersion);
        if (version < 2)
        {
            throw new KafkaClientException(ErrorCode.UnsupportedVersion, $"broker {LeaderId} does not serve OffsetForLeaderEpoch v2 or later");
        }

        var request = new OffsetForLeaderEpochRequest { ReplicaId = version >= 3 ? _localBrokerId : -2 };
        var sent = new Dictionary<(string, int), (TopicPartition, PartitionFetchState)>();
        foreach (var (tp, state, epoch) in ask)
        {
            var topic = request.Topics.Find(t => t.Topic == tp.Topic);
            if (topic is null)
            {
                topic = new OffsetForLeaderEpochRequest.OffsetForLeaderTopic { Topic = tp.Topic };
                request.Topics.Add(topic);
            }

            topic.Partitions.Add(new OffsetForLeaderEpochRequest.OffsetForLeaderPartition { Partition = tp.Partition, CurrentLeaderEpoch = state.CurrentLeaderEpoch, LeaderEpoch = epoch });
            sent[(tp.Topic, tp.Partition)] = (tp, state);
        }

        OffsetForLeaderEpochResponse response;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping))
        {
            timeout.CancelAfter(_options.RequestTimeout);
            response = await channel.SendAsync<OffsetForLeaderEpochResponse>(request, version, timeout.Token).ConfigureAwait(false);
        }

        lock (_lock)
        {
            long now = NowMs;
            foreach (var topic in response.Topics)
            {
                foreach (var answer in topic.Partitions)
                {
                    if (!sent.TryGetValue((topic.Topic, answer.Partition), out var entry) || !_states.Matches(entry.Item1, entry.Item2)
                        || !_partitions.TryGetValue(entry.Item1, out var partition))
                    {
                        continue;
                    }

                    var error = (ErrorCode)answer.ErrorCode;
                    if (error != ErrorCode.None)
                    {
                        LogPartitionError(_logger, entry.Item1.ToString(), LeaderId, error);
                        _states.Delay(entry.Item1, now, now + (long)_options.Backoff.TotalMilliseconds);
                        continue;
                    }

                    var point = TruncationPlanner.Plan(answer.LeaderEpoch, answer.EndOffset, partition.LogEndOffset, partition.HighWatermark, partition.EndOffsetForEpoch);
                    TruncateLocked(entry.Item1, partition, entry.Item2, point, $"the leader's epoch {answer.LeaderEpoch} ends at {answer.EndOffset}");
                }
            }
        }
    }

    private (FetchRequest? Request, Dictionary<(Guid, string, int), (TopicPartition, PartitionFetchState)> Sent) BuildFetch(short version)
    {
        var sent = new Dictionary<(Guid, string, int), (TopicPartition, PartitionFetchState)>();
        lock (_lock)
        {
            var ready = _states.Ready(FetchPhase.Fetching, NowMs);
            if (ready.Count == 0)
            {
                return (null, sent);
            }

            var request = new FetchRequest
            {
                MaxWaitMs = _options.MaxWaitMs,
                MinBytes = _options.MinBytes,
                MaxBytes = _options.ResponseMaxBytes,
                IsolationLevel = 0,
                SessionId = 0,
                SessionEpoch = -1,
            };
            if (version >= 15)
            {
                request.ReplicaState = new FetchRequest.ReplicaStateData { ReplicaId = _localBrokerId, ReplicaEpoch = _brokerEpoch() };
            }
            else
            {
                request.ReplicaId = _localBrokerId;
            }

            var topics = new Dictionary<TopicPartitionTopic, FetchRequest.FetchTopic>();
            foreach (var (tp, state) in ready)
            {
                var partition = _partitions[tp];
                var key = version >= 13 ? new TopicPartitionTopic(partition.TopicId, "") : new TopicPartitionTopic(Guid.Empty, tp.Topic);
                if (!topics.TryGetValue(key, out var topic))
                {
                    topic = version >= 13 ? new FetchRequest.FetchTopic { TopicId = partition.TopicId } : new FetchRequest.FetchTopic { Topic = tp.Topic };
                    topics[key] = topic;
                    request.Topics.Add(topic);
                }

                topic.Partitions.Add(new FetchRequest.FetchPartition
                {
                    Partition = tp.Partition,
                    CurrentLeaderEpoch = state.CurrentLeaderEpoch,
                    FetchOffset = state.FetchOffset,
                    LastFetchedEpoch = version >= DivergingEpochFetchVersion ? state.LastFetchedEpoch : -1,
                    LogStartOffset = partition.LogStartOffset,
                    PartitionMaxBytes = _options.PartitionMaxBytes,
                });
                sent[(key.TopicId, key.Name, tp.Partition)] = (tp, state);
            }

            return (request, sent);
        }
    }

    private (List<(Partition Partition, long LastOffset)> Appended, List<(TopicPartition, PartitionFetchState)>? OutOfRange) Process(
        FetchResponse response, Dictionary<(Guid, string, int), (TopicPartition, PartitionFetchState)> sent, short version, bool divergenceInFetch)
    {
        var appended = new List<(Partition, long)>();
        List<(TopicPartition, PartitionFetchState)>? outOfRange = null;
        lock (_lock)
        {
            long now = NowMs;
            foreach (var topic in response.Responses)
            {
                foreach (var data in topic.Partitions)
                {
                    var key = version >= 13 ? (topic.TopicId, "", data.PartitionIndex) : (Guid.Empty, topic.Topic, data.PartitionIndex);
                    if (!sent.TryGetValue(key, out var entry) || !_states.Matches(entry.Item1, entry.Item2)
                        || !_partitions.TryGetValue(entry.Item1, out var partition))
                    {
                        // Removed, re-added or truncated while the fetch was in flight.
                        continue;
                    }

                    var (tp, state) = entry;
                    var error = (ErrorCode)data.ErrorCode;
                    if (error == ErrorCode.None)
                    {
                        ProcessDataLocked(tp, partition, state, data, divergenceInFetch, appended, now);
                    }
                    else if (error == ErrorCode.OffsetOutOfRange)
                    {
                        (outOfRange ??= []).Add((tp, state));
                    }
                    else
                    {
                        // FENCED_LEADER_EPOCH (the image will bring the new epoch), UNKNOWN_LEADER_EPOCH (the leader has not
                        // caught up with it yet), NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_*: retry after the backoff.
                        LogPartitionError(_logger, tp.ToString(), LeaderId, error);
                        _states.Delay(tp, now, now + (long)_options.Backoff.TotalMilliseconds);
                    }
                }
            }
        }

        return (appended, outOfRange);
    }

    private void ProcessDataLocked(
        TopicPartition tp, Partition partition, PartitionFetchState state, FetchResponse.PartitionData data, bool divergenceInFetch, List<(Partition, long)> appended, long now)
    {
        try
        {
            var records = data.Records ?? ReadOnlyMemory<byte>.Empty;
            if (records.Length > 0)
            {
                var result = partition.AppendAsFollower(records, state.CurrentLeaderEpoch);
                appended.Add((partition, result.LastOffset));
                _states.Advance(tp, result.LastOffset + 1, partition.Log.LeaderEpochs.LatestEpoch ?? -1);
            }

            partition.UpdateFollowerHighWatermark(data.HighWatermark, data.LogStartOffset, state.CurrentLeaderEpoch);
            if (divergenceInFetch && data.DivergingEpoch.Epoch >= 0)
            {
                var point = TruncationPlanner.Plan(data.DivergingEpoch.Epoch, data.DivergingEpoch.EndOffset, partition.LogEndOffset, partition.HighWatermark, partition.EndOffsetForEpoch);
                TruncateLocked(tp, partition, state, point with { Completed = true }, $"the leader's epoch {data.DivergingEpoch.Epoch} ends at {data.DivergingEpoch.EndOffset}");
            }
        }
        catch (PartitionException)
        {
            // This broker stopped following in that epoch; the manager moves or drops the partition.
            _states.Delay(tp, now, now + (long)_options.Backoff.TotalMilliseconds);
        }
        catch (StorageException e)
        {
            LogAppendFailed(_logger, e, tp.ToString(), LeaderId, state.FetchOffset);
            _states.Delay(tp, now, now + (long)_options.Backoff.TotalMilliseconds);
        }
    }

    /// <summary>
    /// Kafka's fetchOffsetAndTruncate: the leader's log end is below ours (only after an unclean election) — truncate to
    /// it; its log start is beyond our end (we were away while it deleted old segments) — restart the log there;
    /// otherwise fetch on from our end.
    /// </summary>
    private async Task HandleOutOfRangeAsync(IReplicaChannel channel, List<(TopicPartition, PartitionFetchState)> partitions, CancellationToken stopping)
    {
        short version = channel.NegotiatedVersion(ApiKey.ListOffsets, MaxListOffsetsVersion);
        foreach (var (tp, state) in partitions)
        {
            Partition? partition;
            lock (_lock)
            {
                if (!_states.Matches(tp, state) || !_partitions.TryGetValue(tp, out partition))
                {
                    continue;
                }
            }

            var (endError, leaderEnd) = await ListOffsetAsync(channel, version, tp, state.CurrentLeaderEpoch, LatestTimestamp, stopping).ConfigureAwait(false);
            var (startError, leaderStart) = endError == ErrorCode.None
                ? await ListOffsetAsync(channel, version, tp, state.CurrentLeaderEpoch, EarliestTimestamp, stopping).ConfigureAwait(false)
                : (endError, -1L);
            lock (_lock)
            {
                long now = NowMs;
                if (!_states.Matches(tp, state))
                {
                    continue;
                }

                if (startError != ErrorCode.None)
                {
                    LogPartitionError(_logger, tp.ToString(), LeaderId, startError);
                    _states.Delay(tp, now, now + (long)_options.Backoff.TotalMilliseconds);
                    continue;
                }

                try
                {
                    long logEnd = partition.LogEndOffset;
                    if (leaderEnd < logEnd)
                    {
                        TruncateLocked(tp, partition, state, new TruncationPoint(leaderEnd, true), $"the leader's log ends at {leaderEnd}");
                    }
                    else if (leaderStart > logEnd)
                    {
                        partition.TruncateFullyAsFollower(leaderStart, state.CurrentLeaderEpoch);
                        LogRestarted(_logger, tp.ToString(), leaderStart, LeaderId);
                        _states.Truncated(tp, leaderStart, -1, completed: true);
                    }
                    else
                    {
                        _states.Truncated(tp, logEnd, partition.Log.LeaderEpochs.LatestEpoch ?? -1, completed: true);
                    }
                }
                catch (Exception e) when (e is PartitionException or StorageException)
                {
                    LogAppendFailed(_logger, e, tp.ToString(), LeaderId, state.FetchOffset);
                    _states.Delay(tp, now, now + (long)_options.Backoff.TotalMilliseconds);
                }
            }
        }
    }

    private async Task<(ErrorCode Error, long Offset)> ListOffsetAsync(IReplicaChannel channel, short version, TopicPartition tp, int leaderEpoch, long timestamp, CancellationToken stopping)
    {
        if (version < 1)
        {
            return (ErrorCode.UnsupportedVersion, -1);
        }

        var request = new ListOffsetsRequest { ReplicaId = _localBrokerId };
        request.Topics.Add(new ListOffsetsRequest.ListOffsetsTopic
        {
            Name = tp.Topic,
            Partitions = [new ListOffsetsRequest.ListOffsetsPartition { PartitionIndex = tp.Partition, CurrentLeaderEpoch = version >= 4 ? leaderEpoch : -1, Timestamp = timestamp }],
        });
        ListOffsetsResponse response;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping))
        {
            timeout.CancelAfter(_options.RequestTimeout);
            response = await channel.SendAsync<ListOffsetsResponse>(request, version, timeout.Token).ConfigureAwait(false);
        }

        foreach (var topic in response.Topics)
        {
            foreach (var answer in topic.Partitions)
            {
                if (topic.Name == tp.Topic && answer.PartitionIndex == tp.Partition)
                {
                    return ((ErrorCode)answer.ErrorCode, answer.Offset);
                }
            }
        }

        return (ErrorCode.UnknownTopicOrPartition, -1);
    }

    /// <summary>Truncates to <paramref name="point"/> (if below the log end) and sets the fetch state. Under the lock.</summary>
    private void TruncateLocked(TopicPartition tp, Partition partition, PartitionFetchState state, TruncationPoint point, string reason)
    {
        long now = NowMs;
        try
        {
            long logEnd = partition.LogEndOffset;
            if (point.Offset < logEnd)
            {
                long highWatermark = partition.HighWatermark;
                partition.TruncateAsFollower(point.Offset, state.CurrentLeaderEpoch);
                LogTruncated(_logger, tp.ToString(), logEnd, point.Offset, highWatermark, LeaderId, reason);
            }

            _states.Truncated(tp, partition.LogEndOffset, partition.Log.LeaderEpochs.LatestEpoch ?? -1, point.Completed);
        }
        catch (Exception e) when (e is PartitionException or StorageException)
        {
            LogAppendFailed(_logger, e, tp.ToString(), LeaderId, state.FetchOffset);
            _states.Delay(tp, now, now + (long)_options.Backoff.TotalMilliseconds);
        }
    }

    private double OutageSeconds() => Math.Round((NowMs - _firstFailureMs) / 1000.0, 1);

    private void DelayAll()
    {
        lock (_lock)
        {
            long now = NowMs;
            foreach (var tp in _states.Partitions.ToList())
            {
                _states.Delay(tp, now, now + (long)_options.Backoff.TotalMilliseconds);
            }
        }
    }

    /// <summary>Waits until a partition is added or a delayed one becomes ready.</summary>
    private async Task WaitForWorkAsync(CancellationToken stopping)
    {
        Task wake;
        TimeSpan delay;
        lock (_lock)
        {
            long now = NowMs;
            if (_states.Ready(FetchPhase.Truncating, now).Count > 0 || _states.Ready(FetchPhase.Fetching, now).Count > 0)
            {
                return;
            }

            wake = (_wake ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            delay = _states.NextReadyTimeMs(now) is { } next ? TimeSpan.FromMilliseconds(Math.Max(1, next - now)) : Timeout.InfiniteTimeSpan;
        }

        using var timer = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var sleep = Task.Delay(delay, _time, timer.Token);
        await Task.WhenAny(wake, sleep).ConfigureAwait(false);
        await timer.CancelAsync().ConfigureAwait(false);
        stopping.ThrowIfCancellationRequested();
    }

    private void WakeLocked()
    {
        var wake = _wake;
        _wake = null;
        wake?.TrySetResult();
    }

    /// <summary>How a fetch names a topic: by id (Fetch v13+) or by name.</summary>
    private readonly record struct TopicPartitionTopic(Guid TopicId, string Name);

    [LoggerMessage(1, LogLevel.Warning, "Fetching from broker {Leader} failed: {Reason}; retrying every {BackoffMs} ms until it answers (further failures are logged at Debug)")]
    private static partial void LogFetchFailed(ILogger logger, int leader, string reason, long backoffMs);

    [LoggerMessage(2, LogLevel.Debug, "Partition {Partition}: broker {Leader} answered {Error}; retrying after the backoff")]
    private static partial void LogPartitionError(ILogger logger, string partition, int leader, ErrorCode error);

    [LoggerMessage(3, LogLevel.Information, "Partition {Partition}: truncated the log from {LogEnd} to {Offset} (high watermark {HighWatermark}) to follow broker {Leader}: {Reason}")]
    private static partial void LogTruncated(ILogger logger, string partition, long logEnd, long offset, long highWatermark, int leader, string reason);

    [LoggerMessage(4, LogLevel.Warning, "Partition {Partition}: the log restarted at the leader's log start {Offset} (broker {Leader}): it was too far behind")]
    private static partial void LogRestarted(ILogger logger, string partition, long offset, int leader);

    [LoggerMessage(5, LogLevel.Warning, "Partition {Partition}: applying data from broker {Leader} at offset {Offset} failed")]
    private static partial void LogAppendFailed(ILogger logger, Exception exception, string partition, int leader, long offset);

    [LoggerMessage(6, LogLevel.Debug, "Fetching from broker {Leader} failed again ({Failures} failed attempts in a row): {Reason}")]
    private static partial void LogFetchFailedAgain(ILogger logger, int leader, int failures, string reason);

    [LoggerMessage(7, LogLevel.Information, "Fetching from broker {Leader} again after {Failures} failed attempts over {Seconds} s")]
    private static partial void LogFetchRecovered(ILogger logger, int leader, int failures, double seconds);

    [LoggerMessage(8, LogLevel.Information, "Stopped fetching from broker {Leader} after {Failures} failed attempts over {Seconds} s (no partition follows it here any more, or this broker is stopping)")]
    private static partial void LogFetchAbandoned(ILogger logger, int leader, int failures, double seconds);
}
