using Chronik.Broker.Partitions;
using Chronik.Cluster.Controller;
using Chronik.Protocol.Wire;
using Chronik.Storage;
using Microsoft.Extensions.Logging;

namespace Chronik.Broker.Replication;

/// <summary>
/// Sends the ISR changes this broker's leaders propose to the controller (Kafka's DefaultAlterPartitionManager,
/// KIP-497): one AlterPartition request at a time carrying every change waiting, with this broker's id and epoch and
/// each ISR member's broker epoch (KIP-903). Each partition's answer goes back to it
/// (<see cref="Partition.CompleteIsrChange"/>), which commits, reverts or asks for a retry. A request the controller
/// did not take (NOT_CONTROLLER — off the controller node until forwarding reaches it —, a stale broker epoch while
/// this broker re-registers, no answer) is sent again after a backoff; so is every change its partition asks to retry.
/// </summary>
public sealed partial class AlterPartitionManager : IIsrChangeSender, IAsyncDisposable
{
    private readonly int _brokerId;
    private readonly Func<IControllerClient> _controller;
    private readonly Func<long> _brokerEpoch;
    private readonly ReplicaFetcherOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly object _lock = new();
    private readonly Dictionary<TopicPartition, (Partition Partition, PendingIsrChange Change)> _unsent = [];
    private readonly CancellationTokenSource _stopping = new();
    private TaskCompletionSource? _wake;
    private Task? _loop;
    private long _expansions;
    private long _shrinks;

    /// <param name="controller">How this broker reaches the controller (in-process on the controller node, forwarded elsewhere).</param>
    /// <param name="brokerEpoch">This broker's registered epoch, -1 while unknown.</param>
    public AlterPartitionManager(int brokerId, Func<IControllerClient> controller, Func<long> brokerEpoch, ReplicaFetcherOptions options, ILogger<AlterPartitionManager> logger, TimeProvider time)
    {
        _brokerId = brokerId;
        _controller = controller;
        _brokerEpoch = brokerEpoch;
        _options = options;
        _logger = logger;
        _time = time;
    }

    /// <summary>Changes waiting to be sent (or re-sent).</summary>
    public int Unsent
    {
        get
        {
            lock (_lock)
            {
                return _unsent.Count;
            }
        }
    }

    /// <summary>ISR expansions proposed so far (Kafka's IsrExpandsPerSec counts the same events).</summary>
    public long Expansions => Interlocked.Read(ref _expansions);

    /// <summary>ISR shrinks proposed so far (Kafka's IsrShrinksPerSec).</summary>
    public long Shrinks => Interlocked.Read(ref _shrinks);

    public void Start() => _loop ??= Task.Run(() => RunAsync(_stopping.Token));

    public void Submit(Partition partition, PendingIsrChange change)
    {
        Interlocked.Increment(ref change.Kind == IsrChangeKind.Expand ? ref _expansions : ref _shrinks);
        LogSubmitted(_logger, partition.TopicPartition.ToString(), change.Kind, string.Join(",", change.LastCommittedIsr), string.Join(",", change.ProposedIsr.Select(m => m.BrokerId)));
        lock (_lock)
        {
            _unsent[partition.TopicPartition] = (partition, change);
            var wake = _wake;
            _wake = null;
            wake?.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _stopping.Dispose();
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            List<(Partition Partition, PendingIsrChange Change)> batch;
            Task wake;
            lock (_lock)
            {
                batch = [.. _unsent.Values];
                _unsent.Clear();
                wake = (_wake ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }

            try
            {
                if (batch.Count == 0)
                {
                    await wake.WaitAsync(stopping).ConfigureAwait(false);
                    continue;
                }

                if (!await SendAsync(batch, stopping).ConfigureAwait(false))
                {
                    await Task.Delay(_options.AlterPartitionRetryBackoff, _time, stopping).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>Sends one request; false when something must be retried after the backoff.</summary>
    private async Task<bool> SendAsync(List<(Partition Partition, PendingIsrChange Change)> batch, CancellationToken stopping)
    {
        // A change its partition no longer awaits (the image committed a newer state, leadership moved) is dropped.
        batch.RemoveAll(entry => !ReferenceEquals(entry.Partition.PendingIsrChange, entry.Change));
        if (batch.Count == 0)
        {
            return true;
        }

        long brokerEpoch = _brokerEpoch();
        var items = new List<AlterPartitionItem>(batch.Count);
        foreach (var (partition, change) in batch)
        {
            var members = change.ProposedIsr.Select(m => m.BrokerId == _brokerId ? new IsrMember(_brokerId, brokerEpoch) : m).ToList();
            items.Add(new AlterPartitionItem(partition.TopicId, partition.Index, change.LeaderEpoch, change.PartitionEpoch, members));
        }

        AlterPartitionResult result;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            timeout.CancelAfter(_options.RequestTimeout);
            result = await _controller().AlterPartitionAsync(new AlterPartitionRequest(_brokerId, brokerEpoch, items), timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (!stopping.IsCancellationRequested)
        {
            LogRequestFailed(_logger, batch.Count, e.Message);
            Requeue(batch);
            return false;
        }

        if (result.Error.IsError)
        {
            LogRequestFailed(_logger, batch.Count, result.Error.ToString());
            Requeue(batch);
            return false;
        }

        var retry = new List<(Partition, PendingIsrChange)>();
        foreach (var (partition, change) in batch)
        {
            var answer = result.Partitions.FirstOrDefault(p => p.TopicId == partition.TopicId && p.Partition == partition.Index);
            var outcome = answer is null
                ? IsrChangeOutcome.Retry
                : partition.CompleteIsrChange(change, answer.Error.Code, answer.State);
            LogAnswered(_logger, partition.TopicPartition.ToString(), change.ToString(), answer?.Error.ToString() ?? "no answer", outcome,
                string.Join(",", partition.Isr));
            if (outcome == IsrChangeOutcome.Retry)
            {
                retry.Add((partition, change));
            }
        }

        Requeue(retry);
        return retry.Count == 0;
    }

    /// <summary>Puts changes back unless their partition proposed a newer one meanwhile.</summary>
    private void Requeue(List<(Partition Partition, PendingIsrChange Change)> changes)
    {
        lock (_lock)
        {
            foreach (var (partition, change) in changes)
            {
                _unsent.TryAdd(partition.TopicPartition, (partition, change));
            }
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Partition {Partition}: proposing to {Kind} the ISR from [{Isr}] to [{Proposed}]")]
    private static partial void LogSubmitted(ILogger logger, string partition, IsrChangeKind kind, string isr, string proposed);

    [LoggerMessage(2, LogLevel.Information, "Partition {Partition}: the controller answered {Change} with {Error}: {Outcome}; ISR now [{Isr}]")]
    private static partial void LogAnswered(ILogger logger, string partition, string change, string error, IsrChangeOutcome outcome, string isr);

    [LoggerMessage(3, LogLevel.Debug, "AlterPartition with {Count} change(s) was not taken: {Reason}; retrying after the backoff")]
    private static partial void LogRequestFailed(ILogger logger, int count, string reason);
}
