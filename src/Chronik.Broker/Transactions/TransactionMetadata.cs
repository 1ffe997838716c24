using System.Collections.Immutable;
using Chronik.Broker.Transactions.Records;
using Chronik.Protocol.Wire;
using Chronik.Storage;

namespace Chronik.Broker.Transactions;

/// <summary>
/// A decided change of a transactional id's state: the value written to __transaction_state plus
/// <see cref="LastProducerEpoch"/>, which Kafka keeps in memory only (it lets an InitProducerId retry after a
/// lost response get the same epoch back, KIP-360).
/// </summary>
public sealed record TransactionTransition(TransactionLogValue Value, short LastProducerEpoch);

/// <summary>
/// The state of one transactional id (Kafka's TransactionMetadata) as a plain class: every change is computed by
/// a <c>Prepare…</c> method as a <see cref="TransactionTransition"/> — nothing changes — and takes effect with
/// <see cref="Apply"/> once the shard wrote it, or with <see cref="Replay"/> when the record is read back. The
/// checks of Kafka's completeTransitionTo guard every change: an illegal one throws (a bug, never a client error).
/// </summary>
public sealed class TransactionMetadata
{
    /// <summary>Kafka's RecordBatch.NO_PRODUCER_ID and NO_PRODUCER_EPOCH.</summary>
    public const long NoProducerId = -1;
    public const short NoProducerEpoch = -1;

    public TransactionMetadata(string transactionalId, long producerId, int timeoutMs, long nowMs)
    {
        TransactionalId = transactionalId;
        ProducerId = producerId;
        TimeoutMs = timeoutMs;
        LastUpdateTimestampMs = nowMs;
    }

    public string TransactionalId { get; }

    public long ProducerId { get; private set; }

    /// <summary>The producer id before the last rotation (epoch exhausted), -1 when none.</summary>
    public long PreviousProducerId { get; private set; } = NoProducerId;

    /// <summary>The producer id the ending transaction rotates to (KIP-890 epoch overflow), -1 when none.</summary>
    public long NextProducerId { get; private set; } = NoProducerId;

    /// <summary>-1 until the first InitProducerId completed.</summary>
    public short ProducerEpoch { get; private set; } = NoProducerEpoch;

    /// <summary>The epoch before the last bump by a retrying producer (in memory only, as in Kafka).</summary>
    public short LastProducerEpoch { get; private set; } = NoProducerEpoch;

    public int TimeoutMs { get; private set; }

    public TransactionState State { get; private set; } = TransactionState.Empty;

    /// <summary>The partitions of the open (or ending) transaction, in topic-partition order.</summary>
    public ImmutableSortedSet<TopicPartition> Partitions { get; private set; } = ImmutableSortedSet.Create<TopicPartition>(TopicPartitionOrder.Instance);

    /// <summary>When the first partition was added (-1 when no transaction is open).</summary>
    public long StartTimestampMs { get; private set; } = -1;

    public long LastUpdateTimestampMs { get; private set; }

    /// <summary>The transaction version the client last ended a transaction with (2: KIP-890 epoch bump on every end).</summary>
    public short ClientTransactionVersion { get; private set; }

    /// <summary>Kafka keeps Short.MaxValue out of clients' hands so the coordinator can always fence one more time.</summary>
    public static bool IsEpochExhausted(short epoch) => epoch >= short.MaxValue - 1;

    public bool IsProducerEpochExhausted => IsEpochExhausted(ProducerEpoch);

    public bool HasOpenTransaction => State is TransactionState.Ongoing or TransactionState.PrepareCommit or TransactionState.PrepareAbort;

    public static TransactionMetadata FromLog(string transactionalId, TransactionLogValue value)
    {
        var metadata = new TransactionMetadata(transactionalId, value.ProducerId, value.TransactionTimeoutMs, value.LastUpdateTimestampMs);
        metadata.Set(value, NoProducerEpoch);
        return metadata;
    }

    /// <summary>
    /// InitProducerId: a new epoch with no transaction. Without an expected epoch the epoch is bumped and the last
    /// epoch forgotten; with the current (or no) epoch expected — a producer recovering from an error — it is bumped
    /// and remembered; with the remembered last epoch expected — a retry of a bump that succeeded — it stays.
    /// Any other expected epoch is fenced (PRODUCER_FENCED).
    /// </summary>
    public TransactionTransition PrepareIncrementProducerEpoch(int timeoutMs, short? expectedEpoch, long nowMs)
    {
        if (IsProducerEpochExhausted)
        {
            throw new InvalidOperationException($"producer id {ProducerId} of {TransactionalId} has no epochs left");
        }

        short bumped = (short)(ProducerEpoch + 1);
        short epoch;
        short lastEpoch;
        if (expectedEpoch is not { } expected)
        {
            (epoch, lastEpoch) = (bumped, NoProducerEpoch);
        }
        else if (ProducerEpoch == NoProducerEpoch || expected == ProducerEpoch)
        {
            (epoch, lastEpoch) = (bumped, ProducerEpoch);
        }
        else if (expected == LastProducerEpoch)
        {
            (epoch, lastEpoch) = (ProducerEpoch, LastProducerEpoch);
        }
        else
        {
            throw new TransactionCoordinatorException(ErrorCode.ProducerFenced, $"epoch {expected} of {TransactionalId} is neither the current {ProducerEpoch} nor the previous {LastProducerEpoch}");
        }

        return Transition(TransactionState.Empty, ProducerId, PreviousProducerId, NoProducerId, epoch, lastEpoch, timeoutMs, [], -1, nowMs, ClientTransactionVersion);
    }

    /// <summary>InitProducerId with the epoch exhausted: a new producer id at epoch 0.</summary>
    public TransactionTransition PrepareProducerIdRotation(long newProducerId, int timeoutMs, long nowMs, bool recordLastEpoch)
    {
        if (HasOpenTransaction)
        {
            throw new InvalidOperationException($"cannot rotate the producer id of {TransactionalId} while its transaction is {State}");
        }

        return Transition(TransactionState.Empty, newProducerId, ProducerId, NoProducerId, 0, recordLastEpoch ? ProducerEpoch : NoProducerEpoch, timeoutMs, [], -1, nowMs, ClientTransactionVersion);
    }

    /// <summary>AddPartitionsToTxn / AddOffsetsToTxn: the transaction (re)starts or grows.</summary>
    public TransactionTransition PrepareAddPartitions(IEnumerable<TopicPartition> added, long nowMs, short clientTransactionVersion)
    {
        long start = State is TransactionState.Empty or TransactionState.CompleteCommit or TransactionState.CompleteAbort ? nowMs : StartTimestampMs;
        return Transition(TransactionState.Ongoing, ProducerId, PreviousProducerId, NextProducerId, ProducerEpoch, LastProducerEpoch, TimeoutMs, Partitions.Union(added), start, nowMs, clientTransactionVersion);
    }

    /// <summary>
    /// EndTxn (or a timeout / fencing abort): PrepareCommit or PrepareAbort. With transaction version 2 (KIP-890) the
    /// epoch is bumped here, and <paramref name="nextProducerId"/> is the id to rotate to when that exhausts it.
    /// <paramref name="noPartitionAdded"/>: an abort of a transaction that never started (allowed by version 2).
    /// </summary>
    public TransactionTransition PrepareAbortOrCommit(TransactionState next, short clientTransactionVersion, long nextProducerId, long nowMs, bool noPartitionAdded)
    {
        short epoch = ProducerEpoch;
        short lastEpoch = LastProducerEpoch;
        if (SupportsEpochBump(clientTransactionVersion))
        {
            // At Short.MaxValue only an abort can still go through (a broken state must be recoverable).
            if (!(ProducerEpoch == short.MaxValue && next == TransactionState.PrepareAbort))
            {
                epoch = (short)(ProducerEpoch + 1);
            }

            lastEpoch = ProducerEpoch;
        }

        long start = noPartitionAdded ? nowMs : StartTimestampMs;
        return Transition(next, ProducerId, PreviousProducerId, nextProducerId, epoch, lastEpoch, TimeoutMs, Partitions, start, nowMs, clientTransactionVersion);
    }

    /// <summary>
    /// A timeout or a fencing InitProducerId aborts an ongoing transaction with the epoch bumped once (Kafka's
    /// PrepareEpochFence followed by PrepareAbort), so the old producer's requests are fenced.
    /// </summary>
    public TransactionTransition PrepareFenceAndAbort(long nowMs)
    {
        if (State != TransactionState.Ongoing)
        {
            throw new InvalidOperationException($"only an ongoing transaction is fenced; {TransactionalId} is {State}");
        }

        short bumped = ProducerEpoch == short.MaxValue ? ProducerEpoch : (short)(ProducerEpoch + 1);
        return Transition(TransactionState.PrepareAbort, ProducerId, PreviousProducerId, NoProducerId, bumped, NoProducerEpoch, TimeoutMs, Partitions, StartTimestampMs, nowMs, ClientTransactionVersion);
    }

    /// <summary>Every marker is written: CompleteCommit / CompleteAbort, rotating to the next producer id when one was chosen.</summary>
    public TransactionTransition PrepareComplete(long nowMs)
    {
        var state = State == TransactionState.PrepareCommit ? TransactionState.CompleteCommit : TransactionState.CompleteAbort;
        bool rotate = SupportsEpochBump(ClientTransactionVersion) && NextProducerId != NoProducerId;
        return rotate
            ? Transition(state, NextProducerId, ProducerId, NoProducerId, 0, LastProducerEpoch, TimeoutMs, [], StartTimestampMs, nowMs, ClientTransactionVersion)
            : Transition(state, ProducerId, PreviousProducerId, NoProducerId, ProducerEpoch, LastProducerEpoch, TimeoutMs, [], StartTimestampMs, nowMs, ClientTransactionVersion);
    }

    /// <summary>transactional.id.expiration.ms: the id is forgotten (its record is tombstoned).</summary>
    public void CheckCanExpire()
    {
        if (!State.IsExpirationAllowed())
        {
            throw new InvalidOperationException($"{TransactionalId} cannot expire while {State}");
        }
    }

    /// <summary>Takes a transition the shard wrote, after Kafka's completeTransitionTo checks.</summary>
    public void Apply(TransactionTransition transition)
    {
        TransactionLogValue to = transition.Value;
        if (!to.State.CanFollow(State))
        {
            throw new InvalidOperationException($"{TransactionalId}: {to.State} cannot follow {State}");
        }

        bool valid = to.State switch
        {
            TransactionState.Empty => (to.ProducerEpoch == ProducerEpoch || ValidEpochBump(to)) && to.Partitions.Count == 0 && to.StartTimestampMs == -1,
            TransactionState.Ongoing => to.ProducerId == ProducerId && to.ProducerEpoch == ProducerEpoch && Partitions.IsSubsetOf(to.Partitions) && to.TransactionTimeoutMs == TimeoutMs,
            TransactionState.PrepareCommit or TransactionState.PrepareAbort => to.ProducerId == ProducerId && to.TransactionTimeoutMs == TimeoutMs && Partitions.SetEquals(to.Partitions)
                && (to.ProducerEpoch == ProducerEpoch || to.ProducerEpoch == ProducerEpoch + 1),
            TransactionState.CompleteCommit or TransactionState.CompleteAbort => to.TransactionTimeoutMs == TimeoutMs && to.StartTimestampMs != -1
                && (to.ProducerId == ProducerId ? to.ProducerEpoch == ProducerEpoch : to.PreviousProducerId == ProducerId && to.ProducerEpoch == 0),
            _ => false,
        };
        if (!valid || to.LastUpdateTimestampMs < LastUpdateTimestampMs)
        {
            throw new InvalidOperationException($"{TransactionalId}: unexpected transition from {State} (producer {ProducerId}/{ProducerEpoch}) to {to}");
        }

        Set(to, transition.LastProducerEpoch);
    }

    /// <summary>Takes a value read back from the log (loading): no checks, the last epoch is not known.</summary>
    public void Replay(TransactionLogValue value) => Set(value, NoProducerEpoch);

    /// <summary>This metadata as the value a reload would read (for checking that replay rebuilds what was served).</summary>
    public TransactionLogValue ToLogValue() =>
        new(ProducerId, PreviousProducerId, NextProducerId, ProducerEpoch, TimeoutMs, State, [.. Partitions], LastUpdateTimestampMs, StartTimestampMs, ClientTransactionVersion);

    public override string ToString() => $"{TransactionalId}: {State} producer {ProducerId}/{ProducerEpoch} partitions [{string.Join(",", Partitions)}]";

    /// <summary>Transaction version 2 (KIP-890 part 2): the epoch is bumped at the end of every transaction.</summary>
    public static bool SupportsEpochBump(short clientTransactionVersion) => clientTransactionVersion >= 2;

    private bool ValidEpochBump(TransactionLogValue to) =>
        to.ProducerEpoch == (short)(ProducerEpoch + 1) || (to.ProducerEpoch == 0 && to.ProducerId != ProducerId) || to.ProducerEpoch == ProducerEpoch;

    private TransactionTransition Transition(
        TransactionState state,
        long producerId,
        long previousProducerId,
        long nextProducerId,
        short epoch,
        short lastEpoch,
        int timeoutMs,
        IEnumerable<TopicPartition> partitions,
        long startMs,
        long nowMs,
        short clientTransactionVersion)
    {
        if (producerId < 0)
        {
            throw new InvalidOperationException($"illegal producer id {producerId} for {TransactionalId}");
        }

        if (state != TransactionState.Dead && epoch < 0)
        {
            throw new InvalidOperationException($"illegal producer epoch {epoch} for {TransactionalId}");
        }

        var ordered = partitions as ImmutableSortedSet<TopicPartition> ?? ImmutableSortedSet.CreateRange(TopicPartitionOrder.Instance, partitions);
        var value = new TransactionLogValue(producerId, previousProducerId, nextProducerId, epoch, timeoutMs, state, [.. ordered], Math.Max(nowMs, LastUpdateTimestampMs), startMs, clientTransactionVersion);
        return new TransactionTransition(value, lastEpoch);
    }

    private void Set(TransactionLogValue value, short lastEpoch)
    {
        ProducerId = value.ProducerId;
        PreviousProducerId = value.PreviousProducerId;
        NextProducerId = value.NextProducerId;
        ProducerEpoch = value.ProducerEpoch;
        LastProducerEpoch = lastEpoch;
        TimeoutMs = value.TransactionTimeoutMs;
        State = value.State;
        Partitions = ImmutableSortedSet.CreateRange(TopicPartitionOrder.Instance, value.Partitions);
        StartTimestampMs = value.StartTimestampMs;
        LastUpdateTimestampMs = value.LastUpdateTimestampMs;
        ClientTransactionVersion = value.ClientTransactionVersion;
    }
}

/// <summary>A transaction coordinator request failed with a Kafka error.</summary>
public sealed class TransactionCoordinatorException(ErrorCode errorCode, string message) : Exception(message)
{
    public ErrorCode ErrorCode { get; } = errorCode;
}
