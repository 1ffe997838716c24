using System.Runtime.InteropServices;
using Chronik.Protocol.Records;
using Chronik.Protocol.Wire;

namespace Chronik.Storage.Producers;

/// <summary>
/// The producer state of one partition (Kafka's ProducerStateManager with ProducerAppendInfo): per producer id its
/// <see cref="ProducerState"/>, the open transactions by first offset, and the completed transactions whose markers
/// are not yet below the high watermark. Pure: no I/O, no clock; the owning log calls it under its lock.
/// <para>
/// An append is two steps. <see cref="Prepare"/> checks every batch that carries a producer id against the state
/// (as Kafka 4 does for the append's origin) and stages the result on copies, or reports that a client batch
/// retries one of the producer's last five batches (a duplicate: nothing is appended, the client gets the original
/// offsets). Nothing changes unless the log then writes the batches and calls <see cref="Commit"/>, so a rejected
/// or failed append leaves the state as it was.
/// </para>
/// Checks (Kafka 4.x, ProducerAppendInfo): a client or coordinator batch with an epoch below the producer's is
/// INVALID_PRODUCER_EPOCH; a client batch of a new epoch must start at sequence 0, one of the current epoch must
/// continue the last sequence (OUT_OF_ORDER_SEQUENCE_NUMBER otherwise) — unless the partition has no state of the
/// producer (expired, or never seen), when any sequence is accepted (KIP-360: Kafka 4 no longer answers
/// UNKNOWN_PRODUCER_ID); a non-transactional batch during the producer's open transaction is INVALID_TXN_STATE;
/// a marker from an older coordinator epoch is TRANSACTION_COORDINATOR_FENCED. Replicated batches (followers,
/// recovery) are applied without checks: the leader decided.
/// <para>
/// Transaction verification (KIP-890 part 1, when the log requires it): a client or coordinator transactional data
/// batch that would open a transaction must present the <see cref="VerificationGuard"/> handed out by
/// <see cref="StartVerification"/> for its producer, else INVALID_TXN_STATE; any transactional batch or marker of the
/// producer clears the guard (Kafka's VerificationStateEntry).
/// </para>
/// </summary>
internal sealed class ProducerStateManager
{
    private readonly TopicPartition _topicPartition;
    private Dictionary<long, ProducerState>? _producers;

    // Open transactions by first offset (Kafka's ongoingTxns) and completed ones whose marker is at or above the
    // high watermark (unreplicatedTxns): both hold the last stable offset back.
    private SortedSet<TransactionSpan>? _ongoing;
    private SortedSet<TransactionSpan>? _unreplicated;

    // The staged effect of the append being prepared; reused, so a produce allocates nothing.
    private List<StagedProducer>? _staged;
    private List<(long FirstOffset, long ProducerId)>? _started;
    private List<CompletedTransaction>? _completed;
    private int _stagedCount;

    // Verifications in progress by producer id: the guard and when it was handed out (expired with the producers).
    private Dictionary<long, (VerificationGuard Guard, long StartedMs)>? _verifications;

    public ProducerStateManager(TopicPartition topicPartition)
    {
        _topicPartition = topicPartition;
    }

    public int ProducerCount => _producers?.Count ?? 0;

    public bool HasOngoingTransactions => _ongoing is { Count: > 0 };

    /// <summary>The first offset of the oldest open transaction, or -1 (Kafka's firstUndecidedOffset).</summary>
    public long FirstUndecidedOffset => First(_ongoing);

    /// <summary>
    /// The first offset that is undecided, or decided by a marker not yet below the high watermark, or -1
    /// (Kafka's firstUnstableOffset). The last stable offset is the smaller of it and the high watermark.
    /// </summary>
    public long FirstUnstableOffset
    {
        get
        {
            long ongoing = First(_ongoing);
            long unreplicated = First(_unreplicated);
            return ongoing < 0 ? unreplicated : unreplicated < 0 ? ongoing : Math.Min(ongoing, unreplicated);
        }
    }

    /// <summary>The state of <paramref name="producerId"/>, if the partition has any.</summary>
    public bool TryGet(long producerId, out ProducerState state)
    {
        if (_producers is not null && _producers.TryGetValue(producerId, out state))
        {
            return true;
        }

        state = default;
        return false;
    }

    /// <summary>
    /// Starts (or joins) a verification of <paramref name="producerId"/>'s transaction before its batch is appended
    /// (Kafka's UnifiedLog.maybeStartTransactionVerification): <see cref="VerificationGuard.None"/> when the producer
    /// already has a transaction open here in <paramref name="epoch"/> (nothing to verify), else the producer's guard,
    /// the same one for concurrent verifications until a transactional batch or marker of the producer clears it.
    /// </summary>
    public VerificationGuard StartVerification(long producerId, short epoch, long nowMs)
    {
        if (TryGet(producerId, out var state) && state.HasOngoingTransaction && state.Epoch == epoch)
        {
            return VerificationGuard.None;
        }

        _verifications ??= [];
        ref var entry = ref CollectionsMarshal.GetValueRefOrAddDefault(_verifications, producerId, out bool exists);
        if (!exists)
        {
            entry = (VerificationGuard.Next(), nowMs);
        }

        return entry.Guard;
    }

    /// <summary>The guard of the verification in progress for <paramref name="producerId"/>, or none.</summary>
    public VerificationGuard VerificationOf(long producerId) =>
        _verifications is not null && _verifications.TryGetValue(producerId, out var entry) ? entry.Guard : VerificationGuard.None;

    public List<ActiveProducer> ActiveProducers()
    {
        var result = new List<ActiveProducer>(ProducerCount);
        if (_producers is not null)
        {
            foreach (var (id, state) in _producers)
            {
                result.Add(new ActiveProducer(id, state.Epoch, state.LastSequence, state.LastTimestamp, state.CoordinatorEpoch, state.CurrentTxnFirstOffset));
            }
        }

        return result;
    }

    /// <summary>Every producer and its state, for a snapshot.</summary>
    public IEnumerable<KeyValuePair<long, ProducerState>> Entries => _producers ?? [];

    /// <summary>
    /// Checks the batches of an append (whole v2 batches in <paramref name="data"/>) and stages their effect.
    /// <paramref name="assignedFirstOffset"/> is the offset the log will give the first batch (consecutive offsets
    /// follow), or -1 when the batches keep their own offsets (replication). Returns true, with the original
    /// batch in <paramref name="duplicate"/>, when a client batch retries a batch the log already has.
    /// With <paramref name="verificationRequired"/>, a transactional data batch that opens a transaction must come
    /// with its producer's <paramref name="verification"/> guard.
    /// Throws <see cref="StorageException"/> with the Kafka error when a check fails.
    /// </summary>
    public bool Prepare(ReadOnlySpan<byte> data, long assignedFirstOffset, AppendOrigin origin, short transactionVersion, VerificationGuard verification, bool verificationRequired, out BatchMetadata duplicate)
    {
        duplicate = default;
        _stagedCount = 0;
        _started?.Clear();
        _completed?.Clear();
        long next = assignedFirstOffset;
        int position = 0;
        while (data.Length - position >= RecordBatchHeader.Size)
        {
            var header = data[position..];
            int size = RecordBatchHeader.TotalSize(header);
            long baseOffset = assignedFirstOffset >= 0 ? next : RecordBatchHeader.BaseOffset(header);
            next = baseOffset + RecordBatchHeader.LastOffsetDelta(header) + 1L;
            if (RecordBatchHeader.ProducerId(header) >= 0)
            {
                var batch = ProducerBatch.FromHeader(header, baseOffset);
                if (origin == AppendOrigin.Client && TryGet(batch.ProducerId, out var current)
                    && current.TryFindDuplicate(batch.Epoch, batch.BaseSequence, batch.LastSequence, out duplicate))
                {
                    _stagedCount = 0;
                    return true;
                }

                var marker = batch.IsControl ? ProducerBatch.ReadMarker(header[..size]) : null;
                Stage(batch, marker, origin, transactionVersion, verificationRequired ? verification : null);
            }

            position += size;
        }

        return false;
    }

    /// <summary>
    /// Applies what <see cref="Prepare"/> staged (the log wrote the batches) and returns the transactions the
    /// append's markers completed. The caller completes each with <see cref="CompleteTransaction"/>, in order.
    /// </summary>
    public ReadOnlySpan<CompletedTransaction> Commit()
    {
        if (_stagedCount == 0)
        {
            return [];
        }

        _producers ??= [];
        var staged = CollectionsMarshal.AsSpan(_staged)[.._stagedCount];
        foreach (ref readonly var entry in staged)
        {
            CollectionsMarshal.GetValueRefOrAddDefault(_producers, entry.ProducerId, out _) = entry.State;

            // A transactional batch opened or continued the transaction, a marker ended it: either way the
            // verification is spent (Kafka's UnifiedLog.updateProducers).
            if (entry.WroteTransactional)
            {
                _verifications?.Remove(entry.ProducerId);
            }
        }

        if (_started is { Count: > 0 })
        {
            _ongoing ??= new SortedSet<TransactionSpan>(TransactionSpan.ByFirstOffset);
            foreach (var (firstOffset, producerId) in _started)
            {
                _ongoing.Add(new TransactionSpan(firstOffset, producerId, -1));
            }
        }

        _stagedCount = 0;
        return _completed is null ? [] : CollectionsMarshal.AsSpan(_completed);
    }

    /// <summary>
    /// The last stable offset to record with a completed transaction in the aborted-transaction index: the first
    /// offset of the oldest open transaction of another producer, else the offset after the marker (Kafka's
    /// ProducerStateManager.lastStableOffset(CompletedTxn)).
    /// </summary>
    public long LastStableOffsetAfter(CompletedTransaction transaction)
    {
        if (_ongoing is not null)
        {
            foreach (var open in _ongoing)
            {
                if (open.ProducerId != transaction.ProducerId)
                {
                    return open.FirstOffset;
                }
            }
        }

        return transaction.LastOffset + 1;
    }

    /// <summary>The transaction is decided; it holds the last stable offset back until its marker is below the high watermark.</summary>
    public void CompleteTransaction(CompletedTransaction transaction)
    {
        if (_ongoing is not null && _ongoing.Remove(new TransactionSpan(transaction.FirstOffset, transaction.ProducerId, -1)))
        {
            _unreplicated ??= new SortedSet<TransactionSpan>(TransactionSpan.ByFirstOffset);
            _unreplicated.Add(new TransactionSpan(transaction.FirstOffset, transaction.ProducerId, transaction.LastOffset));
        }
    }

    /// <summary>Completed transactions whose marker is below <paramref name="highWatermark"/> stop holding the last stable offset back.</summary>
    public void OnHighWatermarkUpdated(long highWatermark) => RemoveUnreplicatedBelow(highWatermark);

    /// <summary>
    /// The log start offset moved (DeleteRecords, retention). Producers stay (KIP-360: their state outlives their
    /// records, until producer.id.expiration.ms), only completed transactions below it are forgotten.
    /// </summary>
    public void OnLogStartOffsetIncremented(long logStartOffset) => RemoveUnreplicatedBelow(logStartOffset);

    /// <summary>
    /// Removes producers idle for <paramref name="expirationMs"/> (producer.id.expiration.ms) by their last
    /// timestamp, except those with an open transaction. Returns how many.
    /// </summary>
    public int RemoveExpired(long nowMs, long expirationMs)
    {
        if (_verifications is { Count: > 0 })
        {
            // Removing while enumerating is allowed for Dictionary since .NET Core 3.0.
            foreach (var (id, entry) in _verifications)
            {
                if (nowMs - entry.StartedMs >= expirationMs)
                {
                    _verifications.Remove(id);
                }
            }
        }

        if (_producers is null)
        {
            return 0;
        }

        List<long>? expired = null;
        foreach (var (id, state) in _producers)
        {
            if (IsExpired(state, nowMs, expirationMs))
            {
                (expired ??= []).Add(id);
            }
        }

        if (expired is null)
        {
            return 0;
        }

        foreach (long id in expired)
        {
            _producers.Remove(id);
        }

        return expired.Count;
    }

    public static bool IsExpired(in ProducerState state, long nowMs, long expirationMs) =>
        !state.HasOngoingTransaction && nowMs - state.LastTimestamp >= expirationMs;

    /// <summary>Forgets everything (truncation reloads from a snapshot; a fully truncated log starts empty).</summary>
    public void Clear()
    {
        _producers?.Clear();
        _verifications?.Clear();
        _ongoing?.Clear();
        _unreplicated?.Clear();
        _stagedCount = 0;
    }

    /// <summary>Adds a producer read from a snapshot; an open transaction in it becomes an ongoing one.</summary>
    public void Load(long producerId, ProducerState state)
    {
        _producers ??= [];
        _producers[producerId] = state;
        if (state.HasOngoingTransaction)
        {
            _ongoing ??= new SortedSet<TransactionSpan>(TransactionSpan.ByFirstOffset);
            _ongoing.Add(new TransactionSpan(state.CurrentTxnFirstOffset, producerId, -1));
        }
    }

    /// <summary>
    /// Applies one stored batch without checks (recovery rebuilding the state from the log, as Kafka's
    /// loadProducersFromRecords with origin REPLICATION). <paramref name="marker"/> is the control batch's marker.
    /// Returns the transaction a marker completed, which the caller completes with <see cref="CompleteTransaction"/>.
    /// </summary>
    public ReadOnlySpan<CompletedTransaction> Replay(in ProducerBatch batch, EndTransactionMarker? marker)
    {
        _stagedCount = 0;
        _started?.Clear();
        _completed?.Clear();
        Stage(batch, marker, AppendOrigin.Replication, transactionVersion: 0, verification: null);
        return Commit();
    }

    private static long First(SortedSet<TransactionSpan>? set) => set is { Count: > 0 } ? set.Min.FirstOffset : -1;

    private void RemoveUnreplicatedBelow(long offset)
    {
        if (_unreplicated is { Count: > 0 })
        {
            _unreplicated.RemoveWhere(t => t.LastOffset < offset);
        }
    }

    /// <summary><paramref name="verification"/> is the presented guard when verification is required, else null.</summary>
    private void Stage(in ProducerBatch batch, EndTransactionMarker? marker, AppendOrigin origin, short transactionVersion, VerificationGuard? verification)
    {
        ref var staged = ref StagedFor(batch.ProducerId);
        staged.WroteTransactional |= batch.IsTransactional;
        if (batch.IsControl)
        {
            // An empty control batch: the cleaner removed the whole transaction, nothing to apply (as Kafka).
            if (marker is { } endMarker)
            {
                AppendEndTransactionMarker(ref staged, batch, endMarker, origin, transactionVersion);
            }
        }
        else
        {
            AppendDataBatch(ref staged, batch, origin, verification);
        }
    }

    private ref StagedProducer StagedFor(long producerId)
    {
        _staged ??= [];
        var staged = CollectionsMarshal.AsSpan(_staged);
        for (int i = 0; i < _stagedCount; i++)
        {
            if (staged[i].ProducerId == producerId)
            {
                return ref staged[i];
            }
        }

        var state = TryGet(producerId, out var current) ? current : ProducerState.Empty;
        var entry = new StagedProducer(producerId, state.Epoch, state);
        if (_stagedCount < _staged.Count)
        {
            _staged[_stagedCount] = entry;
        }
        else
        {
            _staged.Add(entry);
        }

        _stagedCount++;
        return ref CollectionsMarshal.AsSpan(_staged)[_stagedCount - 1];
    }

    private void AppendDataBatch(ref StagedProducer staged, in ProducerBatch batch, AppendOrigin origin, VerificationGuard? verification)
    {
        CheckProducerEpoch(ref staged, batch.Epoch, batch.BaseOffset, origin, transactionVersion: 0);

        // KIP-890 part 1: a batch that would open a transaction here needs the guard of a verification with the
        // coordinator that started before anything ended the transaction (checked after the epoch, as Kafka 4).
        if (verification is { } presented && origin != AppendOrigin.Replication && batch.IsTransactional
            && !(staged.State.HasOngoingTransaction && staged.State.Epoch == batch.Epoch)
            && !VerificationOf(staged.ProducerId).Verifies(presented))
        {
            throw new StorageException(ErrorCode.InvalidTxnState, $"Record from producer {staged.ProducerId} at offset {batch.BaseOffset} in partition {_topicPartition} was not part of an ongoing transaction");
        }

        if (origin == AppendOrigin.Client)
        {
            CheckSequence(ref staged, batch.Epoch, batch.BaseSequence, batch.BaseOffset);
        }

        ref var state = ref staged.State;
        state.AddBatch(batch.Epoch, batch.LastSequence, batch.LastOffset, batch.LastOffsetDelta, batch.MaxTimestamp);
        if (state.HasOngoingTransaction && !batch.IsTransactional)
        {
            if (origin != AppendOrigin.Replication)
            {
                throw new StorageException(ErrorCode.InvalidTxnState, $"Expected transactional write from producer {staged.ProducerId} at offset {batch.BaseOffset} in partition {_topicPartition}");
            }
        }
        else if (!state.HasOngoingTransaction && batch.IsTransactional)
        {
            state.CurrentTxnFirstOffset = batch.BaseOffset;
            (_started ??= []).Add((batch.BaseOffset, staged.ProducerId));
        }
    }

    private void AppendEndTransactionMarker(ref StagedProducer staged, in ProducerBatch batch, EndTransactionMarker marker, AppendOrigin origin, short transactionVersion)
    {
        // Followers do not know the transaction version the leader checked with; the legacy rule is the weaker one.
        CheckProducerEpoch(ref staged, batch.Epoch, batch.BaseOffset, origin, origin == AppendOrigin.Replication ? (short)0 : transactionVersion);
        ref var state = ref staged.State;
        if (state.CoordinatorEpoch > marker.CoordinatorEpoch && origin != AppendOrigin.Replication)
        {
            throw new StorageException(
                ErrorCode.TransactionCoordinatorFenced,
                $"Invalid coordinator epoch for producerId {staged.ProducerId} at offset {batch.BaseOffset} in partition {_topicPartition}: {marker.CoordinatorEpoch} (zombie), {state.CoordinatorEpoch} (current)");
        }

        // Only a transaction with records is completed: an empty one has no effect on the last stable offset.
        if (state.HasOngoingTransaction)
        {
            (_completed ??= []).Add(new CompletedTransaction(staged.ProducerId, state.CurrentTxnFirstOffset, batch.BaseOffset, marker.Type == ControlRecordType.Abort));
        }

        state.EndTransaction(batch.Epoch, marker.CoordinatorEpoch, batch.MaxTimestamp);
    }

    /// <summary>
    /// An epoch below the producer's is fenced (INVALID_PRODUCER_EPOCH since Kafka 2.7, so a client can abort and
    /// retry). Transaction version 2 (KIP-890) markers must carry a bumped epoch; one equal to the current epoch
    /// after the transaction ended is a retried marker and passes (KAFKA-19999).
    /// </summary>
    private void CheckProducerEpoch(ref StagedProducer staged, short epoch, long offset, AppendOrigin origin, short transactionVersion)
    {
        short current = staged.State.Epoch;
        bool invalid = transactionVersion >= 2 ? epoch <= current : epoch < current;
        if (!invalid || origin == AppendOrigin.Replication)
        {
            return;
        }

        if (transactionVersion >= 2 && epoch == current && !staged.State.HasOngoingTransaction)
        {
            return;
        }

        throw new StorageException(
            ErrorCode.InvalidProducerEpoch,
            $"Epoch of producer {staged.ProducerId} at offset {offset} in {_topicPartition} is {epoch}, which is {(transactionVersion >= 2 ? "<=" : "<")} the last seen epoch {current}");
    }

    private void CheckSequence(ref StagedProducer staged, short epoch, int firstSequence, long offset)
    {
        ref readonly var state = ref staged.State;
        if (epoch != state.Epoch)
        {
            if (firstSequence != 0 && state.Epoch != RecordBatchHeader.NoProducerEpoch)
            {
                throw new StorageException(
                    ErrorCode.OutOfOrderSequenceNumber,
                    $"Invalid sequence number for new epoch of producer {staged.ProducerId} at offset {offset} in partition {_topicPartition}: {epoch} (request epoch), {firstSequence} (seq. number), {state.Epoch} (current producer epoch)");
            }

            return;
        }

        // No state before this append (expired, deleted, or never seen): any sequence is accepted (KIP-360).
        int lastSequence = state.LastSequence;
        if (staged.OriginalEpoch != RecordBatchHeader.NoProducerEpoch && !Sequences.Follows(lastSequence, firstSequence))
        {
            throw new StorageException(
                ErrorCode.OutOfOrderSequenceNumber,
                $"Out of order sequence number for producer {staged.ProducerId} at offset {offset} in partition {_topicPartition}: {firstSequence} (incoming seq. number), {lastSequence} (current end sequence number)");
        }
    }

    /// <summary>A transaction by its first offset (the order of both transaction sets); LastOffset is its marker's, -1 while open.</summary>
    private readonly record struct TransactionSpan(long FirstOffset, long ProducerId, long LastOffset)
    {
        public static readonly IComparer<TransactionSpan> ByFirstOffset = Comparer<TransactionSpan>.Create((a, b) => a.FirstOffset.CompareTo(b.FirstOffset));
    }

    /// <summary>A producer's state as an append changes it, and its epoch before the append.</summary>
    private struct StagedProducer(long producerId, short originalEpoch, ProducerState state)
    {
        public readonly long ProducerId = producerId;
        public readonly short OriginalEpoch = originalEpoch;
        public ProducerState State = state;

        /// <summary>The append has a transactional batch or marker of the producer: it spends its verification.</summary>
        public bool WroteTransactional;
    }
}
