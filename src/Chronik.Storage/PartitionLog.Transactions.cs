using Chronik.Storage.Transactions;

namespace Chronik.Storage;

/// <summary>
/// The aborted-transaction index of the log (Kafka's .txnindex per segment): when a marker aborts a transaction the
/// log records it in the index of the segment holding the marker, with the last stable offset at that moment;
/// read_committed fetches collect the aborted transactions overlapping what they read.
/// </summary>
public sealed partial class PartitionLog
{
    /// <summary>
    /// Kafka's collectAbortedTransactions: the aborted transactions with records in [<paramref name="startOffset"/>,
    /// <paramref name="upperBoundOffset"/>), searched from the segment holding the start offset onwards (a transaction's
    /// entry lives with its marker, which may be in a later segment) until an entry decided at or past the upper
    /// bound shows that no later one can overlap.
    /// </summary>
    public List<AbortedTransaction> CollectAbortedTransactions(long startOffset, long upperBoundOffset)
    {
        var collected = new List<AbortedTransaction>();
        var segments = Segments;
        for (int i = FloorSegment(segments, startOffset); i < segments.Length; i++)
        {
            if (segments[i].TransactionIndex.Collect(startOffset, upperBoundOffset, collected))
            {
                break;
            }
        }

        return collected;
    }

    /// <summary>Under the log lock: an ABORT marker at <see cref="AbortedTransaction.LastOffset"/> ended the transaction.</summary>
    internal void RecordAbortedTransactionLocked(AbortedTransaction transaction)
    {
        var segments = Segments;
        segments[FloorSegment(segments, transaction.LastOffset)].TransactionIndex.Append(transaction);
    }

    /// <summary>Under the log lock: drops the index entries of markers at or after <paramref name="offset"/> (their batches are replayed next).</summary>
    internal void TruncateTransactionIndexesLocked(long offset)
    {
        var segments = Segments;
        for (int i = FloorSegment(segments, offset); i < segments.Length; i++)
        {
            segments[i].TransactionIndex.TruncateTo(offset);
        }
    }
}
