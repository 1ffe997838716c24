using Chronik.Cluster.Metadata;
using Chronik.Cluster.Quorum;
using Chronik.Protocol.Wire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Chronik.Cluster.Controller;

/// <summary>
/// The controller: runs on every node and acts while its node is the Raft leader. Operations are
/// serialized (one decision at a time, as Kafka's single-threaded controller): each reads the current
/// image, decides with the pure decision classes and commits the resulting records through the quorum
/// before the next starts, so every decision sees all earlier ones.
///
/// On gaining leadership it first commits a barrier entry (the cluster id record on a fresh cluster),
/// which guarantees its image holds every entry committed under earlier leaders, and restarts broker
/// sessions. While leader it fences brokers whose sessions expire.
/// </summary>
public sealed class ControllerService : IControllerClient, IAsyncDisposable
{
    private const string UncleanLeaderElectionConfig = "unclean.leader.election.enable";

    private readonly MetadataQuorum _quorum;
    private readonly ControllerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TopicDecisions _topics;
    private readonly ConfigDecisions _configs;
    private readonly BrokerDecisions _brokers;
    private readonly CancellationTokenSource _stopping = new();
    private int _disposed;
    private CancellationToken _readyLeadership = new(true);
    private Task? _livenessLoop;
    private Task? _rebalanceLoop;

    public ControllerService(
        MetadataQuorum quorum,
        ControllerOptions? options = null,
        IConfigValidator? configValidator = null,
        TimeProvider? timeProvider = null,
        Random? random = null,
        ILogger<ControllerService>? logger = null,
        Guid localIncarnation = default)
    {
        _quorum = quorum;
        _options = options ?? new ControllerOptions();
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger<ControllerService>.Instance;
        Random rng = random ?? Random.Shared;
        _topics = new TopicDecisions(_options, new ReplicaPlacer(rng), configValidator ?? AcceptAllConfigValidator.Instance, rng);
        _configs = new ConfigDecisions(configValidator ?? AcceptAllConfigValidator.Instance);
        LocalBroker? local = localIncarnation == Guid.Empty ? null : new LocalBroker(quorum.NodeId, localIncarnation);
        _brokers = new BrokerDecisions(new BrokerHeartbeatTracker(_time, _options.BrokerSessionTimeout), _options, local);
    }

    /// <summary>Starts the broker-session watch and, when enabled, the preferred-leader rebalance. The quorum must be started.</summary>
    public void Start()
    {
        _livenessLoop ??= Task.Run(() => LivenessLoopAsync(_stopping.Token));
        if (_options.AutoLeaderRebalanceEnable)
        {
            _rebalanceLoop ??= Task.Run(() => RebalanceLoopAsync(_stopping.Token));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (Task? loop in (Task?[])[_livenessLoop, _rebalanceLoop])
        {
            if (loop is not null)
            {
                await loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        _stopping.Dispose();
    }

    public Task<IReadOnlyList<CreateTopicResult>> CreateTopicsAsync(IReadOnlyList<CreatableTopic> topics, bool validateOnly, CancellationToken cancellationToken) =>
        RunAsync(
            image => _topics.CreateTopics(image, topics),
            error => topics.Select(t => new CreateTopicResult(t.Name, error)).ToList(),
            validateOnly,
            cancellationToken);

    public Task<IReadOnlyList<DeleteTopicResult>> DeleteTopicsAsync(IReadOnlyList<TopicReference> topics, CancellationToken cancellationToken) =>
        RunAsync(
            image => _topics.DeleteTopics(image, topics),
            error => topics.Select(t => new DeleteTopicResult(t.Name, t.TopicId, error)).ToList(),
            validateOnly: false,
            cancellationToken);

    public Task<IReadOnlyList<CreatePartitionsResult>> CreatePartitionsAsync(IReadOnlyList<CreatePartitionsTopic> topics, bool validateOnly, CancellationToken cancellationToken) =>
        RunAsync(
            image => _topics.CreatePartitions(image, topics),
            error => topics.Select(t => new CreatePartitionsResult(t.Name, error)).ToList(),
            validateOnly,
            cancellationToken);

    public Task<IReadOnlyList<AlterConfigsResult>> AlterConfigsAsync(IReadOnlyList<AlterConfigsResource> resources, bool validateOnly, CancellationToken cancellationToken) =>
        RunAsync(
            image => _configs.AlterConfigs(image, resources),
            error => resources.Select(r => new AlterConfigsResult(r.Resource, error)).ToList(),
            validateOnly,
            cancellationToken);

    public Task<BrokerRegistrationResult> RegisterBrokerAsync(BrokerRegistrationRequest request, CancellationToken cancellationToken) =>
        RunAsync(image => _brokers.Register(image, request), error => new BrokerRegistrationResult(error), validateOnly: false, cancellationToken);

    public Task<BrokerHeartbeatResult> BrokerHeartbeatAsync(BrokerHeartbeatRequest request, CancellationToken cancellationToken) =>
        RunAsync(image => _brokers.Heartbeat(image, request), error => new BrokerHeartbeatResult(error), validateOnly: false, cancellationToken);

    public Task<AlterPartitionResult> AlterPartitionAsync(AlterPartitionRequest request, CancellationToken cancellationToken) =>
        RunAsync(image => AlterPartitionDecisions.Decide(image, request), error => new AlterPartitionResult(error, []), validateOnly: false, cancellationToken);

    public Task<ProducerIdsResult> AllocateProducerIdsAsync(int brokerId, long brokerEpoch, CancellationToken cancellationToken) =>
        RunAsync(image => _brokers.AllocateProducerIds(image, brokerId, brokerEpoch), error => new ProducerIdsResult(error), validateOnly: false, cancellationToken);

    public Task<ElectLeadersOutcome> ElectLeadersAsync(ElectionType type, IReadOnlyList<TopicPartitionRef>? partitions, CancellationToken cancellationToken) =>
        RunAsync(image => LeaderElectionDecisions.Elect(image, type, partitions), error => new ElectLeadersOutcome(error, []), validateOnly: false, cancellationToken);

    public Task<IReadOnlyList<PartitionReassignmentResult>> AlterPartitionReassignmentsAsync(IReadOnlyList<PartitionReassignment> reassignments, CancellationToken cancellationToken) =>
        RunAsync(
            image => ReassignmentDecisions.Alter(image, reassignments, topic => UncleanAllowed(image, topic)),
            error => reassignments.Select(r => new PartitionReassignmentResult(r.Partition, error)).ToList(),
            validateOnly: false,
            cancellationToken);

    public Task<ApiError> UnregisterBrokerAsync(int brokerId, CancellationToken cancellationToken) =>
        RunAsync(image => _brokers.Unregister(image, brokerId), error => error, validateOnly: false, cancellationToken);

    private async Task<T> RunAsync<T>(
        Func<MetadataImage, ControllerResult<T>> decide,
        Func<ApiError, T> failAll,
        bool validateOnly,
        CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!await EnsureLeaderReadyAsync(cancellationToken).ConfigureAwait(false))
            {
                return failAll(NotControllerError());
            }

            ControllerResult<T> result = decide(_quorum.Current);
            if (!validateOnly && result.Records.Length > 0)
            {
                await _quorum.ProposeAsync(result.Records, cancellationToken).ConfigureAwait(false);
            }

            return result.Response;
        }
        catch (NotControllerException)
        {
            return failAll(NotControllerError());
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// True when this node leads and has committed its barrier entry for the current term.
    /// Called under the gate.
    /// </summary>
    private async Task<bool> EnsureLeaderReadyAsync(CancellationToken cancellationToken)
    {
        CancellationToken leadership = _quorum.LeadershipToken;
        if (leadership.IsCancellationRequested)
        {
            return false;
        }

        if (leadership == _readyLeadership)
        {
            return true;
        }

        MetadataRecord[] barrier = _quorum.Current.ClusterId is null ? [new ClusterIdRecord(ClusterIds.New())] : [];
        await _quorum.ProposeAsync(barrier, cancellationToken).ConfigureAwait(false);
        _brokers.Tracker.Reset(_quorum.Current);
        _readyLeadership = leadership;
        _logger.LogInformation("Node {NodeId} is the active controller at metadata version {Version}", _quorum.NodeId, _quorum.Current.Version);
        return true;
    }

    private async Task LivenessLoopAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(_options.LivenessCheckInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                if (!_quorum.IsLeader)
                {
                    continue;
                }

                try
                {
                    await CheckSessionsAsync(stopping).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _logger.LogWarning(e, "Broker session check failed; retrying on the next tick");
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private async Task RebalanceLoopAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(_options.LeaderImbalanceCheckInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                if (!_quorum.IsLeader)
                {
                    continue;
                }

                try
                {
                    await RebalanceLeadersAsync(stopping).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _logger.LogWarning(e, "Preferred leader rebalance failed; retrying on the next check");
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>One auto-rebalance pass: preferred elections for the imbalanced brokers' partitions (internal so tests can drive it).</summary>
    internal async Task RebalanceLeadersAsync(CancellationToken cancellationToken)
    {
        List<TopicPartitionRef> partitions = LeaderImbalance.PartitionsToRebalance(_quorum.Current, _options.LeaderImbalancePerBrokerPercentage);
        if (partitions.Count == 0)
        {
            return;
        }

        ElectLeadersOutcome outcome = await ElectLeadersAsync(ElectionType.Preferred, partitions, cancellationToken).ConfigureAwait(false);
        _logger.LogInformation("Preferred leader rebalance moved {Count} partition(s) back to their preferred replica",
            outcome.Partitions.Count(r => !r.Error.IsError));
    }

    /// <summary>One liveness pass: fence brokers whose session expired (internal so tests with a fake clock can drive it).</summary>
    internal async Task CheckSessionsAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!await EnsureLeaderReadyAsync(cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            List<MetadataRecord> records = _brokers.ExpireSessions(_quorum.Current);
            if (records.Count > 0)
            {
                _logger.LogWarning("Fencing brokers whose sessions expired: {Brokers}",
                    string.Join(",", records.OfType<FenceBrokerRecord>().Select(r => r.BrokerId)));
                await _quorum.ProposeAsync(records, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (NotControllerException)
        {
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>unclean.leader.election.enable of <paramref name="topic"/>: its override, else the broker default.</summary>
    private bool UncleanAllowed(MetadataImage image, string topic) =>
        image.GetConfig(ConfigResource.ForTopic(topic), UncleanLeaderElectionConfig) is { } value
            ? string.Equals(value, "true", StringComparison.OrdinalIgnoreCase)
            : _options.UncleanLeaderElectionEnable;

    private ApiError NotControllerError()
    {
        int? leader = _quorum.LeaderNodeId;
        return new ApiError(ErrorCode.NotController, leader is { } id && id != _quorum.NodeId
            ? $"This node is not the controller; node {id} is."
            : "No controller is known yet.");
    }
}
