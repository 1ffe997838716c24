using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Microsoft.Extensions.Logging;

namespace Chronik.Cluster.Quorum;

/// <summary>
/// Wakes the WAL's flusher at a fixed interval so that the log the newest snapshot covers is dropped
/// even when no entries are being written.
///
/// Why this is needed (DotNext.Net.Cluster 6.12, read from the package): the WAL deletes chunk files
/// (and, through <see cref="ISnapshotManager.ReclaimGarbageAsync"/>, older snapshots) only in a cleanup
/// that its background flusher starts. The flusher runs when something wakes it — an append, a commit
/// or <see cref="WriteAheadLog.FlushAsync(CancellationToken)"/> — and starts a cleanup only if the
/// state machine's snapshot is newer than the last cleanup's and that cleanup has finished; otherwise
/// the newer snapshot is just skipped until the next wake-up. The cleanup itself is a thread-pool work
/// item that waits for all WAL readers, and under a steady stream of commits it can sit in a busy
/// worker's queue until the stream stops. Add <see cref="SimpleStateMachine"/> publishing a snapshot
/// only when the next entry is applied, and the last snapshot of a burst is never used for compaction
/// until the next write: on a quiet node, never. A flush with nothing to write costs no I/O, so a
/// periodic one is the cheap, reliable trigger.
/// </summary>
internal sealed class WalCompactor : IAsyncDisposable
{
    private readonly WriteAheadLog _wal;
    private readonly MetadataStateMachine _stateMachine;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public WalCompactor(WriteAheadLog wal, MetadataStateMachine stateMachine, TimeSpan interval, TimeProvider timeProvider, ILogger logger)
    {
        _wal = wal;
        _stateMachine = stateMachine;
        _logger = logger;
        _loop = RunAsync(interval, timeProvider, _stop.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task RunAsync(TimeSpan interval, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval, timeProvider);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            await WakeFlusherAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Wakes the flusher once if there is a snapshot to compact up to. Compaction then happens in the
    /// background; it is skipped if a previous cleanup is still running, which the next tick catches up.
    /// </summary>
    private async Task WakeFlusherAsync(CancellationToken cancellationToken)
    {
        if (_stateMachine.SnapshotIndex == 0)
        {
            return;
        }

        try
        {
            await _wal.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException and not ObjectDisposedException)
        {
            _logger.LogWarning(e, "Flushing the metadata log to compact it failed");
        }
    }
}
