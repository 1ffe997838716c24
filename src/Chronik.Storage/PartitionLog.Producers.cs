using Chronik.Storage.Producers;
using Chronik.Storage.Segments;

namespace Chronik.Storage;

/// <summary>
/// Producer state (idempotence and transactions) of the log: the <see cref="ProducerStateManager"/> is checked and
/// updated under the log's lock in the same step that assigns offsets, so a retried batch is recognised exactly
/// when its original is in the log. Snapshots: written at each roll and at a clean shutdown, loaded at open, and the
/// batches after the snapshot replayed (headers only); truncation reloads the newest snapshot below the new end.
/// The aborted-transaction index follows the same path: entries are written as markers complete transactions, and
/// those from the replay's start on are rebuilt by the replay.
/// </summary>
public sealed partial class PartitionLog
{
    private readonly ProducerStateManager _producers;
    private ProducerSnapshots _snapshots = null!;

    // The last stable offset's input, cached for lock-free reads by fetches: -1 when nothing is unstable.
    private long _firstUnstableOffset = -1;

    /// <summary>
    /// The first offset of a transaction that is open, or decided by a marker not yet below the high watermark;
    /// -1 when there is none (Kafka's firstUnstableOffset).
    /// </summary>
    public long FirstUnstableOffset => Volatile.Read(ref _firstUnstableOffset);

    /// <summary>
    /// The last stable offset: read_committed consumers read below it. The first unstable offset when it is below
    /// the high watermark, else the high watermark (Kafka's UnifiedLog.lastStableOffset).
    /// </summary>
    public long LastStableOffset
    {
        get
        {
            long highWatermark = HighWatermark;
            long unstable = FirstUnstableOffset;
            return unstable >= 0 && unstable < highWatermark ? Math.Max(unstable, LogStartOffset) : highWatermark;
        }
    }

    /// <summary>The producers this partition has state for (DescribeProducers).</summary>
    public IReadOnlyList<ActiveProducer> ActiveProducers()
    {
        lock (_lock)
        {
            return _producers.ActiveProducers();
        }
    }

    /// <summary>
    /// Whether <paramref name="producerId"/> has an open transaction in this partition in epoch
    /// <paramref name="producerEpoch"/> (Kafka's UnifiedLog.hasOngoingTransaction, which transaction verification uses).
    /// </summary>
    public bool HasOngoingTransaction(long producerId, short producerEpoch)
    {
        lock (_lock)
        {
            return _producers.TryGet(producerId, out var state) && state.HasOngoingTransaction && state.Epoch == producerEpoch;
        }
    }

    /// <summary>
    /// Starts the verification of a transactional batch of <paramref name="producerId"/> before it is appended (KIP-890
    /// part 1, Kafka's UnifiedLog.maybeStartTransactionVerification): <see cref="VerificationGuard.None"/> when the
    /// producer has its transaction open here in <paramref name="producerEpoch"/> already, or verification is off;
    /// otherwise the guard to append with once the transaction coordinator confirmed the partition is in the
    /// transaction. A marker or transactional batch of the producer appended meanwhile invalidates it.
    /// </summary>
    public VerificationGuard StartTransactionVerification(long producerId, short producerEpoch)
    {
        if (!_services.TransactionVerificationEnabled)
        {
            return VerificationGuard.None;
        }

        lock (_lock)
        {
            ThrowIfClosedLocked();
            return _producers.StartVerification(producerId, producerEpoch, _services.NowMs);
        }
    }

    /// <summary>Producer ids with state in this partition.</summary>
    public int ProducerCount
    {
        get
        {
            lock (_lock)
            {
                return _producers.ProducerCount;
            }
        }
    }

    /// <summary>
    /// Drops the state of producers idle longer than producer.id.expiration.ms (by their last batch timestamp),
    /// except those with an open transaction; the manager's housekeeping runs it periodically. Returns how many.
    /// </summary>
    public int RemoveExpiredProducers()
    {
        lock (_lock)
        {
            return _closed ? 0 : _producers.RemoveExpired(_services.NowMs, _services.ProducerIdExpirationMs);
        }
    }

    /// <summary>
    /// Opening the log: removes stray snapshots, loads the newest snapshot at or below the log end and replays the
    /// batches after it; when it had to replay, writes a snapshot at the log end so the next open starts there.
    /// </summary>
    internal void LoadProducerState(IEnumerable<long> snapshotOffsets)
    {
        lock (_lock)
        {
            _snapshots = new ProducerSnapshots(Directory, snapshotOffsets);
            var segments = Segments;
            var bases = new HashSet<long>(segments.Length);
            foreach (var segment in segments)
            {
                bases.Add(segment.BaseOffset);
            }

            _snapshots.DeleteAbove(LogEndOffset);
            _snapshots.RemoveStrays(bases, segments[^1].BaseOffset);
            if (ReloadProducerStateLocked(LogEndOffset) < LogEndOffset)
            {
                _snapshots.Write(LogEndOffset, _producers, sync: false);
            }
        }
    }

    /// <summary>
    /// Rebuilds producer state for a log ending at <paramref name="logEnd"/>: the newest snapshot at or below it,
    /// then every batch from there (or from the log start) to the end. Returns where the replay started.
    /// </summary>
    private long ReloadProducerStateLocked(long logEnd)
    {
        _producers.Clear();
        long expirationMs = _services.ProducerIdExpirationMs;
        long now = _services.NowMs;
        long snapshot = _snapshots.LoadLatestAtOrBelow(logEnd, _producers, state => !ProducerStateManager.IsExpired(state, now, expirationMs));
        long from = Math.Max(snapshot, LogStartOffset);

        // The aborted-transaction index entries from there on are rebuilt by the replay (after a crash they may be
        // missing, or name markers truncated away).
        TruncateTransactionIndexesLocked(from);
        if (from < logEnd)
        {
            var segments = Segments;
            for (int i = FloorSegment(segments, from); i < segments.Length && segments[i].BaseOffset < logEnd; i++)
            {
                segments[i].VisitBatches(from, logEnd, ReplayBatch);
            }
        }

        _producers.OnHighWatermarkUpdated(HighWatermark);
        RefreshFirstUnstableOffsetLocked();
        return from;
    }

    private void ReplayBatch(in BatchInfo info, SegmentReader reader)
    {
        if (info.ProducerId < 0)
        {
            return;
        }

        var batch = new ProducerBatch(info.ProducerId, info.ProducerEpoch, info.BaseSequence, info.BaseOffset, (int)(info.LastOffset - info.BaseOffset), info.MaxTimestamp, info.IsTransactional, info.IsControl);
        var marker = info.IsControl ? ProducerBatch.ReadMarker(reader.ReadBatch(info)) : null;
        CompleteTransactionsLocked(_producers.Replay(batch, marker));
    }

    /// <summary>
    /// Applies the staged producer state of an append the log just wrote, then completes the transactions its
    /// markers ended (they stay unstable until the high watermark passes their markers).
    /// </summary>
    private void CommitProducerStateLocked()
    {
        CompleteTransactionsLocked(_producers.Commit());
        RefreshFirstUnstableOffsetLocked();
    }

    /// <summary>
    /// Completes the transactions an append's (or a replayed batch's) markers ended, in order; an aborted one is first
    /// recorded in the aborted-transaction index with the last stable offset it leaves (Kafka's updateTxnIndex).
    /// </summary>
    private void CompleteTransactionsLocked(ReadOnlySpan<CompletedTransaction> completed)
    {
        foreach (var transaction in completed)
        {
            if (transaction.IsAborted)
            {
                RecordAbortedTransactionLocked(new Transactions.AbortedTransaction(transaction.ProducerId, transaction.FirstOffset, transaction.LastOffset, _producers.LastStableOffsetAfter(transaction)));
            }

            _producers.CompleteTransaction(transaction);
        }
    }

    private void RefreshFirstUnstableOffsetLocked() => Volatile.Write(ref _firstUnstableOffset, _producers.FirstUnstableOffset);

    /// <summary>
    /// A snapshot at <paramref name="offset"/> (Kafka takes one at every roll and at a clean shutdown), unless the
    /// newest one is there already or there is nothing to keep (an empty log without producers replays nothing).
    /// Fsynced only with <paramref name="sync"/>, see <see cref="ProducerSnapshotFile.Write"/>.
    /// </summary>
    private void SnapshotProducerStateLocked(long offset, bool sync)
    {
        if (offset > _snapshots.Latest && (offset > LogStartOffset || _producers.ProducerCount > 0))
        {
            _snapshots.Write(offset, _producers, sync);
        }
    }

    /// <summary>The append result for a client batch that retries one already in the log: its original offsets, nothing written.</summary>
    private AppendResult DuplicateResult(BatchMetadata original) =>
        new(original.FirstOffset, original.LastOffset, original.Timestamp, original.Timestamp, LogStartOffset, 0, 0, 0, IsDuplicate: true);
}
