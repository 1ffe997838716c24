using Chronik.Broker.Coordinators;
using Chronik.Broker.Transactions.Records;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Transactions;

/// <summary>
/// Every transactional id of one __transaction_state partition: Kafka's TransactionCoordinator and
/// TransactionStateManager as pure decision logic. No I/O and no clock of its own: time comes from the injected
/// <see cref="TimeProvider"/>, periodic checks are named entries in <see cref="Timers"/> that the runtime fires,
/// records to persist collect in <see cref="Effects"/>, and the markers of a transaction that is ending go to the
/// injected <see cref="ITransactionMarkerChannel"/> once its PrepareCommit / PrepareAbort record is durable.
/// Not thread-safe: the runtime runs one operation at a time per shard.
/// </summary>
/// <remarks>
/// A change is decided by <see cref="TransactionMetadata"/>, written, and applied at once; the runtime answers
/// only after the record — and everything written before it — is durable, and a failed write reloads the shard
/// from the log. Kafka's pending-state guard (CONCURRENT_TRANSACTIONS while an append is in flight) is therefore
/// not needed: a request never sees a state whose record may still be lost without waiting for that record.
/// </remarks>
public sealed partial class TransactionCoordinatorShard : ICoordinatorShard<TransactionLogRecord>
{
    private const string AbortTimedOutKey = "transactions/abort-timed-out";
    private const string ExpireIdsKey = "transactions/expire-ids";

    private readonly Dictionary<string, TransactionMetadata> _transactions = new(StringComparer.Ordinal);
    private readonly TransactionCoordinatorOptions _options;
    private readonly TimeProvider _time;
    private readonly ITransactionMarkerChannel _markers;

    /// <param name="partition">The __transaction_state partition this shard owns.</param>
    /// <param name="coordinatorEpoch">Its leader epoch on this node: stamped on markers, and checked when they complete.</param>
    public TransactionCoordinatorShard(int partition, int coordinatorEpoch, TransactionCoordinatorOptions options, TimeProvider time, ITransactionMarkerChannel markers)
    {
        Partition = partition;
        CoordinatorEpoch = coordinatorEpoch;
        _options = options;
        _time = time;
        _markers = markers;
    }

    public int Partition { get; }

    public int CoordinatorEpoch { get; }

    public CoordinatorEffects<TransactionLogRecord> Effects { get; } = new();

    public CoordinatorTimers Timers { get; } = new();

    public long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    public IReadOnlyDictionary<string, TransactionMetadata> Transactions => _transactions;

    public TransactionMetadata? Get(string transactionalId) => _transactions.GetValueOrDefault(transactionalId);

    public void Replay(TransactionLogRecord record, TransactionalProducer? transaction)
    {
        if (record.Value is not { } value)
        {
            _transactions.Remove(record.TransactionalId);
            return;
        }

        if (_transactions.TryGetValue(record.TransactionalId, out TransactionMetadata? existing))
        {
            existing.Replay(value);
        }
        else
        {
            _transactions[record.TransactionalId] = TransactionMetadata.FromLog(record.TransactionalId, value);
        }
    }

    /// <summary>__transaction_state holds no transactional batches, so no markers either.</summary>
    public void ReplayEndTransaction(long producerId, bool committed)
    {
    }

    /// <summary>
    /// After loading: transactions that were ending when the previous coordinator stopped get their markers
    /// (again; writing a marker twice is harmless), and the periodic checks start.
    /// </summary>
    public void OnLoaded()
    {
        foreach (TransactionMetadata metadata in _transactions.Values)
        {
            if (metadata.State is TransactionState.PrepareCommit or TransactionState.PrepareAbort)
            {
                SendMarkersAfterWrite(metadata);
            }
        }

        ScheduleAbortTimedOut();
        ScheduleExpireTransactionalIds();
    }

    public void RunExpiredTimers()
    {
        long now = NowMs;
        while (Timers.TakeExpired(now) is { } callback)
        {
            callback();
        }
    }

    public void Unload(ErrorCode error)
    {
        Timers.Clear();
        _transactions.Clear();
    }

    /// <summary>Writes <paramref name="transition"/> for <paramref name="metadata"/> and applies it.</summary>
    private void Write(TransactionMetadata metadata, TransactionTransition transition)
    {
        metadata.Apply(transition);
        _transactions[metadata.TransactionalId] = metadata;
        Effects.Append(new TransactionLogRecord(metadata.TransactionalId, transition.Value));
    }

    /// <summary>Once the PrepareCommit / PrepareAbort just written is durable, its markers go out.</summary>
    private void SendMarkersAfterWrite(TransactionMetadata metadata)
    {
        var job = new TransactionMarkerJob(
            Partition,
            CoordinatorEpoch,
            metadata.TransactionalId,
            metadata.ProducerId,
            metadata.ProducerEpoch,
            metadata.State == TransactionState.PrepareCommit,
            [.. metadata.Partitions]);
        Effects.AfterWrite(() => _markers.Send(job));
    }

    private bool ValidTimeout(int timeoutMs) => timeoutMs > 0 && timeoutMs <= _options.TransactionMaxTimeoutMs;
}
