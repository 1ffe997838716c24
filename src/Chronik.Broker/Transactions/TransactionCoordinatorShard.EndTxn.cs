using Chronik.Protocol.Wire;

namespace Chronik.Broker.Transactions;

/// <summary>What EndTxn decided: the error, and (transaction version 2) the producer id and epoch the client continues with.</summary>
public readonly record struct EndTxnResult(ErrorCode Error, long ProducerId, short ProducerEpoch, bool NeedsProducerId = false)
{
    public static EndTxnResult Failed(ErrorCode error) => new(error, TransactionMetadata.NoProducerId, TransactionMetadata.NoProducerEpoch);
}

/// <summary>EndTxn and what follows it: markers, then CompleteCommit / CompleteAbort.</summary>
public sealed partial class TransactionCoordinatorShard
{
    /// <summary>
    /// Kafka's handleEndTransaction. An ongoing transaction moves to PrepareCommit / PrepareAbort; once that record
    /// is durable the client is answered and the markers go out, and the transaction completes when every
    /// partition has its marker. A retry of a transaction that already ended the same way answers NONE; one that
    /// is still writing its markers CONCURRENT_TRANSACTIONS; any other combination INVALID_TXN_STATE.
    /// <paramref name="clientTransactionVersion"/> 2 (EndTxn v5, KIP-890 part 2) bumps the epoch on every end
    /// and allows aborting when no transaction is open; when the bump exhausts the epoch a new producer id is
    /// needed (<paramref name="nextProducerId"/>, else <see cref="EndTxnResult.NeedsProducerId"/>).
    /// </summary>
    public EndTxnResult EndTransaction(string transactionalId, long producerId, short producerEpoch, bool commit, short clientTransactionVersion, long? nextProducerId = null)
    {
        if (transactionalId.Length == 0)
        {
            return EndTxnResult.Failed(ErrorCode.InvalidRequest);
        }

        TransactionMetadata? metadata = Get(transactionalId);
        if (metadata is null)
        {
            return EndTxnResult.Failed(ErrorCode.InvalidProducerIdMapping);
        }

        return TransactionMetadata.SupportsEpochBump(clientTransactionVersion)
            ? EndTransactionV2(metadata, producerId, producerEpoch, commit, clientTransactionVersion, nextProducerId)
            : EndTransactionV1(metadata, producerId, producerEpoch, commit);
    }

    /// <summary>
    /// The markers of the transaction are all written: the transaction completes, unless the shard moved on
    /// meanwhile (another coordinator epoch, producer or state), in which case nothing happens.
    /// </summary>
    public void CompleteTransaction(TransactionMarkerJob job)
    {
        TransactionMetadata? metadata = Get(job.TransactionalId);
        var expected = job.Committed ? TransactionState.PrepareCommit : TransactionState.PrepareAbort;
        if (job.CoordinatorEpoch != CoordinatorEpoch || metadata is null || metadata.State != expected
            || metadata.ProducerId != job.ProducerId || metadata.ProducerEpoch != job.ProducerEpoch)
        {
            return;
        }

        Write(metadata, metadata.PrepareComplete(NowMs));
    }

    private EndTxnResult EndTransactionV1(TransactionMetadata metadata, long producerId, short producerEpoch, bool commit)
    {
        if (metadata.ProducerId != producerId)
        {
            return EndTxnResult.Failed(ErrorCode.InvalidProducerIdMapping);
        }

        if (producerEpoch != metadata.ProducerEpoch)
        {
            return EndTxnResult.Failed(ErrorCode.ProducerFenced);
        }

        switch (metadata.State)
        {
            case TransactionState.Ongoing:
                Write(metadata, metadata.PrepareAbortOrCommit(commit ? TransactionState.PrepareCommit : TransactionState.PrepareAbort, 0, TransactionMetadata.NoProducerId, NowMs, noPartitionAdded: false));
                SendMarkersAfterWrite(metadata);
                return Succeeded(metadata);
            case TransactionState.CompleteCommit when commit:
            case TransactionState.CompleteAbort when !commit:
                return Succeeded(metadata);
            case TransactionState.PrepareCommit when commit:
            case TransactionState.PrepareAbort when !commit:
                return EndTxnResult.Failed(ErrorCode.ConcurrentTransactions);
            default:
                return EndTxnResult.Failed(ErrorCode.InvalidTxnState);
        }
    }

    /// <summary>Kafka's transaction version 2 rules (its table: Retry = the epoch before the bump, Current = the epoch now).</summary>
    private EndTxnResult EndTransactionV2(TransactionMetadata metadata, long producerId, short producerEpoch, bool commit, short clientTransactionVersion, long? nextProducerId)
    {
        // A retry of an end that overflowed the epoch (the id already rotated), or of one that bumped it.
        bool retryOnOverflow = metadata.PreviousProducerId == producerId && producerEpoch == short.MaxValue - 1 && metadata.ProducerEpoch == 0;
        bool retryOnEpochBump = metadata.ProducerEpoch == producerEpoch + 1;
        bool validEpoch = metadata.State switch
        {
            TransactionState.PrepareCommit or TransactionState.PrepareAbort => retryOnEpochBump,
            TransactionState.CompleteCommit or TransactionState.CompleteAbort => retryOnEpochBump || retryOnOverflow || producerEpoch == metadata.ProducerEpoch,
            _ => producerEpoch == metadata.ProducerEpoch,
        };
        bool isRetry = retryOnEpochBump || retryOnOverflow;
        if (metadata.ProducerId != producerId && !retryOnOverflow)
        {
            return EndTxnResult.Failed(ErrorCode.InvalidProducerIdMapping);
        }

        if (!validEpoch)
        {
            return EndTxnResult.Failed(ErrorCode.ProducerFenced);
        }

        switch (metadata.State)
        {
            case TransactionState.Ongoing:
                return Prepare(commit ? TransactionState.PrepareCommit : TransactionState.PrepareAbort, noPartitionAdded: false);
            case TransactionState.CompleteCommit:
                return commit
                    ? isRetry ? Succeeded(metadata) : EndTxnResult.Failed(ErrorCode.InvalidTxnState)
                    : isRetry ? EndTxnResult.Failed(ErrorCode.InvalidTxnState) : Prepare(TransactionState.PrepareAbort, noPartitionAdded: true);
            case TransactionState.CompleteAbort:
                return commit
                    ? EndTxnResult.Failed(ErrorCode.InvalidTxnState)
                    : isRetry ? Succeeded(metadata) : Prepare(TransactionState.PrepareAbort, noPartitionAdded: true);
            case TransactionState.PrepareCommit:
                return EndTxnResult.Failed(commit ? ErrorCode.ConcurrentTransactions : ErrorCode.InvalidTxnState);
            case TransactionState.PrepareAbort:
                return EndTxnResult.Failed(commit ? ErrorCode.InvalidTxnState : ErrorCode.ConcurrentTransactions);
            case TransactionState.Empty:
                return commit ? EndTxnResult.Failed(ErrorCode.InvalidTxnState) : Prepare(TransactionState.PrepareAbort, noPartitionAdded: true);
            default:
                throw new InvalidOperationException($"{metadata.TransactionalId} is {metadata.State}, a state it can never be found in");
        }

        EndTxnResult Prepare(TransactionState next, bool noPartitionAdded)
        {
            long rotateTo = TransactionMetadata.NoProducerId;
            if (metadata.IsProducerEpochExhausted)
            {
                if (nextProducerId is not { } fresh)
                {
                    return new EndTxnResult(ErrorCode.None, TransactionMetadata.NoProducerId, TransactionMetadata.NoProducerEpoch, NeedsProducerId: true);
                }

                rotateTo = fresh;
            }

            Write(metadata, metadata.PrepareAbortOrCommit(next, clientTransactionVersion, rotateTo, NowMs, noPartitionAdded));
            SendMarkersAfterWrite(metadata);
            return Succeeded(metadata);
        }
    }

    /// <summary>The producer id and epoch the client continues with: the next id at epoch 0 when the epoch overflowed.</summary>
    private static EndTxnResult Succeeded(TransactionMetadata metadata) =>
        metadata.NextProducerId != TransactionMetadata.NoProducerId
            ? new EndTxnResult(ErrorCode.None, metadata.NextProducerId, 0)
            : new EndTxnResult(ErrorCode.None, metadata.ProducerId, metadata.ProducerEpoch);
}
