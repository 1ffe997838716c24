namespace Chronik.Broker.Transactions;

/// <summary>
/// Where a transactional id's transaction stands (Kafka's TransactionState; the byte is the TransactionStatus
/// field of __transaction_state values, the name what DescribeTransactions and ListTransactions report).
/// </summary>
public enum TransactionState : sbyte
{
    /// <summary>No transaction open (after InitProducerId, or after a completed one).</summary>
    Empty = 0,

    /// <summary>Partitions or offsets were added: records may be in the log.</summary>
    Ongoing = 1,

    /// <summary>EndTxn(commit) was accepted; COMMIT markers are being written.</summary>
    PrepareCommit = 2,

    /// <summary>EndTxn(abort), a timeout or a fencing InitProducerId; ABORT markers are being written.</summary>
    PrepareAbort = 3,

    /// <summary>Every partition has its COMMIT marker.</summary>
    CompleteCommit = 4,

    /// <summary>Every partition has its ABORT marker.</summary>
    CompleteAbort = 5,

    /// <summary>The transactional id expired; its tombstone is being written.</summary>
    Dead = 6,

    /// <summary>Kafka's transient state while an ongoing transaction is fenced (never written: the abort is).</summary>
    PrepareEpochFence = 7,
}

public static class TransactionStates
{
    private static readonly string[] Names = ["Empty", "Ongoing", "PrepareCommit", "PrepareAbort", "CompleteCommit", "CompleteAbort", "Dead", "PrepareEpochFence"];

    /// <summary>The name Kafka reports ("Ongoing", "PrepareCommit", ...).</summary>
    public static string Name(this TransactionState state) => Names[(int)state];

    public static bool TryParse(string name, out TransactionState state)
    {
        int index = Array.IndexOf(Names, name);
        state = index >= 0 ? (TransactionState)index : default;
        return index >= 0;
    }

    /// <summary>Whether a transactional id in this state may expire (no transaction in flight).</summary>
    public static bool IsExpirationAllowed(this TransactionState state) =>
        state is TransactionState.Empty or TransactionState.CompleteCommit or TransactionState.CompleteAbort;

    /// <summary>Kafka's validPreviousStates: whether <paramref name="to"/> may follow <paramref name="from"/>.</summary>
    public static bool CanFollow(this TransactionState to, TransactionState from) => to switch
    {
        TransactionState.Empty => from is TransactionState.Empty or TransactionState.CompleteCommit or TransactionState.CompleteAbort,
        TransactionState.Ongoing => from is TransactionState.Ongoing or TransactionState.Empty or TransactionState.CompleteCommit or TransactionState.CompleteAbort,
        TransactionState.PrepareCommit => from is TransactionState.Ongoing,
        TransactionState.PrepareAbort => from is TransactionState.Ongoing or TransactionState.PrepareEpochFence or TransactionState.Empty or TransactionState.CompleteCommit or TransactionState.CompleteAbort,
        TransactionState.CompleteCommit => from is TransactionState.PrepareCommit,
        TransactionState.CompleteAbort => from is TransactionState.PrepareAbort,
        TransactionState.Dead => from is TransactionState.Empty or TransactionState.CompleteCommit or TransactionState.CompleteAbort,
        TransactionState.PrepareEpochFence => from is TransactionState.Ongoing,
        _ => false,
    };
}
