namespace Chronik.Storage.Cleaner;

/// <summary>How a transactional batch ended, as far as the cleaned range shows.</summary>
internal enum TransactionOutcome
{
    Committed,
    Aborted,

    /// <summary>No marker follows within the range: the transaction may still be open, so nothing is decided.</summary>
    Undecided,
}

/// <summary>
/// The transaction markers of the range being cleaned, per producer, in offset order. A transactional batch
/// belongs to the first marker of its producer after it. Kafka reads this from the aborted-transaction index;
/// until Chronik has one, the cleaner finds the markers in a header pass over the range.
/// </summary>
internal sealed class TransactionOutcomes
{
    private readonly Dictionary<long, List<(long Offset, bool Commit)>> _markers = [];

    public void AddMarker(long producerId, long offset, bool commit)
    {
        if (!_markers.TryGetValue(producerId, out var list))
        {
            list = [];
            _markers[producerId] = list;
        }

        list.Add((offset, commit));
    }

    public TransactionOutcome OutcomeOf(long producerId, long batchOffset)
    {
        if (!_markers.TryGetValue(producerId, out var list))
        {
            return TransactionOutcome.Undecided;
        }

        int lo = 0;
        int hi = list.Count - 1;
        int found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (list[mid].Offset > batchOffset)
            {
                found = mid;
                hi = mid - 1;
            }
            else
            {
                lo = mid + 1;
            }
        }

        return found < 0 ? TransactionOutcome.Undecided : list[found].Commit ? TransactionOutcome.Committed : TransactionOutcome.Aborted;
    }
}
