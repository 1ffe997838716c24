using Chronik.Broker.Configs;
using Chronik.Broker.Controller;
using Chronik.Broker.InterBroker;
using Chronik.Broker.Partitions;
using Chronik.Broker.Replication;
using Chronik.Broker.Requests;
using Chronik.Cluster.Controller;
using Chronik.Cluster.Metadata;
using Chronik.Cluster.Quorum;
using Microsoft.Extensions.Logging;

namespace Chronik.Broker;

/// <summary>
/// One broker node: the metadata quorum (a cluster of one in standalone mode — the same code path as a
/// cluster), the controller that runs while this node leads the quorum, the lifecycle that
/// registers this broker through the quorum and keeps it unfenced with heartbeats, and the replica
/// manager that hosts this broker's partitions as the metadata image assigns them.
/// </summary>
public sealed partial class BrokerNode : IAsyncDisposable
{
    private readonly ILogger<BrokerNode> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ControllerRouter _router;
    private Task? _readinessWatch;
    private Task? _imageWatch;

    public BrokerNode(BrokerOptions options, ILoggerFactory loggerFactory, TimeProvider? timeProvider = null)
    {
        Options = options;
        TimeProvider = timeProvider ?? TimeProvider.System;
        _logger = loggerFactory.CreateLogger<BrokerNode>();
        if (options.JoinQuorumAs is null && !options.Voters.Any(v => v.NodeId == options.NodeId))
        {
            throw new ArgumentException($"node {options.NodeId} is not among the voters {string.Join(",", options.Voters)}");
        }

        Quorum = new MetadataQuorum(
            new MetadataQuorumOptions
            {
                NodeId = options.NodeId,
                Voters = options.Voters,
                JoinAs = options.JoinQuorumAs,
                MetadataDirectory = options.MetadataDirectory,
                BindAddress = options.RaftBindAddress,
            },
            loggerFactory,
            TimeProvider);
        VoterController = new RaftVoterController(Quorum, loggerFactory.CreateLogger<RaftVoterController>());
        // One incarnation per process: the controller knows it as its own broker's, which lets this node's
        // broker re-register at once after a kill -9 when this node is the controller.
        var incarnation = Guid.NewGuid();
        BrokerConfigs configs = options.Configs;
        Controller = new ControllerService(
            Quorum,
            new ControllerOptions
            {
                DefaultNumPartitions = configs.GetInt32(BrokerConfigCatalog.NumPartitions),
                DefaultReplicationFactor = (short)configs.GetInt32(BrokerConfigCatalog.DefaultReplicationFactor),
                BrokerSessionTimeout = TimeSpan.FromMilliseconds(configs.GetInt32(BrokerConfigCatalog.BrokerSessionTimeoutMs)),
                AutoLeaderRebalanceEnable = configs.GetBoolean(BrokerConfigCatalog.AutoLeaderRebalanceEnable),
                LeaderImbalanceCheckInterval = TimeSpan.FromSeconds(configs.GetInt64(BrokerConfigCatalog.LeaderImbalanceCheckIntervalSeconds)),
                LeaderImbalancePerBrokerPercentage = configs.GetInt32(BrokerConfigCatalog.LeaderImbalancePerBrokerPercentage),
                UncleanLeaderElectionEnable = configs.GetBoolean(BrokerConfigCatalog.UncleanLeaderElectionEnable),
            },
            configValidator: new ConfigValidator(configs),
            timeProvider: TimeProvider,
            logger: loggerFactory.CreateLogger<ControllerService>(),
            localIncarnation: incarnation);

        // The controller channel has its own connections: a controller call must never queue behind a follower's long-poll fetch.
        ControllerConnections = new BrokerConnections(() => Quorum.Current, options.ListenerName, options.NodeId);
        _router = new ControllerRouter(Quorum, Controller, VoterController, ControllerConnections, loggerFactory.CreateLogger<ControllerRouter>(), TimeProvider);
        ControllerClient = _router;
        Lifecycle = new BrokerLifecycle(
            Quorum,
            ControllerClient,
            new BrokerIdentity(
                options.NodeId,
                [new BrokerEndpoint(options.ListenerName, options.AdvertisedHost, options.AdvertisedPort, SecurityProtocolPlaintext)],
                configs.GetString(BrokerConfigCatalog.BrokerRack),
                options.HttpEndpoint),
            heartbeatInterval: TimeSpan.FromMilliseconds(configs.GetInt32(BrokerConfigCatalog.BrokerHeartbeatIntervalMs)),
            timeProvider: TimeProvider,
            logger: loggerFactory.CreateLogger<BrokerLifecycle>(),
            incarnation: incarnation);
        Replicas = new ReplicaManager(
            new ReplicaManagerOptions
            {
                NodeId = options.NodeId,
                DataDirectory = options.DataDirectory,
                Configs = options.Configs,
                LeaderChannels = new BrokerReplicaChannels(() => Quorum.Current, options.ListenerName, options.NodeId),
                Controller = () => ControllerClient,
            },
            () => Quorum.Current,
            loggerFactory,
            TimeProvider);
    }

    /// <summary>Kafka's SecurityProtocol id of PLAINTEXT.</summary>
    private const short SecurityProtocolPlaintext = 0;

    public BrokerOptions Options { get; }

    public TimeProvider TimeProvider { get; }

    public MetadataQuorum Quorum { get; }

    /// <summary>This node's controller: it acts while this node leads the metadata quorum, and answers NOT_CONTROLLER otherwise.</summary>
    public ControllerService Controller { get; }

    /// <summary>How this broker reaches the controller wherever it runs: in-process on the leader, forwarded otherwise, retried across elections.</summary>
    public IControllerClient ControllerClient { get; }

    /// <summary>The connections of the controller channel (forwarded controller calls), separate from the data path's.</summary>
    public BrokerConnections ControllerConnections { get; }

    /// <summary>
    /// The controller a request's handler must use: for a request from another broker (which forwarded it
    /// here because this node leads) this node's own controller, so an operation is never forwarded twice —
    /// a node that lost leadership meanwhile answers NOT_CONTROLLER and the sender retries at the new
    /// leader; for a client's request, <see cref="ControllerClient"/>.
    /// </summary>
    public IControllerClient ControllerFor(RequestContext context) => context.IsInterBroker ? Controller : ControllerClient;

    /// <summary>This node's side of AddRaftVoter / RemoveRaftVoter: acts while this node is the Raft leader, answers NOT_CONTROLLER otherwise.</summary>
    public RaftVoterController VoterController { get; }

    /// <summary>Where a request's voter change goes: as <see cref="ControllerFor"/>, this node's own controller for a forwarded request, else the router.</summary>
    public IRaftVoterClient VoterControllerFor(RequestContext context) => context.IsInterBroker ? VoterController : _router;

    public BrokerLifecycle Lifecycle { get; }

    public ReadinessGate Gate { get; } = new();

    /// <summary>The partitions hosted here and their logs (data-dir/logs).</summary>
    public ReplicaManager Replicas { get; }

    public int NodeId => Options.NodeId;

    /// <summary>The current metadata image.</summary>
    public MetadataImage Image => Quorum.Current;

    /// <summary>How long a controlled shutdown waits for the controller to move this broker's leaderships.</summary>
    public static readonly TimeSpan ControlledShutdownTimeout = TimeSpan.FromSeconds(10);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await Quorum.StartAsync(cancellationToken).ConfigureAwait(false);

        // The quorum replayed its log, so topic configs are known for the logs recovery opens; recovery ends before
        // this broker registers, so nothing is served from an unrecovered log.
        Replicas.Start();
        Replicas.ApplyImage(Quorum.Current);
        _imageWatch = FollowImagesAsync(_stopping.Token);
        Controller.Start();
        Lifecycle.Start();
        _readinessWatch = WatchReadinessAsync(_stopping.Token);
        LogStarted(_logger, NodeId, Quorum.Voters.Count);
    }

    /// <summary>
    /// Controlled shutdown, run before the Kafka listener stops (as Kafka's BrokerServer does): the
    /// want-shutdown heartbeat makes the controller fence this broker and move its leaderships, then this
    /// waits until the image shows it leads nothing, at most <see cref="ControlledShutdownTimeout"/>. The
    /// acks=all produce requests still waiting on its partitions then end with NOT_LEADER_OR_FOLLOWER and
    /// the clients retry at the new leaders. Done the other way round, each of those requests waited out
    /// its whole timeout while the draining listener no longer served the followers' fetches.
    /// </summary>
    public async Task ShutDownControlledAsync(CancellationToken cancellationToken)
    {
        await Lifecycle.StopAsync(cancellationToken).ConfigureAwait(false);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(ControlledShutdownTimeout);
        try
        {
            await foreach (MetadataImage image in Quorum.WatchAsync(bounded.Token).ConfigureAwait(false))
            {
                if (!LeadsAnyPartition(image))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LogLeadershipsKept(_logger, NodeId, ControlledShutdownTimeout.TotalSeconds);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Lifecycle.StopAsync(cancellationToken).ConfigureAwait(false);
        await Controller.DisposeAsync().ConfigureAwait(false);
        await ControllerConnections.DisposeAsync().ConfigureAwait(false);
        await Quorum.StopAsync(cancellationToken).ConfigureAwait(false);
        if (_readinessWatch is not null)
        {
            await _readinessWatch.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (_imageWatch is not null)
        {
            await _imageWatch.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Lifecycle.DisposeAsync().ConfigureAwait(false);
        await Controller.DisposeAsync().ConfigureAwait(false);
        await ControllerConnections.DisposeAsync().ConfigureAwait(false);
        await Quorum.DisposeAsync().ConfigureAwait(false);
        if (_imageWatch is not null)
        {
            await _imageWatch.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        // Normally the server's shutdown flush hook closed the logs already (after the listener drained).
        Replicas.Dispose();
        _stopping.Dispose();
    }

    /// <summary>Applies every new metadata image to the hosted partitions, in order.</summary>
    private async Task FollowImagesAsync(CancellationToken cancellationToken)
    {
        await foreach (MetadataImage image in Quorum.WatchAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                Replicas.ApplyImage(image);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogApplyFailed(_logger, e, image.Version);
            }
        }
    }

    private bool LeadsAnyPartition(MetadataImage image)
    {
        foreach (TopicImage topic in image.Topics.Values)
        {
            foreach (PartitionRegistration partition in topic.Partitions.Values)
            {
                if (partition.Leader == NodeId)
                {
                    return true;
                }
            }
        }

        return false;
    }

    private async Task WatchReadinessAsync(CancellationToken cancellationToken)
    {
        await foreach (MetadataImage _ in Quorum.WatchAsync(cancellationToken).ConfigureAwait(false))
        {
            if (Lifecycle.Readiness.IsReady)
            {
                // Registered: the image is current, so logs it does not assign here are strays.
                Replicas.ApplyImage(Quorum.Current);
                Replicas.MarkMetadataCaughtUp();
                Gate.Open();
                LogReady(_logger, NodeId);
                return;
            }
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Broker {NodeId} started its metadata quorum of {Voters} voter(s); registering")]
    private static partial void LogStarted(ILogger logger, int nodeId, int voters);

    [LoggerMessage(2, LogLevel.Information, "Broker {NodeId} is registered and unfenced: serving Kafka requests")]
    private static partial void LogReady(ILogger logger, int nodeId);

    [LoggerMessage(3, LogLevel.Error, "Applying metadata image {Version} to the hosted partitions failed")]
    private static partial void LogApplyFailed(ILogger logger, Exception exception, long version);

    [LoggerMessage(4, LogLevel.Warning, "Broker {NodeId} still leads partitions {Seconds} s after asking to shut down; stopping anyway")]
    private static partial void LogLeadershipsKept(ILogger logger, int nodeId, double seconds);
}
