using Chronik.Cluster.Metadata;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;
using Chronik.Storage;
using Microsoft.Extensions.Logging;

namespace Chronik.Broker.Transactions;

/// <summary>Delivers one marker to a partition leader: a local call for this broker, WriteTxnMarkers for another.</summary>
public interface ITransactionMarkerSender
{
    /// <summary>The per-partition results; throws when the broker cannot be reached (the channel retries).</summary>
    Task<WriteTxnMarkersResponse.WritableTxnMarkerResult> SendAsync(int brokerId, WriteTxnMarkersRequest.WritableTxnMarker marker, CancellationToken cancellationToken);
}

/// <summary>
/// Kafka's TransactionMarkerChannelManager: writes the markers of each ending transaction to the leaders of its
/// partitions — found in the metadata image, again on every attempt — and retries the partitions that failed
/// (no leader, leader moved, not enough replicas, broker unreachable) with a growing backoff until every one has
/// its marker; then completes the transaction on its coordinator shard. It gives up when that shard is no longer
/// the one that sent the job (the next coordinator resends the markers of every transaction it loads in a
/// Prepare state), when a partition fences the markers (a newer producer epoch or coordinator epoch), and drops
/// partitions whose topic was deleted.
/// </summary>
public sealed partial class TransactionMarkerChannel : ITransactionMarkerChannel, IAsyncDisposable
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(1);

    private readonly Func<MetadataImage> _image;
    private readonly ITransactionMarkerSender _sender;
    private readonly Func<TransactionCoordinator> _coordinator;
    private readonly TimeSpan _backoff;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private int _inFlight;
    private int _disposed;

    public TransactionMarkerChannel(
        Func<MetadataImage> image,
        ITransactionMarkerSender sender,
        Func<TransactionCoordinator> coordinator,
        TimeSpan backoff,
        TimeProvider? time = null,
        ILogger<TransactionMarkerChannel>? logger = null)
    {
        _image = image;
        _sender = sender;
        _coordinator = coordinator;
        _backoff = backoff;
        _time = time ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    }

    /// <summary>Transactions whose markers are being written.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    public void Send(TransactionMarkerJob job)
    {
        Interlocked.Increment(ref _inFlight);
        _ = Task.Run(async () =>
        {
            try
            {
                await DeliverAsync(job, _stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                LogDeliveryFailed(_logger, ex, job.TransactionalId);
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        });
    }

    /// <summary>Stops every delivery (the next coordinator of each partition resends what was not written); idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }
    }

    private async Task DeliverAsync(TransactionMarkerJob job, CancellationToken cancellationToken)
    {
        var remaining = new HashSet<TopicPartition>(job.Partitions);
        TimeSpan delay = _backoff;
        while (remaining.Count > 0)
        {
            if (!await _coordinator().IsCurrentAsync(job.CoordinatorPartition, job.CoordinatorEpoch).ConfigureAwait(false))
            {
                return;
            }

            MarkerOutcome outcome = await AttemptAsync(job, remaining, cancellationToken).ConfigureAwait(false);
            if (outcome == MarkerOutcome.Fenced)
            {
                LogFenced(_logger, job.TransactionalId, job.ProducerId, job.ProducerEpoch);
                return;
            }

            if (remaining.Count > 0)
            {
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxBackoff.Ticks));
            }
        }

        ErrorCode completed = await _coordinator().CompleteTransactionAsync(job).ConfigureAwait(false);
        if (completed != ErrorCode.None)
        {
            LogCompletionFailed(_logger, job.TransactionalId, completed);
        }
    }

    /// <summary>One attempt for every partition still without its marker, grouped by leader; successes leave <paramref name="remaining"/>.</summary>
    private async Task<MarkerOutcome> AttemptAsync(TransactionMarkerJob job, HashSet<TopicPartition> remaining, CancellationToken cancellationToken)
    {
        MetadataImage image = _image();
        var byLeader = new Dictionary<int, List<TopicPartition>>();
        foreach (TopicPartition partition in remaining.ToList())
        {
            if (image.GetTopic(partition.Topic) is null)
            {
                // The topic is gone: its partitions need no marker (Kafka removes them from the transaction).
                remaining.Remove(partition);
                continue;
            }

            PartitionRegistration? registration = image.GetPartition(partition.Topic, partition.Partition);
            if (registration is null)
            {
                remaining.Remove(partition);
                continue;
            }

            if (registration.HasLeader)
            {
                (byLeader.TryGetValue(registration.Leader, out var list) ? list : byLeader[registration.Leader] = []).Add(partition);
            }
        }

        var attempts = byLeader.Select(entry => SendToLeaderAsync(job, entry.Key, entry.Value, cancellationToken)).ToList();
        var outcome = MarkerOutcome.Continue;
        foreach (var (leader, results) in await Task.WhenAll(attempts).ConfigureAwait(false))
        {
            foreach (var (partition, error) in results)
            {
                switch (error)
                {
                    case ErrorCode.None:
                    case ErrorCode.UnsupportedForMessageFormat or ErrorCode.UnsupportedVersion:
                        remaining.Remove(partition);
                        break;
                    case ErrorCode.InvalidProducerEpoch or ErrorCode.TransactionCoordinatorFenced:
                        outcome = MarkerOutcome.Fenced;
                        break;
                    default:
                        LogRetrying(_logger, job.TransactionalId, partition.Topic, partition.Partition, leader, error);
                        break;
                }
            }
        }

        return outcome;
    }

    private async Task<(int Leader, List<(TopicPartition Partition, ErrorCode Error)> Results)> SendToLeaderAsync(
        TransactionMarkerJob job,
        int leader,
        List<TopicPartition> partitions,
        CancellationToken cancellationToken)
    {
        var marker = new WriteTxnMarkersRequest.WritableTxnMarker
        {
            ProducerId = job.ProducerId,
            ProducerEpoch = job.ProducerEpoch,
            TransactionResult = job.Committed,
            CoordinatorEpoch = job.CoordinatorEpoch,
            Topics = [.. partitions.GroupBy(p => p.Topic, StringComparer.Ordinal).Select(g => new WriteTxnMarkersRequest.WritableTxnMarkerTopic { Name = g.Key, PartitionIndexes = [.. g.Select(p => p.Partition)] })],
        };
        var results = new List<(TopicPartition, ErrorCode)>(partitions.Count);
        try
        {
            WriteTxnMarkersResponse.WritableTxnMarkerResult result = await _sender.SendAsync(leader, marker, cancellationToken).ConfigureAwait(false);
            var answered = new HashSet<TopicPartition>();
            foreach (WriteTxnMarkersResponse.WritableTxnMarkerTopicResult topic in result.Topics)
            {
                foreach (WriteTxnMarkersResponse.WritableTxnMarkerPartitionResult partition in topic.Partitions)
                {
                    var tp = new TopicPartition(topic.Name, partition.PartitionIndex);
                    if (answered.Add(tp))
                    {
                        results.Add((tp, (ErrorCode)partition.ErrorCode));
                    }
                }
            }

            foreach (TopicPartition partition in partitions)
            {
                if (!answered.Contains(partition))
                {
                    results.Add((partition, ErrorCode.UnknownServerError));
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogSendFailed(_logger, leader, job.TransactionalId, ex.Message);
            results.AddRange(partitions.Select(p => (p, ErrorCode.NetworkException)));
        }

        return (leader, results);
    }

    private enum MarkerOutcome
    {
        Continue,
        Fenced,
    }

    [LoggerMessage(1, LogLevel.Error, "Writing the markers of transaction {TransactionalId} failed unexpectedly")]
    private static partial void LogDeliveryFailed(ILogger logger, Exception exception, string transactionalId);

    [LoggerMessage(2, LogLevel.Warning, "The markers of transaction {TransactionalId} (producer {ProducerId} epoch {ProducerEpoch}) were fenced by a newer producer or coordinator epoch; giving up")]
    private static partial void LogFenced(ILogger logger, string transactionalId, long producerId, short producerEpoch);

    [LoggerMessage(3, LogLevel.Debug, "Marker of transaction {TransactionalId} for {Topic}-{Partition} on broker {Leader} failed with {Error}; retrying")]
    private static partial void LogRetrying(ILogger logger, string transactionalId, string topic, int partition, int leader, ErrorCode error);

    [LoggerMessage(4, LogLevel.Debug, "Sending markers of transaction {TransactionalId} to broker {Leader} failed: {Message}; retrying")]
    private static partial void LogSendFailed(ILogger logger, int leader, string transactionalId, string message);

    [LoggerMessage(5, LogLevel.Information, "Transaction {TransactionalId} has all its markers but could not complete ({Error}); its next coordinator completes it")]
    private static partial void LogCompletionFailed(ILogger logger, string transactionalId, ErrorCode error);
}
