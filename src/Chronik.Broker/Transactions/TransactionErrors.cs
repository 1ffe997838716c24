using Chronik.Protocol.Wire;

namespace Chronik.Broker.Transactions;

/// <summary>How transaction errors reach clients of older API versions.</summary>
public static class TransactionErrors
{
    /// <summary>
    /// PRODUCER_FENCED (KIP-588) is answered as INVALID_PRODUCER_EPOCH to versions that predate it, which their
    /// clients handle the same way (Kafka: InitProducerId below v4, AddPartitionsToTxn, AddOffsetsToTxn and EndTxn
    /// below v2).
    /// </summary>
    public static ErrorCode ForVersion(ErrorCode error, short version, short producerFencedSince) =>
        error == ErrorCode.ProducerFenced && version < producerFencedSince ? ErrorCode.InvalidProducerEpoch : error;

    /// <summary>
    /// How a partition leader answers a produce whose transaction verification failed (Kafka's ReplicaManager and
    /// AddPartitionsToTxnManager): TRANSACTION_ABORTABLE is INVALID_TXN_STATE before Produce v11; retriable
    /// coordinator errors become NOT_ENOUGH_REPLICAS, which every client retries without a metadata refresh.
    /// </summary>
    public static (ErrorCode Error, string? Message) ForProduce(ErrorCode error, short version)
    {
        if (error == ErrorCode.TransactionAbortable && version < 11)
        {
            error = ErrorCode.InvalidTxnState;
        }

        return error switch
        {
            ErrorCode.InvalidTxnState => (error, "Partition was not added to the transaction"),
            ErrorCode.NetworkException or ErrorCode.CoordinatorLoadInProgress or ErrorCode.CoordinatorNotAvailable or ErrorCode.NotCoordinator or ErrorCode.ConcurrentTransactions =>
                (ErrorCode.NotEnoughReplicas, $"Unable to verify the partition has been added to the transaction. Underlying error: {error}"),
            _ => (error, null),
        };
    }

    /// <summary>
    /// How the group coordinator answers a TxnOffsetCommit whose transaction verification failed: TRANSACTION_ABORTABLE
    /// is INVALID_TXN_STATE before v4; NETWORK_EXCEPTION, which older clients may not retry, is
    /// COORDINATOR_LOAD_IN_PROGRESS (retried without a coordinator lookup), as Kafka's group coordinator does.
    /// </summary>
    public static ErrorCode ForTxnOffsetCommit(ErrorCode error, short version) => error switch
    {
        ErrorCode.TransactionAbortable when version < 4 => ErrorCode.InvalidTxnState,
        ErrorCode.NetworkException => ErrorCode.CoordinatorLoadInProgress,
        _ => error,
    };
}
