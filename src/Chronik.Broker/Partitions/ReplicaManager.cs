using System.Collections.Concurrent;
using Chronik.Broker.Configs;
using Chronik.Broker.Replication;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Wire;
using Chronik.Storage;
using Microsoft.Extensions.Logging;

namespace Chronik.Broker.Partitions;

/// <summary>
/// The partitions this broker hosts (Kafka's ReplicaManager). It owns the <see cref="LogManager"/> of
/// data-dir/logs and follows the metadata image: every partition whose replicas include this broker gets its log
/// (opened or created with the topic's effective configs) and a <see cref="Partition"/> that is leader or
/// follower as the image says; a partition that leaves the image (topic deleted, replica moved away) is closed
/// and its log deleted; config changes reach the open logs.
/// <para>
/// Images are applied in order under one lock, from the broker's image watcher and — when a request names a
/// partition the image already has but this manager has not applied yet (a topic Metadata just auto-created) —
/// from the request thread, so a client never sees a partition the image has as unknown.
/// Logs found on disk that the image does not know are deleted only after <see cref="MarkMetadataCaughtUp"/>
/// (this broker registered, so its image is current): an image still replaying must not delete anything.
/// </para>
/// <para>
/// Replication (when given a way to reach other brokers): the partitions this broker follows are fetched by the
/// <see cref="ReplicaFetcherManager"/>, which follows every role or leader-epoch change; leaders send ISR changes
/// through the <see cref="AlterPartitionManager"/>; every replica.lag.time.max.ms / 2 each led partition checks for
/// followers to drop from its ISR (Kafka's isr-expiration task).
/// </para>
/// </summary>
public sealed partial class ReplicaManager : IDisposable
{
    private readonly ConcurrentDictionary<TopicPartition, Partition> _partitions = new();
    private readonly object _applyLock = new();
    private readonly ReplicaManagerOptions _options;
    private readonly Func<MetadataImage> _currentImage;
    private readonly TimeProvider _time;
    private readonly ILogger<ReplicaManager> _logger;
    private readonly TopicConfigResolver _resolver;
    private readonly ReplicationServices _replication;
    private readonly AlterPartitionManager? _alterPartitions;
    private readonly ReplicaFetcherManager? _fetchers;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _isrExpiration;
    private MetadataImage _applied = MetadataImage.Empty;
    private LogManager? _logs;
    private bool _caughtUp;
    private bool _closed;

    /// <param name="currentImage">The latest metadata image (the quorum's), consulted when a request outruns the watcher.</param>
    public ReplicaManager(ReplicaManagerOptions options, Func<MetadataImage> currentImage, ILoggerFactory loggerFactory, TimeProvider? time = null)
    {
        _options = options;
        _currentImage = currentImage;
        _time = time ?? TimeProvider.System;
        _logger = loggerFactory.CreateLogger<ReplicaManager>();
        _resolver = new TopicConfigResolver(options.Configs, options.NodeId);
        var fetcher = options.Fetcher with { PartitionMaxBytes = options.Configs.GetInt32(BrokerConfigCatalog.ReplicaFetchMaxBytes) };
        if (options.Controller is { } controller)
        {
            _alterPartitions = new AlterPartitionManager(options.NodeId, controller, BrokerEpoch, fetcher, loggerFactory.CreateLogger<AlterPartitionManager>(), _time);
        }

        if (options.LeaderChannels is { } channels)
        {
            _fetchers = new ReplicaFetcherManager(options.NodeId, channels, fetcher, BrokerEpoch, loggerFactory, _time);
        }

        _replication = new ReplicationServices(IsIsrEligible, _alterPartitions, options.Configs.GetInt64(BrokerConfigCatalog.ReplicaLagTimeMaxMs));
    }

    public int NodeId => _options.NodeId;

    /// <summary>The log manager (after <see cref="Start"/>).</summary>
    public LogManager Logs => _logs ?? throw new InvalidOperationException("the replica manager is not started");

    public bool IsStarted => _logs is not null;

    /// <summary>The image last applied.</summary>
    public MetadataImage AppliedImage => Volatile.Read(ref _applied);

    /// <summary>A snapshot of the hosted partitions.</summary>
    public IReadOnlyCollection<Partition> Partitions => [.. _partitions.Values];

    public TopicConfigResolver ConfigResolver => _resolver;

    /// <summary>The replica fetchers (null when this broker cannot reach other brokers).</summary>
    public ReplicaFetcherManager? Fetchers => _fetchers;

    /// <summary>Where leaders' ISR changes go (null when this broker cannot reach a controller).</summary>
    public AlterPartitionManager? AlterPartitions => _alterPartitions;

    /// <summary>replica.lag.time.max.ms.</summary>
    public long ReplicaLagTimeMaxMs => _replication.ReplicaLagTimeMaxMs;

    /// <summary>
    /// Raised (under the apply lock, in image order) when a partition is created here or its role, leader epoch or
    /// ISR changed — the coordinators load or unload their state on it. Handlers must be quick.
    /// </summary>
    public event Action<Partition>? PartitionChanged;

    /// <summary>Raised when a partition left this broker (its log is being deleted).</summary>
    public event Action<Partition>? PartitionRemoved;

    /// <summary>
    /// Opens data-dir/logs: recovers every log after a crash (before this returns, so nothing is served from an
    /// unrecovered log) and starts the flusher, checkpoints, retention and the cleaner.
    /// </summary>
    public void Start()
    {
        lock (_applyLock)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            if (_logs is not null)
            {
                return;
            }

            var defaults = _resolver.ResolveDefaults();
            var storage = new LogManagerOptions
            {
                DataDirectory = _options.DataDirectory,
                DefaultConfig = defaults.Log,
                ConfigFor = ConfigForExistingLog,
                RetentionCheckInterval = TimeSpan.FromMilliseconds(_options.Configs.GetInt64(BrokerConfigCatalog.LogRetentionCheckIntervalMs)),
                ProducerIdExpirationMs = _options.Configs.GetInt32(BrokerConfigCatalog.ProducerIdExpirationMs),
                Time = _time,
            };
            var logs = LogManager.Open(_options.ConfigureStorage?.Invoke(storage) ?? storage);
            _logs = logs;
            var report = logs.Recovery;
            LogOpened(_logger, report.Partitions, logs.LogsDirectory, report.CleanShutdown, report.SegmentsRecovered, report.BytesTruncated, report.Elapsed.TotalMilliseconds);
            if (_alterPartitions is not null)
            {
                _alterPartitions.Start();
                _isrExpiration = RunIsrExpirationAsync(_stopping.Token);
            }
        }
    }

    /// <summary>
    /// Brings the hosted partitions in line with <paramref name="image"/>: creates, updates (role, epoch, ISR,
    /// configs) and removes partitions. Images older than the one applied are ignored.
    /// </summary>
    public void ApplyImage(MetadataImage image)
    {
        lock (_applyLock)
        {
            var previous = _applied;
            if (_logs is null || _closed || ReferenceEquals(previous, image) || image.Version < previous.Version)
            {
                return;
            }

            bool brokerConfigsChanged =
                !ReferenceEquals(previous.GetConfigs(ConfigResource.ClusterDefault), image.GetConfigs(ConfigResource.ClusterDefault))
                || !ReferenceEquals(previous.GetConfigs(ConfigResource.ForBroker(NodeId)), image.GetConfigs(ConfigResource.ForBroker(NodeId)));
            foreach (var topic in image.Topics.Values)
            {
                bool unchanged = !brokerConfigsChanged
                    && previous.Topics.TryGetValue(topic.TopicId, out var before) && ReferenceEquals(before, topic)
                    && ReferenceEquals(previous.GetConfigs(ConfigResource.ForTopic(topic.Name)), image.GetConfigs(ConfigResource.ForTopic(topic.Name)));
                if (!unchanged)
                {
                    ApplyTopic(image, topic);
                }
            }

            foreach (var (tp, partition) in _partitions)
            {
                var topic = image.GetTopic(tp.Topic);
                var registration = topic?.GetPartition(tp.Partition);
                if (topic is null || topic.TopicId != partition.TopicId || registration is null || !registration.Replicas.Contains(NodeId))
                {
                    RemovePartition(partition, topic is null ? "its topic was deleted" : "it is no longer assigned to this broker");
                }
            }

            Volatile.Write(ref _applied, image);
            if (_caughtUp)
            {
                DeleteStrayLogs();
            }
        }
    }

    /// <summary>
    /// This broker's image is current (it registered with the controller): from now on logs on disk that the image
    /// does not assign here are deleted (Kafka's stray partitions).
    /// </summary>
    public void MarkMetadataCaughtUp()
    {
        lock (_applyLock)
        {
            _caughtUp = true;
            if (_logs is not null && !_closed)
            {
                DeleteStrayLogs();
            }
        }
    }

    /// <summary>The hosted partition, or null.</summary>
    public Partition? GetPartition(TopicPartition topicPartition) =>
        _partitions.TryGetValue(topicPartition, out var partition) && !partition.IsDeleted ? partition : null;

    /// <summary>
    /// The hosted partition <paramref name="topic"/>-<paramref name="partition"/>, or null with the error Kafka gives:
    /// UNKNOWN_TOPIC_OR_PARTITION when the image has no such partition, NOT_LEADER_OR_FOLLOWER when it is not
    /// hosted here. Leadership is the caller's check (<see cref="Partition.CheckLeader"/>).
    /// </summary>
    public Partition? GetPartition(string topic, int partition, out ErrorCode error)
    {
        var tp = new TopicPartition(topic, partition);
        if (GetPartition(tp) is { } hosted)
        {
            error = ErrorCode.None;
            return hosted;
        }

        var image = CatchUp();
        if (GetPartition(tp) is { } caughtUp)
        {
            error = ErrorCode.None;
            return caughtUp;
        }

        error = image.GetPartition(topic, partition) is null ? ErrorCode.UnknownTopicOrPartition : ErrorCode.NotLeaderOrFollower;
        return null;
    }

    /// <summary>As <see cref="GetPartition(string, int, out ErrorCode)"/> by topic id (Fetch v13+): UNKNOWN_TOPIC_ID for an unknown id.</summary>
    public Partition? GetPartition(Guid topicId, int partition, out ErrorCode error)
    {
        var topic = AppliedImage.GetTopic(topicId) ?? CatchUp().GetTopic(topicId);
        if (topic is null)
        {
            error = ErrorCode.UnknownTopicId;
            return null;
        }

        var found = GetPartition(topic.Name, partition, out error);
        if (found is not null && found.TopicId != topicId)
        {
            error = ErrorCode.UnknownTopicId;
            return null;
        }

        return found;
    }

    /// <summary>The name of the topic with id <paramref name="topicId"/>, or null.</summary>
    public string? TopicName(Guid topicId) => (AppliedImage.GetTopic(topicId) ?? CatchUp().GetTopic(topicId))?.Name;

    /// <summary>The id of <paramref name="topic"/>, or null.</summary>
    public Guid? TopicId(string topic) => (AppliedImage.GetTopic(topic) ?? CatchUp().GetTopic(topic))?.TopicId;

    /// <summary>
    /// Clean shutdown: stops the replica fetchers and ISR changes, then fsyncs and closes every log and writes the
    /// checkpoints (the next start scans nothing).
    /// </summary>
    public void Shutdown()
    {
        LogManager? logs;
        lock (_applyLock)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            logs = _logs;
        }

        StopReplication();
        logs?.Dispose();
        if (logs is not null)
        {
            LogClosed(_logger, logs.LogsDirectory);
        }
    }

    public void Dispose() => Shutdown();

    /// <summary>This broker's registered epoch as the image knows it, -1 before it registered.</summary>
    private long BrokerEpoch() => _currentImage().GetBroker(NodeId)?.BrokerEpoch ?? -1;

    /// <summary>
    /// Kafka's isReplicaIsrEligible: a broker may join the ISR when it is registered and unfenced and its fetches carry
    /// its current broker epoch (or -1, from Fetch before v15).
    /// </summary>
    private bool IsIsrEligible(int brokerId, long? fetchBrokerEpoch) =>
        fetchBrokerEpoch is { } epoch
        && _currentImage().GetBroker(brokerId) is { Fenced: false } broker
        && (epoch == -1 || epoch == broker.BrokerEpoch);

    /// <summary>Kafka's isr-expiration task: every replica.lag.time.max.ms / 2, each led partition drops followers that fell behind.</summary>
    private async Task RunIsrExpirationAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Max(1, _replication.ReplicaLagTimeMaxMs / 2)), _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                foreach (var partition in _partitions.Values)
                {
                    if (partition.IsLeader)
                    {
                        partition.MaybeShrinkIsr();
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private void StopReplication()
    {
        _stopping.Cancel();
        var stops = new List<Task>();
        if (_isrExpiration is not null)
        {
            stops.Add(_isrExpiration);
        }

        if (_fetchers is not null)
        {
            stops.Add(_fetchers.DisposeAsync().AsTask());
        }

        if (_alterPartitions is not null)
        {
            stops.Add(_alterPartitions.DisposeAsync().AsTask());
        }

        // Fetchers may be in an append; they stop at their next await. Bounded: shutdown must not hang on a peer.
        if (!Task.WhenAll(stops).Wait(ReplicationStopTimeout))
        {
            LogReplicationStopSlow(_logger, ReplicationStopTimeout.TotalSeconds);
        }

        if (_options.LeaderChannels is { } channels && !channels.DisposeAsync().AsTask().Wait(ReplicationStopTimeout))
        {
            LogReplicationStopSlow(_logger, ReplicationStopTimeout.TotalSeconds);
        }

        _stopping.Dispose();
    }

    private static readonly TimeSpan ReplicationStopTimeout = TimeSpan.FromSeconds(10);

    private MetadataImage CatchUp()
    {
        var current = _currentImage();
        var applied = AppliedImage;
        if (!ReferenceEquals(current, applied) && current.Version >= applied.Version)
        {
            ApplyImage(current);
        }

        return AppliedImage;
    }

    private LogConfig ConfigForExistingLog(TopicPartition topicPartition)
    {
        try
        {
            return _resolver.Resolve(_currentImage(), topicPartition.Topic).Log;
        }
        catch (LogConfigException e)
        {
            LogBadTopicConfig(_logger, e, topicPartition.Topic);
            return _resolver.ResolveDefaults().Log;
        }
    }

    private void ApplyTopic(MetadataImage image, TopicImage topic)
    {
        TopicSettings settings;
        try
        {
            settings = _resolver.Resolve(image, topic.Name);
        }
        catch (LogConfigException e)
        {
            // The controller validates configs; a bad value here means an older image: keep serving with the defaults.
            LogBadTopicConfig(_logger, e, topic.Name);
            settings = _resolver.ResolveDefaults();
        }

        foreach (var registration in topic.Partitions.Values)
        {
            if (!registration.Replicas.Contains(NodeId))
            {
                continue;
            }

            try
            {
                EnsurePartition(topic, registration, settings);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or StorageException or ArgumentException)
            {
                // One partition that cannot be opened must not keep the rest of the image from being applied.
                LogPartitionFailed(_logger, e, topic.Name, registration.Partition);
            }
        }
    }

    private void EnsurePartition(TopicImage topic, PartitionRegistration registration, TopicSettings settings)
    {
        var tp = new TopicPartition(topic.Name, registration.Partition);
        if (_partitions.TryGetValue(tp, out var existing))
        {
            if (existing.TopicId == topic.TopicId)
            {
                var (role, epoch) = (existing.Role, existing.LeaderEpoch);
                if (existing.Update(registration, settings))
                {
                    if (role != existing.Role || epoch != existing.LeaderEpoch)
                    {
                        LogRole(_logger, tp.ToString(), existing.Role, existing.LeaderEpoch);
                    }

                    _fetchers?.Follow(existing);
                    PartitionChanged?.Invoke(existing);
                }

                return;
            }

            RemovePartition(existing, "its topic was recreated with a new id");
        }

        var logs = Logs;
        if (logs.GetLog(tp) is { } found && PartitionMetadataFile.Read(found.Directory) is { } recorded && recorded != topic.TopicId)
        {
            // A log of an earlier topic with this name (deleted while this broker was away).
            logs.DeleteLog(tp);
            LogStaleLogDeleted(_logger, tp.ToString(), recorded, topic.TopicId);
        }

        var log = logs.GetOrCreateLog(tp, settings.Log);
        if (PartitionMetadataFile.Read(log.Directory) != topic.TopicId)
        {
            PartitionMetadataFile.Write(log.Directory, topic.TopicId);
        }

        var partition = new Partition(tp, topic.TopicId, log, NodeId, settings, _time, _replication);
        partition.Update(registration, settings);
        _partitions[tp] = partition;
        LogRole(_logger, tp.ToString(), partition.Role, partition.LeaderEpoch);
        _fetchers?.Follow(partition);
        PartitionChanged?.Invoke(partition);
    }

    private void RemovePartition(Partition partition, string reason)
    {
        if (!_partitions.TryRemove(new KeyValuePair<TopicPartition, Partition>(partition.TopicPartition, partition)))
        {
            return;
        }

        _fetchers?.Unfollow(partition.TopicPartition);
        partition.MarkDeleted();
        try
        {
            Logs.DeleteLog(partition.TopicPartition);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogPartitionFailed(_logger, e, partition.Topic, partition.Index);
        }

        LogRemoved(_logger, partition.TopicPartition.ToString(), reason);
        PartitionRemoved?.Invoke(partition);
    }

    private void DeleteStrayLogs()
    {
        foreach (var log in Logs.Logs)
        {
            if (!_partitions.ContainsKey(log.TopicPartition))
            {
                try
                {
                    Logs.DeleteLog(log.TopicPartition);
                    LogRemoved(_logger, log.TopicPartition.ToString(), "the metadata does not assign it to this broker (stray log)");
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    LogPartitionFailed(_logger, e, log.TopicPartition.Topic, log.TopicPartition.Partition);
                }
            }
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Opened {Count} partition log(s) in {Directory} (clean shutdown: {Clean}, segments recovered: {Recovered}, bytes truncated: {Truncated}) in {Milliseconds:F0} ms")]
    private static partial void LogOpened(ILogger logger, int count, string directory, bool clean, int recovered, long truncated, double milliseconds);

    [LoggerMessage(2, LogLevel.Information, "Closed the partition logs in {Directory}")]
    private static partial void LogClosed(ILogger logger, string directory);

    [LoggerMessage(3, LogLevel.Information, "Partition {Partition}: {Role} in leader epoch {Epoch}")]
    private static partial void LogRole(ILogger logger, string partition, PartitionRole role, int epoch);

    [LoggerMessage(4, LogLevel.Information, "Partition {Partition} removed from this broker: {Reason}")]
    private static partial void LogRemoved(ILogger logger, string partition, string reason);

    [LoggerMessage(5, LogLevel.Warning, "Partition {Partition}: its log belongs to topic id {Recorded}, the topic now has id {Current}; deleted the old log")]
    private static partial void LogStaleLogDeleted(ILogger logger, string partition, Guid recorded, Guid current);

    [LoggerMessage(6, LogLevel.Error, "Topic {Topic} has an invalid config; its partitions use the broker defaults")]
    private static partial void LogBadTopicConfig(ILogger logger, Exception exception, string topic);

    [LoggerMessage(7, LogLevel.Error, "Partition {Topic}-{Partition} could not be opened, created or deleted")]
    private static partial void LogPartitionFailed(ILogger logger, Exception exception, string topic, int partition);

    [LoggerMessage(8, LogLevel.Warning, "Replication did not stop within {Seconds} s; closing the logs anyway")]
    private static partial void LogReplicationStopSlow(ILogger logger, double seconds);
}
