using Chronik.Protocol.Wire;

namespace Chronik.Broker.Transactions;

/// <summary>What a transactional InitProducerId decided on the shard; <see cref="NeedsProducerId"/> asks the caller to run it again with a fresh producer id.</summary>
public readonly record struct TransactionalProducerIdResult(ErrorCode Error, long ProducerId, short ProducerEpoch, bool NeedsProducerId = false)
{
    public static TransactionalProducerIdResult Failed(ErrorCode error) => new(error, TransactionMetadata.NoProducerId, TransactionMetadata.NoProducerEpoch);

    public static readonly TransactionalProducerIdResult ProducerIdNeeded = new(ErrorCode.None, TransactionMetadata.NoProducerId, TransactionMetadata.NoProducerEpoch, NeedsProducerId: true);
}

/// <summary>InitProducerId for a transactional id (KIP-98, KIP-360 epoch bumps, fencing an open transaction).</summary>
public sealed partial class TransactionCoordinatorShard
{
    /// <summary>
    /// Kafka's handleInitProducerId for a transactional id. A new id (or one whose epochs are exhausted) needs a
    /// producer id: without <paramref name="newProducerId"/> the answer is <see cref="TransactionalProducerIdResult.ProducerIdNeeded"/>
    /// and nothing changes. An open transaction is aborted with a bumped epoch first (fencing the previous producer)
    /// and the caller gets CONCURRENT_TRANSACTIONS, retries, and gets the next epoch once the abort completed.
    /// <paramref name="expectedProducerId"/> / <paramref name="expectedEpoch"/> (v3+, -1 when absent) let a producer
    /// recover after an error without being fenced (KIP-360).
    /// </summary>
    public TransactionalProducerIdResult InitProducerId(string transactionalId, int timeoutMs, long expectedProducerId, short expectedEpoch, long? newProducerId)
    {
        if (transactionalId.Length == 0)
        {
            return TransactionalProducerIdResult.Failed(ErrorCode.InvalidRequest);
        }

        if (!ValidTimeout(timeoutMs))
        {
            return TransactionalProducerIdResult.Failed(ErrorCode.InvalidTransactionTimeout);
        }

        long now = NowMs;
        TransactionMetadata? metadata = Get(transactionalId);
        if (metadata is null)
        {
            if (newProducerId is not { } fresh)
            {
                return TransactionalProducerIdResult.ProducerIdNeeded;
            }

            metadata = new TransactionMetadata(transactionalId, fresh, timeoutMs, now);
        }

        (long Id, short Epoch)? expected = expectedProducerId >= 0 ? (expectedProducerId, expectedEpoch) : null;
        if (expected is { } e && !(metadata.ProducerEpoch == TransactionMetadata.NoProducerEpoch
            || e.Id == metadata.ProducerId
            || (e.Id == metadata.PreviousProducerId && TransactionMetadata.IsEpochExhausted(e.Epoch))))
        {
            return TransactionalProducerIdResult.Failed(ErrorCode.ProducerFenced);
        }

        switch (metadata.State)
        {
            case TransactionState.PrepareCommit or TransactionState.PrepareAbort:
                return TransactionalProducerIdResult.Failed(ErrorCode.ConcurrentTransactions);

            case TransactionState.Ongoing:
                // Abort the open transaction under a bumped epoch (fencing its producer); the client retries and
                // gets the next epoch once the markers are written.
                Write(metadata, metadata.PrepareFenceAndAbort(now));
                SendMarkersAfterWrite(metadata);
                return TransactionalProducerIdResult.Failed(ErrorCode.ConcurrentTransactions);

            case TransactionState.Empty or TransactionState.CompleteCommit or TransactionState.CompleteAbort:
                TransactionTransition transition;
                if (metadata.IsProducerEpochExhausted && (expected is null || expected.Value.Epoch == metadata.ProducerEpoch))
                {
                    if (newProducerId is not { } rotated)
                    {
                        return TransactionalProducerIdResult.ProducerIdNeeded;
                    }

                    transition = metadata.PrepareProducerIdRotation(rotated, timeoutMs, now, recordLastEpoch: expected is not null);
                }
                else
                {
                    try
                    {
                        transition = metadata.PrepareIncrementProducerEpoch(timeoutMs, expected?.Epoch, now);
                    }
                    catch (TransactionCoordinatorException ex)
                    {
                        return TransactionalProducerIdResult.Failed(ex.ErrorCode);
                    }
                }

                Write(metadata, transition);
                return new TransactionalProducerIdResult(ErrorCode.None, metadata.ProducerId, metadata.ProducerEpoch);

            default:
                throw new InvalidOperationException($"{transactionalId} is {metadata.State}, a state it can never be found in");
        }
    }
}
