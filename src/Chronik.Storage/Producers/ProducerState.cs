using System.Runtime.CompilerServices;
using Chronik.Protocol.Records;

namespace Chronik.Storage.Producers;

/// <summary>The last <see cref="ProducerState.BatchesToRetain"/> batches of a producer, oldest first (a ring, stored inline).</summary>
[InlineArray(ProducerState.BatchesToRetain)]
internal struct BatchRing
{
    private BatchMetadata _element0;
}

/// <summary>
/// The state of one producer id in one partition (Kafka's ProducerStateEntry): its epoch, the metadata of its last
/// five batches (the most a producer has in flight: max.in.flight.requests.per.connection ≤ 5 with idempotence),
/// the epoch of the transaction coordinator that wrote its last marker, its last timestamp, and the first offset
/// of its open transaction. A value type, stored inline in the producer map, so a produce allocates nothing and
/// an append's changes are staged on a copy that is discarded when a later check fails.
/// </summary>
internal struct ProducerState
{
    public const int BatchesToRetain = 5;

    private BatchRing _batches;
    private int _head;
    private int _count;

    public short Epoch;

    public int CoordinatorEpoch;

    public long LastTimestamp;

    /// <summary>First offset of the producer's open transaction, -1 when none.</summary>
    public long CurrentTxnFirstOffset;

    /// <summary>A producer the partition has no record of (Kafka's ProducerStateEntry.empty).</summary>
    public static ProducerState Empty => new()
    {
        Epoch = RecordBatchHeader.NoProducerEpoch,
        CoordinatorEpoch = -1,
        LastTimestamp = RecordBatchHeader.NoTimestamp,
        CurrentTxnFirstOffset = -1,
    };

    public readonly int BatchCount => _count;

    public readonly bool IsEmpty => _count == 0;

    public readonly bool HasOngoingTransaction => CurrentTxnFirstOffset >= 0;

    public readonly int LastSequence => _count == 0 ? Sequences.None : Batch(_count - 1).LastSequence;

    public readonly long LastDataOffset => _count == 0 ? -1 : Batch(_count - 1).LastOffset;

    /// <summary>The <paramref name="index"/>-th retained batch, 0 being the oldest.</summary>
    public readonly BatchMetadata Batch(int index) => _batches[(_head + index) % BatchesToRetain];

    /// <summary>The retained batch with exactly this sequence range in this epoch: a retry of it (ProducerStateEntry.findDuplicateBatch).</summary>
    public readonly bool TryFindDuplicate(short epoch, int firstSequence, int lastSequence, out BatchMetadata batch)
    {
        if (epoch == Epoch)
        {
            for (int i = 0; i < _count; i++)
            {
                batch = Batch(i);
                if (batch.LastSequence == lastSequence && batch.FirstSequence == firstSequence)
                {
                    return true;
                }
            }
        }

        batch = default;
        return false;
    }

    /// <summary>A new epoch forgets the batches of the old one.</summary>
    public void MaybeUpdateEpoch(short epoch)
    {
        if (Epoch != epoch)
        {
            _count = 0;
            _head = 0;
            Epoch = epoch;
        }
    }

    public void AddBatch(short epoch, int lastSequence, long lastOffset, int offsetDelta, long timestamp)
    {
        MaybeUpdateEpoch(epoch);
        AddBatchMetadata(new BatchMetadata(lastSequence, lastOffset, offsetDelta, timestamp));
        LastTimestamp = timestamp;
    }

    /// <summary>Keeps <paramref name="batch"/> as the newest, dropping the oldest when five are kept already.</summary>
    public void AddBatchMetadata(BatchMetadata batch)
    {
        if (_count == BatchesToRetain)
        {
            _batches[_head] = batch;
            _head = (_head + 1) % BatchesToRetain;
        }
        else
        {
            _batches[(_head + _count) % BatchesToRetain] = batch;
            _count++;
        }
    }

    /// <summary>A transaction marker ended the open transaction (ProducerStateEntry.update after appendEndTxnMarker).</summary>
    public void EndTransaction(short epoch, int coordinatorEpoch, long timestamp)
    {
        MaybeUpdateEpoch(epoch);
        CoordinatorEpoch = coordinatorEpoch;
        CurrentTxnFirstOffset = -1;
        LastTimestamp = timestamp;
    }
}
