using Chronik.Storage;

namespace Chronik.Broker.Transactions;

/// <summary>
/// The markers one ending transaction needs: COMMIT or ABORT, written with the producer id and epoch of its
/// PrepareCommit / PrepareAbort record to every partition of the transaction, stamped with the coordinator epoch
/// (the __transaction_state partition's leader epoch) so partitions can fence a deposed coordinator.
/// </summary>
public sealed record TransactionMarkerJob(
    int CoordinatorPartition,
    int CoordinatorEpoch,
    string TransactionalId,
    long ProducerId,
    short ProducerEpoch,
    bool Committed,
    IReadOnlyList<TopicPartition> Partitions);

/// <summary>
/// Where a transaction coordinator shard hands the markers of a transaction it prepared to end, once the
/// PrepareCommit / PrepareAbort record is durable. The channel writes them (retrying until every partition has
/// its marker) and then completes the transaction on the shard. Must not block.
/// </summary>
public interface ITransactionMarkerChannel
{
    void Send(TransactionMarkerJob job);
}
