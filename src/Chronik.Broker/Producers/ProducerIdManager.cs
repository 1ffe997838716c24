using Chronik.Cluster.Controller;
using Chronik.Protocol.Wire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Chronik.Broker.Producers;

/// <summary>
/// Hands out producer ids (Kafka's RPCProducerIdManager): ids come from blocks the controller allocates through the
/// metadata quorum (AllocateProducerIds, KIP-730), so no two brokers ever give out the same id. The next block is
/// requested in the background once 90% of the current one is used, so InitProducerId rarely waits. When no id is
/// available (first use, or the controller is unreachable) a caller waits up to <see cref="MaxWait"/> for a block —
/// Kafka fails at once instead — and then gets COORDINATOR_LOAD_IN_PROGRESS, which clients retry. A failed request
/// is retried after <see cref="RetryBackoff"/> (Kafka's 50 ms), only while someone needs an id.
/// </summary>
public sealed partial class ProducerIdManager : IDisposable
{
    private readonly object _lock = new();
    private readonly ProducerIdBlocks _blocks = new();
    private readonly int _brokerId;
    private readonly Func<long> _brokerEpoch;
    private readonly IControllerClient _controller;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _inFlight;
    private long _retryAfterMs;

    /// <param name="brokerEpoch">This broker's epoch from its registration (the controller refuses a stale one).</param>
    public ProducerIdManager(int brokerId, Func<long> brokerEpoch, IControllerClient controller, TimeProvider? time = null, ILogger<ProducerIdManager>? logger = null)
    {
        _brokerId = brokerId;
        _brokerEpoch = brokerEpoch;
        _controller = controller;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger<ProducerIdManager>.Instance;
    }

    /// <summary>How long a caller waits for a block before COORDINATOR_LOAD_IN_PROGRESS.</summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Pause after a failed block request (Kafka's RETRY_BACKOFF_MS).</summary>
    public TimeSpan RetryBackoff { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Bound on one AllocateProducerIds call.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>A new producer id, or COORDINATOR_LOAD_IN_PROGRESS when no block became available in time.</summary>
    public async ValueTask<(ErrorCode Error, long ProducerId)> GenerateProducerIdAsync(CancellationToken cancellationToken = default)
    {
        long deadline = NowMs + (long)MaxWait.TotalMilliseconds;
        while (true)
        {
            Task progress;
            lock (_lock)
            {
                if (_blocks.TryClaim(out long id))
                {
                    if (_blocks.NeedsNextBlock)
                    {
                        StartRequestLocked();
                    }

                    return (ErrorCode.None, id);
                }

                progress = StartRequestLocked();
            }

            long remaining = deadline - NowMs;
            if (remaining <= 0 || _stopping.IsCancellationRequested)
            {
                return (ErrorCode.CoordinatorLoadInProgress, -1);
            }

            try
            {
                await progress.WaitAsync(TimeSpan.FromMilliseconds(remaining), _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return (ErrorCode.CoordinatorLoadInProgress, -1);
            }
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }

    /// <summary>The request in flight, a new one, or — during the backoff after a failure — the end of the backoff.</summary>
    private Task StartRequestLocked()
    {
        if (_inFlight is { } running)
        {
            return running;
        }

        long wait = _retryAfterMs - NowMs;
        if (wait > 0)
        {
            return Task.Delay(TimeSpan.FromMilliseconds(wait), _time);
        }

        // Run elsewhere: its completion takes the lock, so it cannot clear _inFlight before it is set.
        _inFlight = Task.Run(RequestBlockAsync);
        return _inFlight;
    }

    private async Task RequestBlockAsync()
    {
        ProducerIdsResult result;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            timeout.CancelAfter(RequestTimeout);
            result = await _controller.AllocateProducerIdsAsync(_brokerId, _brokerEpoch(), timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            result = new ProducerIdsResult(new ApiError(ErrorCode.RequestTimedOut, "AllocateProducerIds timed out"));
        }
        catch (Exception e)
        {
            // The controller being unreachable or closing must not fault the request task: the next caller retries.
            result = new ProducerIdsResult(new ApiError(ErrorCode.UnknownServerError, e.Message));
        }

        lock (_lock)
        {
            _inFlight = null;
            if (result.Error.Code == ErrorCode.None && _blocks.Offer(result.FirstProducerId, result.Size))
            {
                LogBlock(_logger, _brokerId, result.FirstProducerId, result.Size);
                return;
            }

            _retryAfterMs = NowMs + (long)RetryBackoff.TotalMilliseconds;
        }

        LogBlockFailed(_logger, _brokerId, result.Error.Code, result.Error.Message ?? $"unusable block [{result.FirstProducerId}, +{result.Size})");
    }

    [LoggerMessage(1, LogLevel.Debug, "Broker {BrokerId} got producer ids [{First}, +{Size})")]
    private static partial void LogBlock(ILogger logger, int brokerId, long first, int size);

    [LoggerMessage(2, LogLevel.Warning, "Broker {BrokerId} could not get a producer id block ({Error}): {Message}; retrying when an id is needed")]
    private static partial void LogBlockFailed(ILogger logger, int brokerId, ErrorCode error, string message);
}
