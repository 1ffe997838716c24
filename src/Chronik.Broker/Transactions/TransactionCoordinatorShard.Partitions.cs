using Chronik.Protocol.Wire;
using Chronik.Storage;

namespace Chronik.Broker.Transactions;

/// <summary>AddPartitionsToTxn (client path v0-3, broker path v4+ with verification, KIP-890) and AddOffsetsToTxn.</summary>
public sealed partial class TransactionCoordinatorShard
{
    /// <summary>
    /// Kafka's handleAddPartitionsToTransaction: the partitions join the producer's transaction, which starts if
    /// none is open. Errors: INVALID_PRODUCER_ID_MAPPING (unknown id, other producer id), PRODUCER_FENCED (other
    /// epoch), CONCURRENT_TRANSACTIONS (the previous transaction is still writing its markers).
    /// </summary>
    public ErrorCode AddPartitions(string transactionalId, long producerId, short producerEpoch, IReadOnlyCollection<TopicPartition> partitions, short clientTransactionVersion = 0)
    {
        ErrorCode error = CheckProducer(transactionalId, producerId, producerEpoch, out TransactionMetadata? metadata);
        if (error != ErrorCode.None)
        {
            return error;
        }

        if (metadata!.State is TransactionState.PrepareCommit or TransactionState.PrepareAbort)
        {
            return ErrorCode.ConcurrentTransactions;
        }

        if (metadata.State == TransactionState.Ongoing && metadata.Partitions.IsSupersetOf(partitions))
        {
            return ErrorCode.None;
        }

        Write(metadata, metadata.PrepareAddPartitions(partitions, NowMs, clientTransactionVersion));
        return ErrorCode.None;
    }

    /// <summary>
    /// Kafka's handleVerifyPartitionsInTransaction (AddPartitionsToTxn v4+ with verify_only, sent by partition
    /// leaders before a transactional append, KIP-890): per partition NONE when it is in the producer's open
    /// transaction, TRANSACTION_ABORTABLE when not; the producer errors of <see cref="AddPartitions"/> otherwise.
    /// </summary>
    public IReadOnlyDictionary<TopicPartition, ErrorCode> VerifyPartitions(string transactionalId, long producerId, short producerEpoch, IReadOnlyCollection<TopicPartition> partitions)
    {
        ErrorCode error = CheckProducer(transactionalId, producerId, producerEpoch, out TransactionMetadata? metadata);
        if (error == ErrorCode.None && metadata!.State is TransactionState.PrepareCommit or TransactionState.PrepareAbort)
        {
            error = ErrorCode.ConcurrentTransactions;
        }

        var result = new Dictionary<TopicPartition, ErrorCode>(partitions.Count);
        foreach (TopicPartition partition in partitions)
        {
            result[partition] = error != ErrorCode.None ? error : metadata!.Partitions.Contains(partition) ? ErrorCode.None : ErrorCode.TransactionAbortable;
        }

        return result;
    }

    private ErrorCode CheckProducer(string transactionalId, long producerId, short producerEpoch, out TransactionMetadata? metadata)
    {
        metadata = null;
        if (transactionalId.Length == 0)
        {
            return ErrorCode.InvalidRequest;
        }

        metadata = Get(transactionalId);
        if (metadata is null || metadata.ProducerId != producerId)
        {
            return ErrorCode.InvalidProducerIdMapping;
        }

        return metadata.ProducerEpoch != producerEpoch ? ErrorCode.ProducerFenced : ErrorCode.None;
    }
}
