using Chronik.Protocol.Wire;
using Chronik.Storage.Producers;
using static Chronik.Storage.Tests.Producers.ProducerBatches;

namespace Chronik.Storage.Tests.Producers;

/// <summary>What producer state tracks of transactions: open ones, markers, the inputs of the last stable offset.</summary>
public class TransactionStateTests
{
    [Fact]
    public void An_open_transaction_holds_the_last_stable_offset_until_its_marker_is_below_the_high_watermark()
    {
        using var fx = new StorageFixture();
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp());
        log.Append(TestBatches.Values(2, 10), 0);
        log.Append(Idempotent(7, 0, 0, count: 2, transactional: true), 0);
        log.Append(Idempotent(8, 0, 0, transactional: true), 0);
        log.Append(Idempotent(7, 0, 2, transactional: true), 0);
        log.UpdateHighWatermark(log.LogEndOffset);
        Assert.Equal(2, log.FirstUnstableOffset);
        Assert.Equal(2, log.LastStableOffset);
        Assert.Equal(2, log.ActiveProducers().Single(p => p.ProducerId == 7).CurrentTxnStartOffset);

        log.Append(Marker(7, 0, commit: true, coordinatorEpoch: 3), 0, AppendOrigin.Coordinator);
        var seven = log.ActiveProducers().Single(p => p.ProducerId == 7);
        Assert.Equal((-1L, 3, 2), (seven.CurrentTxnStartOffset, seven.CoordinatorEpoch, seven.LastSequence));

        // Producer 7's marker (offset 6) is above the high watermark: its transaction still counts as unstable.
        Assert.Equal(2, log.FirstUnstableOffset);
        log.UpdateHighWatermark(log.LogEndOffset);
        Assert.Equal(4, log.FirstUnstableOffset);
        Assert.Equal(4, log.LastStableOffset);

        log.Append(Marker(8, 0, commit: false), 0, AppendOrigin.Coordinator);
        log.UpdateHighWatermark(log.LogEndOffset);
        Assert.Equal(-1, log.FirstUnstableOffset);
        Assert.Equal(log.HighWatermark, log.LastStableOffset);
    }

    [Fact]
    public void A_non_transactional_batch_during_an_open_transaction_is_invalid_txn_state()
    {
        using var fx = new StorageFixture();
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp());
        Assert.False(log.HasOngoingTransaction(7, 0));
        log.Append(Idempotent(7, 0, 0, transactional: true), 0);
        Assert.True(log.HasOngoingTransaction(7, 0));
        Assert.False(log.HasOngoingTransaction(7, 1));
        var error = Assert.Throws<StorageException>(() => log.Append(Idempotent(7, 0, 1), 0));
        Assert.Equal(ErrorCode.InvalidTxnState, error.ErrorCode);
        Assert.Equal(1, log.LogEndOffset);
        Assert.Equal(1, log.Append(Idempotent(7, 0, 1, transactional: true), 0).FirstOffset);
    }

    [Fact]
    public void Markers_from_an_older_coordinator_or_producer_epoch_are_fenced()
    {
        using var fx = new StorageFixture();
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp());
        log.Append(Idempotent(7, 2, 0, transactional: true), 0);
        log.Append(Marker(7, 2, commit: true, coordinatorEpoch: 5), 0, AppendOrigin.Coordinator);
        log.Append(Idempotent(7, 2, 1, transactional: true), 0);

        Assert.Equal(ErrorCode.TransactionCoordinatorFenced, Assert.Throws<StorageException>(() => log.Append(Marker(7, 2, commit: true, coordinatorEpoch: 4), 0, AppendOrigin.Coordinator)).ErrorCode);
        Assert.Equal(ErrorCode.InvalidProducerEpoch, Assert.Throws<StorageException>(() => log.Append(Marker(7, 1, commit: true, coordinatorEpoch: 5), 0, AppendOrigin.Coordinator)).ErrorCode);
        log.UpdateHighWatermark(log.LogEndOffset);
        Assert.Equal(2, log.FirstUnstableOffset);

        // A follower applies what the leader wrote, fenced or not.
        using var other = new StorageFixture();
        var follower = other.Manager.GetOrCreateLog(StorageFixture.Tp());
        follower.AppendAsFollower(AtOffset(Idempotent(7, 2, 0, transactional: true), 0));
        follower.AppendAsFollower(AtOffset(Marker(7, 1, commit: false, coordinatorEpoch: 0), 1));
        Assert.Equal(-1, Assert.Single(follower.ActiveProducers()).CurrentTxnStartOffset);
    }

    [Fact]
    public void Transaction_version_2_markers_need_a_bumped_epoch_but_a_retried_marker_passes()
    {
        using var fx = new StorageFixture();
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp());
        log.Append(Idempotent(7, 4, 0, transactional: true), 0);
        Assert.Equal(ErrorCode.InvalidProducerEpoch, Assert.Throws<StorageException>(() => log.Append(Marker(7, 4, commit: true), 0, AppendOrigin.Coordinator, transactionVersion: 2)).ErrorCode);

        log.Append(Marker(7, 5, commit: true), 0, AppendOrigin.Coordinator, transactionVersion: 2);
        log.Append(Marker(7, 5, commit: true), 0, AppendOrigin.Coordinator, transactionVersion: 2);
        Assert.Equal(5, Assert.Single(log.ActiveProducers()).ProducerEpoch);
        log.UpdateHighWatermark(log.LogEndOffset);
        Assert.Equal(-1, log.FirstUnstableOffset);
    }

    [Fact]
    public void Open_transactions_survive_a_restart()
    {
        using var fx = new StorageFixture();
        var tp = StorageFixture.Tp();
        var log = fx.Manager.GetOrCreateLog(tp);
        log.Append(TestBatches.Values(1, 10), 0);
        log.Append(Idempotent(7, 0, 0, transactional: true), 0);
        log.Append(Idempotent(8, 0, 0, transactional: true), 0);
        log.Append(Marker(8, 0, commit: true), 0, AppendOrigin.Coordinator);
        log.UpdateHighWatermark(log.LogEndOffset);

        log = fx.Reopen().GetOrCreateLog(tp);
        Assert.Equal(1, log.FirstUnstableOffset);
        Assert.Equal(1, log.LastStableOffset);

        log = fx.ReopenAfterCrash(() => Array.ForEach(Directory.GetFiles(fx.PartitionDirectory(tp), "*.snapshot"), File.Delete)).GetOrCreateLog(tp);
        Assert.Equal(1, log.FirstUnstableOffset);
        log.Append(Marker(7, 0, commit: false), 0, AppendOrigin.Coordinator);
        log.UpdateHighWatermark(log.LogEndOffset);
        Assert.Equal(log.HighWatermark, log.LastStableOffset);
    }

    [Fact]
    public void The_last_stable_offset_recorded_for_a_completed_transaction_is_the_next_open_one_of_another_producer()
    {
        var state = new ProducerStateManager(StorageFixture.Tp());
        Apply(state, Idempotent(7, 0, 0, transactional: true), 10);
        Apply(state, Idempotent(8, 0, 0, transactional: true), 11);
        Apply(state, Idempotent(7, 0, 1, transactional: true), 12);
        Assert.False(state.Prepare(Marker(7, 0, commit: false), 13, AppendOrigin.Coordinator, 0, VerificationGuard.None, verificationRequired: false, out _));
        var completed = Assert.Single(state.Commit().ToArray());
        Assert.Equal(new CompletedTransaction(7, 10, 13, IsAborted: true), completed);
        Assert.Equal(11, state.LastStableOffsetAfter(completed));
        state.CompleteTransaction(completed);
        Assert.Equal(11, state.FirstUndecidedOffset);
        Assert.Equal(10, state.FirstUnstableOffset);
        state.OnHighWatermarkUpdated(14);
        Assert.Equal(11, state.FirstUnstableOffset);

        Assert.False(state.Prepare(Marker(8, 0, commit: true), 14, AppendOrigin.Coordinator, 0, VerificationGuard.None, verificationRequired: false, out _));
        var second = Assert.Single(state.Commit().ToArray());
        Assert.Equal(15, state.LastStableOffsetAfter(second));
    }

    [Fact]
    public void A_marker_of_a_producer_without_records_completes_nothing()
    {
        var state = new ProducerStateManager(StorageFixture.Tp());
        Assert.False(state.Prepare(Marker(7, 0, commit: true, coordinatorEpoch: 2), 0, AppendOrigin.Coordinator, 0, VerificationGuard.None, verificationRequired: false, out _));
        Assert.Equal(0, state.Commit().Length);
        Assert.True(state.TryGet(7, out var entry));
        Assert.Equal((0, 2, Sequences.None), (entry.Epoch, entry.CoordinatorEpoch, entry.LastSequence));
    }

    private static void Apply(ProducerStateManager state, byte[] batch, long offset)
    {
        Assert.False(state.Prepare(batch, offset, AppendOrigin.Client, 0, VerificationGuard.None, verificationRequired: false, out _));
        foreach (var transaction in state.Commit())
        {
            state.CompleteTransaction(transaction);
        }
    }
}
