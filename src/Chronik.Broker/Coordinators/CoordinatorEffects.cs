using Chronik.Storage.Producers;

namespace Chronik.Broker.Coordinators;

/// <summary>What one write of a shard is: a plain record, a record of a producer's transaction, or a transaction marker.</summary>
public enum CoordinatorWriteKind
{
    Record,
    TransactionalRecord,
    EndTransactionMarker,
}

/// <summary>
/// One entry to append to the coordinator partition; consecutive entries of the same kind and producer share a batch.
/// <paramref name="Verification"/> is the guard of a transactional record whose transaction was verified with its
/// coordinator (KIP-890), presented to the log with the append.
/// </summary>
public readonly record struct CoordinatorWrite<TRecord>(
    CoordinatorWriteKind Kind,
    TRecord? Record,
    TransactionalProducer Producer = default,
    bool Committed = false,
    int CoordinatorEpoch = 0,
    VerificationGuard Verification = default)
    where TRecord : class;

/// <summary>Everything one operation produced, taken from the shard by the runtime.</summary>
public sealed record CoordinatorEffectsBatch<TRecord>(List<CoordinatorWrite<TRecord>> Writes, List<PendingResponse> Responses, List<Action> AfterWrite)
    where TRecord : class
{
    /// <summary>The records written (plain and transactional), in order.</summary>
    public IEnumerable<TRecord> Records => Writes.Where(w => w.Record is not null).Select(w => w.Record!);
}

/// <summary>
/// What one operation of a shard produced besides its direct result: writes to append to the partition,
/// pending responses to deliver once those writes are durable (immediately when there are none), and
/// actions to start once they are durable (a transaction coordinator's markers). The shard fills it; the
/// runtime drains it after every operation. A write that fails drops the actions and fails the responses.
/// </summary>
public sealed class CoordinatorEffects<TRecord>
    where TRecord : class
{
    private List<CoordinatorWrite<TRecord>> _writes = [];
    private List<PendingResponse> _responses = [];
    private List<Action> _afterWrite = [];

    public IReadOnlyList<CoordinatorWrite<TRecord>> Writes => _writes;

    public IReadOnlyList<PendingResponse> Responses => _responses;

    public bool IsEmpty => _writes.Count == 0 && _responses.Count == 0 && _afterWrite.Count == 0;

    public void Append(TRecord record) => _writes.Add(new CoordinatorWrite<TRecord>(CoordinatorWriteKind.Record, record));

    /// <summary>
    /// A record of <paramref name="producer"/>'s transaction: visible once its commit marker is written.
    /// <paramref name="verification"/> is the guard of the verification that the partition is in the transaction.
    /// </summary>
    public void AppendTransactional(TRecord record, TransactionalProducer producer, VerificationGuard verification = default) =>
        _writes.Add(new CoordinatorWrite<TRecord>(CoordinatorWriteKind.TransactionalRecord, record, producer, Verification: verification));

    /// <summary>The COMMIT or ABORT marker ending <paramref name="producer"/>'s transaction on this partition.</summary>
    public void AppendEndTransactionMarker(TransactionalProducer producer, bool committed, int coordinatorEpoch) =>
        _writes.Add(new CoordinatorWrite<TRecord>(CoordinatorWriteKind.EndTransactionMarker, null, producer, committed, coordinatorEpoch));

    /// <summary>Decides <paramref name="pending"/> with <paramref name="response"/>, delivered with these effects.</summary>
    public void Respond<T>(PendingResponse<T> pending, T response)
    {
        if (pending.IsDecided)
        {
            return;
        }

        pending.Decide(response);
        _responses.Add(pending);
    }

    /// <summary>Runs <paramref name="action"/> once this operation's writes are durable (never when they fail).</summary>
    public void AfterWrite(Action action) => _afterWrite.Add(action);

    /// <summary>Takes everything collected so far and starts empty.</summary>
    public CoordinatorEffectsBatch<TRecord> Drain()
    {
        var taken = new CoordinatorEffectsBatch<TRecord>(_writes, _responses, _afterWrite);
        _writes = [];
        _responses = [];
        _afterWrite = [];
        return taken;
    }
}
