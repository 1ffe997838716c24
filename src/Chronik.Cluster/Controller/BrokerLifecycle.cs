using Chronik.Cluster.Metadata;
using Chronik.Cluster.Quorum;
using Chronik.Protocol.Wire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Chronik.Cluster.Controller;

/// <summary>What this broker announces when it registers.</summary>
public sealed record BrokerIdentity(int BrokerId, IReadOnlyList<BrokerEndpoint> Endpoints, string? Rack = null, string? HttpEndpoint = null);

/// <summary>Whether this broker serves Kafka requests, and why not when it does not (for /health/ready).</summary>
public readonly record struct BrokerReadiness(bool IsReady, string Reason);

/// <summary>
/// This broker's side of the controller protocol (Kafka's BrokerLifecycleManager): waits for a
/// metadata leader, registers with a fresh incarnation id, then heartbeats every
/// <c>heartbeatInterval</c> (broker.heartbeat.interval.ms, 2 s) reporting how far its image is; the
/// controller unfences it once caught up. Never gives up: a missing quorum, NotController or a
/// failed call is retried after a pause. Each call is bounded by <see cref="CallTimeout"/>, so a
/// controller that vanished mid-call delays the next heartbeat, never the loop. On stop it asks for a
/// controlled shutdown (fence), which lets the next incarnation register at once.
/// </summary>
public sealed class BrokerLifecycle : IAsyncDisposable
{
    private readonly MetadataQuorum _quorum;
    private readonly IControllerClient _controller;
    private readonly BrokerIdentity _identity;
    private readonly TimeProvider _time;
    private readonly TimeSpan _heartbeatInterval;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private int _shutDown;
    private int _disposed;
    private Task? _loop;
    private long _brokerEpoch = -1;
    private volatile string _lastProblem = "not started";

    public BrokerLifecycle(
        MetadataQuorum quorum,
        IControllerClient controller,
        BrokerIdentity identity,
        TimeSpan? heartbeatInterval = null,
        TimeProvider? timeProvider = null,
        ILogger<BrokerLifecycle>? logger = null,
        Guid incarnation = default)
    {
        Incarnation = incarnation == Guid.Empty ? Guid.NewGuid() : incarnation;
        _quorum = quorum;
        _controller = controller;
        _identity = identity;
        _heartbeatInterval = heartbeatInterval ?? TimeSpan.FromSeconds(2);
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger<BrokerLifecycle>.Instance;
    }

    /// <summary>How long one registration or heartbeat may take (the controller client retries elections within it).</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Incarnation of this process's registration (a restart registers a new one).</summary>
    public Guid Incarnation { get; }

    /// <summary>The epoch of the current registration, or -1 before registering.</summary>
    public long BrokerEpoch => Interlocked.Read(ref _brokerEpoch);

    /// <summary>
    /// Ready when the quorum has a leader and the image shows this incarnation registered and unfenced;
    /// otherwise the first missing condition (or the last error from the controller).
    /// </summary>
    public BrokerReadiness Readiness
    {
        get
        {
            if (_quorum.NotReadyReason is { } quorumReason)
            {
                return new BrokerReadiness(false, quorumReason);
            }

            BrokerRegistration? registration = _quorum.Current.GetBroker(_identity.BrokerId);
            if (registration is null || registration.Incarnation != Incarnation)
            {
                return new BrokerReadiness(false, $"broker {_identity.BrokerId} is not registered yet ({_lastProblem})");
            }

            return registration.Fenced
                ? new BrokerReadiness(false, $"broker {_identity.BrokerId} is registered but fenced ({_lastProblem})")
                : new BrokerReadiness(true, "ready");
        }
    }

    public void Start() => _loop ??= Task.Run(() => RunAsync(_stopping.Token));

    /// <summary>
    /// Stops heartbeating after asking the controller to fence this broker (best effort, bounded by
    /// <paramref name="cancellationToken"/>). Only the first call does anything.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _shutDown, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is { } loop)
        {
            await loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        long epoch = BrokerEpoch;
        if (epoch >= 0)
        {
            using var call = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            call.CancelAfter(CallTimeout);
            try
            {
                await _controller.BrokerHeartbeatAsync(
                    new BrokerHeartbeatRequest(_identity.BrokerId, epoch, _quorum.Current.Version, WantShutdown: true), call.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or InvalidOperationException)
            {
                _logger.LogDebug(e, "Controlled shutdown heartbeat of broker {BrokerId} not delivered", _identity.BrokerId);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is { } loop)
        {
            await loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _stopping.Dispose();
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            TimeSpan pause = _heartbeatInterval;
            try
            {
                await _quorum.WaitForLeaderAsync(stopping).ConfigureAwait(false);
                if (BrokerEpoch < 0)
                {
                    await RegisterAsync(stopping).ConfigureAwait(false);
                }

                if (BrokerEpoch >= 0)
                {
                    pause = await HeartbeatAsync(stopping).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException)
            {
                _lastProblem = $"the controller did not answer within {CallTimeout.TotalSeconds} s";
            }
            catch (Exception e)
            {
                _lastProblem = e.Message;
                _logger.LogWarning(e, "Broker {BrokerId} lifecycle step failed; retrying", _identity.BrokerId);
            }

            try
            {
                await Task.Delay(pause, _time, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task RegisterAsync(CancellationToken stopping)
    {
        var request = new BrokerRegistrationRequest(_identity.BrokerId, Incarnation, _identity.Endpoints, _identity.Rack, _identity.HttpEndpoint, _quorum.Current.ClusterId);
        using var call = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        call.CancelAfter(CallTimeout);
        BrokerRegistrationResult result = await _controller.RegisterBrokerAsync(request, call.Token).ConfigureAwait(false);
        if (result.Error.IsError)
        {
            _lastProblem = $"registration: {result.Error}";
            _logger.LogInformation("Broker {BrokerId} registration refused: {Error}", _identity.BrokerId, result.Error);
            return;
        }

        Interlocked.Exchange(ref _brokerEpoch, result.BrokerEpoch);
        _lastProblem = "waiting for the controller to unfence it";
        _logger.LogInformation("Broker {BrokerId} registered with epoch {Epoch}", _identity.BrokerId, result.BrokerEpoch);
    }

    /// <summary>One heartbeat; returns how long to wait before the next step.</summary>
    private async Task<TimeSpan> HeartbeatAsync(CancellationToken stopping)
    {
        long epoch = BrokerEpoch;
        var request = new BrokerHeartbeatRequest(_identity.BrokerId, epoch, _quorum.Current.Version);
        using var call = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        call.CancelAfter(CallTimeout);
        BrokerHeartbeatResult result = await _controller.BrokerHeartbeatAsync(request, call.Token).ConfigureAwait(false);
        switch (result.Error.Code)
        {
            case ErrorCode.None:
                _lastProblem = result.IsFenced ? "waiting for the controller to unfence it" : "none";

                // While fenced, beat faster so unfencing follows catching up without a full interval.
                return result.IsFenced ? TimeSpan.FromTicks(_heartbeatInterval.Ticks / 4) : _heartbeatInterval;
            case ErrorCode.StaleBrokerEpoch or ErrorCode.BrokerIdNotRegistered:
                _lastProblem = $"heartbeat: {result.Error}; registering again";
                Interlocked.CompareExchange(ref _brokerEpoch, -1, epoch);
                return TimeSpan.Zero;
            default:
                _lastProblem = $"heartbeat: {result.Error}";
                return _heartbeatInterval;
        }
    }
}
