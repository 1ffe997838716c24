using Chronik.Broker.Transactions;
using Chronik.Protocol.Wire;
using Chronik.Storage;
using static Chronik.Broker.Tests.Transactions.TransactionShardHarness;

namespace Chronik.Broker.Tests.Transactions;

public class TransactionCoordinatorShardTests
{
    private readonly TransactionShardHarness _h = new(new TransactionCoordinatorOptions { TransactionMaxTimeoutMs = 900_000, TransactionalIdExpirationMs = 7 * 24 * 3600 * 1000L });

    [Fact]
    public void A_new_transactional_id_gets_a_producer_id_at_epoch_zero_and_each_init_bumps_the_epoch()
    {
        Assert.True(_h.Run(s => s.InitProducerId("t", 60_000, -1, -1, null)).NeedsProducerId);
        Assert.Empty(_h.Written);

        TransactionalProducerIdResult first = _h.Init("t");
        Assert.Equal((ErrorCode.None, 1000L, (short)0), (first.Error, first.ProducerId, first.ProducerEpoch));
        TransactionalProducerIdResult second = _h.Init("t");
        Assert.Equal((ErrorCode.None, 1000L, (short)1), (second.Error, second.ProducerId, second.ProducerEpoch));
        Assert.Equal(TransactionState.Empty, _h.Shard.Get("t")!.State);
        _h.AssertReloadMatches();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(900_001)]
    public void A_timeout_outside_one_to_the_maximum_is_invalid_transaction_timeout(int timeoutMs)
    {
        Assert.Equal(ErrorCode.InvalidTransactionTimeout, _h.Init("t", timeoutMs).Error);
        Assert.Empty(_h.Shard.Transactions);
    }

    [Fact]
    public void An_empty_transactional_id_is_an_invalid_request()
    {
        Assert.Equal(ErrorCode.InvalidRequest, _h.Init("").Error);
        Assert.Equal(ErrorCode.InvalidRequest, _h.Run(s => s.AddPartitions("", 1, 0, [Tp("a")])));
        Assert.Equal(ErrorCode.InvalidRequest, _h.End("", 1, 0, commit: true).Error);
    }

    [Fact]
    public void A_commit_prepares_answers_sends_markers_and_completes_when_they_are_written()
    {
        var (_, pid, epoch, _) = _h.Init("t");
        Assert.Equal(ErrorCode.None, _h.Run(s => s.AddPartitions("t", pid, epoch, [Tp("a", 0), Tp("b", 1)])));
        TransactionMetadata metadata = _h.Shard.Get("t")!;
        Assert.Equal(TransactionState.Ongoing, metadata.State);
        Assert.Equal(_h.Time.GetUtcNow().ToUnixTimeMilliseconds(), metadata.StartTimestampMs);

        EndTxnResult end = _h.End("t", pid, epoch, commit: true);
        Assert.Equal(ErrorCode.None, end.Error);
        Assert.Equal(TransactionState.PrepareCommit, metadata.State);
        TransactionMarkerJob job = Assert.Single(_h.Markers.Jobs);
        Assert.Equal((Partition, CoordinatorEpoch, pid, epoch, true), (job.CoordinatorPartition, job.CoordinatorEpoch, job.ProducerId, job.ProducerEpoch, job.Committed));
        Assert.Equal([Tp("a", 0), Tp("b", 1)], job.Partitions);

        // While the markers are written, the producer's next transaction has to wait.
        Assert.Equal(ErrorCode.ConcurrentTransactions, _h.Run(s => s.AddPartitions("t", pid, epoch, [Tp("a")])));
        Assert.Equal(ErrorCode.ConcurrentTransactions, _h.End("t", pid, epoch, commit: true).Error);
        Assert.Equal(ErrorCode.InvalidTxnState, _h.End("t", pid, epoch, commit: false).Error);
        _h.AssertReloadMatches();

        _h.CompleteMarkers();
        Assert.Equal(TransactionState.CompleteCommit, metadata.State);
        Assert.Empty(metadata.Partitions);
        Assert.Equal(ErrorCode.None, _h.End("t", pid, epoch, commit: true).Error);
        Assert.Equal(ErrorCode.InvalidTxnState, _h.End("t", pid, epoch, commit: false).Error);
        Assert.Equal(ErrorCode.None, _h.Run(s => s.AddPartitions("t", pid, epoch, [Tp("c")])));
        Assert.Equal(TransactionState.Ongoing, metadata.State);
        _h.AssertReloadMatches();
    }

    [Fact]
    public void Adding_partitions_already_in_the_transaction_writes_nothing()
    {
        var (_, pid, epoch, _) = _h.Init("t");
        _h.Run(s => s.AddPartitions("t", pid, epoch, [Tp("a"), Tp("b")]));
        int written = _h.Written.Count;
        Assert.Equal(ErrorCode.None, _h.Run(s => s.AddPartitions("t", pid, epoch, [Tp("b")])));
        Assert.Equal(written, _h.Written.Count);
    }

    [Fact]
    public void Requests_of_another_producer_id_or_epoch_are_refused()
    {
        var (_, pid, epoch, _) = _h.Init("t");
        Assert.Equal(ErrorCode.InvalidProducerIdMapping, _h.Run(s => s.AddPartitions("unknown", pid, epoch, [Tp("a")])));
        Assert.Equal(ErrorCode.InvalidProducerIdMapping, _h.Run(s => s.AddPartitions("t", pid + 1, epoch, [Tp("a")])));
        Assert.Equal(ErrorCode.ProducerFenced, _h.Run(s => s.AddPartitions("t", pid, (short)(epoch + 1), [Tp("a")])));
        _h.Init("t");
        Assert.Equal(ErrorCode.ProducerFenced, _h.Run(s => s.AddPartitions("t", pid, epoch, [Tp("a")])));
        Assert.Equal(ErrorCode.ProducerFenced, _h.End("t", pid, epoch, commit: true).Error);
        Assert.Equal(ErrorCode.InvalidProducerIdMapping, _h.End("unknown", pid, epoch, commit: true).Error);
    }

    [Fact]
    public void Ending_with_no_transaction_open_is_invalid_txn_state()
    {
        var (_, pid, epoch, _) = _h.Init("t");
        Assert.Equal(ErrorCode.InvalidTxnState, _h.End("t", pid, epoch, commit: true).Error);
        Assert.Equal(ErrorCode.InvalidTxnState, _h.End("t", pid, epoch, commit: false).Error);
    }

    [Fact]
    public void Init_during_an_open_transaction_aborts_it_under_a_bumped_epoch_and_asks_the_client_to_retry()
    {
        var (_, pid, epoch, _) = _h.Init("t");
        _h.Run(s => s.AddPartitions("t", pid, epoch, [Tp("a")]));

        Assert.Equal(ErrorCode.ConcurrentTransactions, _h.Init("t").Error);
        TransactionMetadata metadata = _h.Shard.Get("t")!;
        Assert.Equal(TransactionState.PrepareAbort, metadata.State);
        Assert.Equal(epoch + 1, metadata.ProducerEpoch);
        TransactionMarkerJob job = Assert.Single(_h.Markers.Jobs);
        Assert.False(job.Committed);
        Assert.Equal(epoch + 1, job.ProducerEpoch);

        // The fenced producer's requests fail; the new one waits for the abort, then gets the next epoch.
        Assert.Equal(ErrorCode.ProducerFenced, _h.End("t", pid, epoch, commit: true).Error);
        Assert.Equal(ErrorCode.ConcurrentTransactions, _h.Init("t").Error);
        _h.CompleteMarkers();
        Assert.Equal(TransactionState.CompleteAbort, metadata.State);
        TransactionalProducerIdResult again = _h.Init("t");
        Assert.Equal((ErrorCode.None, pid, (short)(epoch + 2)), (again.Error, again.ProducerId, again.ProducerEpoch));
        _h.AssertReloadMatches();
    }

    [Fact]
    public void A_retried_init_with_the_previous_epoch_gets_the_same_epoch_back_and_older_ones_are_fenced()
    {
        var (_, pid, _, _) = _h.Init("t");
        TransactionalProducerIdResult bumped = _h.Init("t", expectedProducerId: pid, expectedEpoch: 0);
        Assert.Equal((ErrorCode.None, (short)1), (bumped.Error, bumped.ProducerEpoch));

        // The response was lost: the producer retries with what it had.
        TransactionalProducerIdResult retried = _h.Init("t", expectedProducerId: pid, expectedEpoch: 0);
        Assert.Equal((ErrorCode.None, (short)1), (retried.Error, retried.ProducerEpoch));

        TransactionalProducerIdResult recovered = _h.Init("t", expectedProducerId: pid, expectedEpoch: 1);
        Assert.Equal((ErrorCode.None, (short)2), (recovered.Error, recovered.ProducerEpoch));
        Assert.Equal(ErrorCode.ProducerFenced, _h.Init("t", expectedProducerId: pid, expectedEpoch: 0).Error);
        Assert.Equal(ErrorCode.ProducerFenced, _h.Init("t", expectedProducerId: pid + 50, expectedEpoch: 2).Error);
    }

    [Fact]
    public void An_exhausted_epoch_rotates_to_a_new_producer_id()
    {
        var (_, pid, _, _) = _h.Init("t");
        for (int i = 1; i < short.MaxValue; i++)
        {
            _h.Init("t");
        }

        Assert.True(_h.Shard.Get("t")!.IsProducerEpochExhausted);
        TransactionalProducerIdResult rotated = _h.Init("t");
        Assert.Equal(ErrorCode.None, rotated.Error);
        Assert.NotEqual(pid, rotated.ProducerId);
        Assert.Equal(0, rotated.ProducerEpoch);
        Assert.Equal(pid, _h.Shard.Get("t")!.PreviousProducerId);
        _h.AssertReloadMatches();
    }

    [Fact]
    public void An_ongoing_transaction_past_its_timeout_is_aborted_and_its_producer_fenced()
    {
        var (_, pid, epoch, _) = _h.Init("t", timeoutMs: 30_000);
        _h.Run(s => s.AddPartitions("t", pid, epoch, [Tp("a")]));
        _h.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(TransactionState.Ongoing, _h.Shard.Get("t")!.State);

        _h.Advance(TimeSpan.FromSeconds(15));
        TransactionMetadata metadata = _h.Shard.Get("t")!;
        Assert.Equal(TransactionState.PrepareAbort, metadata.State);
        Assert.Equal(epoch + 1, metadata.ProducerEpoch);
        _h.CompleteMarkers();
        Assert.Equal(TransactionState.CompleteAbort, metadata.State);
        Assert.Equal(ErrorCode.ProducerFenced, _h.Run(s => s.AddPartitions("t", pid, epoch, [Tp("a")])));
        _h.AssertReloadMatches();
    }

    [Fact]
    public void An_idle_transactional_id_expires_and_one_with_an_open_transaction_does_not()
    {
        var h = new TransactionShardHarness(new TransactionCoordinatorOptions { TransactionalIdExpirationMs = 3_600_000, RemoveExpiredTransactionalIdsIntervalMs = 60_000, TransactionMaxTimeoutMs = int.MaxValue });
        h.Init("idle");
        var (_, pid, epoch, _) = h.Init("busy", timeoutMs: int.MaxValue);
        h.Run(s => s.AddPartitions("busy", pid, epoch, [Tp("a")]));
        h.Advance(TimeSpan.FromMinutes(61));
        Assert.Null(h.Shard.Get("idle"));
        Assert.NotNull(h.Shard.Get("busy"));
        Assert.Null(h.Written[^1].Value);
        h.AssertReloadMatches();
        Assert.Equal(ErrorCode.InvalidProducerIdMapping, h.End("idle", 1000, 0, commit: true).Error);
    }

    [Fact]
    public void Transaction_version_2_bumps_the_epoch_at_every_end_and_answers_retries()
    {
        var (_, pid, epoch, _) = _h.Init("t");
        _h.Run(s => s.AddPartitions("t", pid, epoch, [Tp("a")], 2));
        EndTxnResult end = _h.End("t", pid, epoch, commit: true, transactionVersion: 2);
        Assert.Equal((ErrorCode.None, pid, (short)(epoch + 1)), (end.Error, end.ProducerId, end.ProducerEpoch));
        Assert.Equal(epoch + 1, Assert.Single(_h.Markers.Jobs).ProducerEpoch);

        // A retry (old epoch) while the markers are written waits; once complete it succeeds.
        Assert.Equal(ErrorCode.ConcurrentTransactions, _h.End("t", pid, epoch, commit: true, transactionVersion: 2).Error);
        _h.CompleteMarkers();
        EndTxnResult retry = _h.End("t", pid, epoch, commit: true, transactionVersion: 2);
        Assert.Equal((ErrorCode.None, pid, (short)(epoch + 1)), (retry.Error, retry.ProducerId, retry.ProducerEpoch));
        Assert.Equal(ErrorCode.InvalidTxnState, _h.End("t", pid, epoch, commit: false, transactionVersion: 2).Error);

        // Aborting with nothing open is allowed and bumps again; committing so is not.
        Assert.Equal(ErrorCode.InvalidTxnState, _h.End("t", pid, (short)(epoch + 1), commit: true, transactionVersion: 2).Error);
        EndTxnResult abort = _h.End("t", pid, (short)(epoch + 1), commit: false, transactionVersion: 2);
        Assert.Equal((ErrorCode.None, (short)(epoch + 2)), (abort.Error, abort.ProducerEpoch));
        Assert.Empty(Assert.Single(_h.Markers.Jobs).Partitions);
        _h.CompleteMarkers();
        Assert.Equal(TransactionState.CompleteAbort, _h.Shard.Get("t")!.State);
        _h.AssertReloadMatches();
    }

    [Fact]
    public void Transaction_version_2_rotates_the_producer_id_when_the_end_exhausts_the_epoch()
    {
        var (_, pid, _, _) = _h.Init("t");
        for (int i = 1; i < short.MaxValue - 1; i++)
        {
            _h.Init("t");
        }

        short epoch = _h.Shard.Get("t")!.ProducerEpoch;
        Assert.Equal(short.MaxValue - 2, epoch);
        _h.Run(s => s.AddPartitions("t", pid, epoch, [Tp("a")], 2));
        EndTxnResult first = _h.End("t", pid, epoch, commit: true, transactionVersion: 2);
        Assert.Equal((short)(short.MaxValue - 1), first.ProducerEpoch);
        _h.CompleteMarkers();

        short last = (short)(short.MaxValue - 1);
        _h.Run(s => s.AddPartitions("t", pid, last, [Tp("a")], 2));
        EndTxnResult rotated = _h.End("t", pid, last, commit: true, transactionVersion: 2);
        Assert.Equal(ErrorCode.None, rotated.Error);
        Assert.NotEqual(pid, rotated.ProducerId);
        Assert.Equal(0, rotated.ProducerEpoch);
        TransactionMarkerJob job = Assert.Single(_h.Markers.Jobs);
        Assert.Equal((pid, short.MaxValue), (job.ProducerId, job.ProducerEpoch));
        _h.CompleteMarkers();
        TransactionMetadata metadata = _h.Shard.Get("t")!;
        Assert.Equal((rotated.ProducerId, (short)0, pid), (metadata.ProducerId, metadata.ProducerEpoch, metadata.PreviousProducerId));

        // The client retries the end it did not hear back from: it still succeeds.
        EndTxnResult retry = _h.End("t", pid, (short)(short.MaxValue - 1), commit: true, transactionVersion: 2);
        Assert.Equal((ErrorCode.None, rotated.ProducerId, (short)0), (retry.Error, retry.ProducerId, retry.ProducerEpoch));
        _h.AssertReloadMatches();
    }

    [Fact]
    public void Verification_reports_which_partitions_are_in_the_transaction()
    {
        var (_, pid, epoch, _) = _h.Init("t");
        _h.Run(s => s.AddPartitions("t", pid, epoch, [Tp("a")]));
        var verified = _h.Run(s => s.VerifyPartitions("t", pid, epoch, [Tp("a"), Tp("b")]));
        Assert.Equal(ErrorCode.None, verified[Tp("a")]);
        Assert.Equal(ErrorCode.TransactionAbortable, verified[Tp("b")]);
        Assert.All(_h.Run(s => s.VerifyPartitions("t", pid, (short)(epoch + 1), [Tp("a")])).Values, e => Assert.Equal(ErrorCode.ProducerFenced, e));
        _h.End("t", pid, epoch, commit: false);
        Assert.All(_h.Run(s => s.VerifyPartitions("t", pid, epoch, [Tp("a")])).Values, e => Assert.Equal(ErrorCode.ConcurrentTransactions, e));
    }

    [Fact]
    public void Markers_of_another_coordinator_epoch_or_producer_do_not_complete_the_transaction()
    {
        var (_, pid, epoch, _) = _h.Init("t");
        _h.Run(s => s.AddPartitions("t", pid, epoch, [Tp("a")]));
        _h.End("t", pid, epoch, commit: true);
        TransactionMarkerJob job = Assert.Single(_h.Markers.Jobs);
        _h.Run(s =>
        {
            s.CompleteTransaction(job with { CoordinatorEpoch = CoordinatorEpoch - 1 });
            s.CompleteTransaction(job with { ProducerEpoch = (short)(epoch + 3) });
            s.CompleteTransaction(job with { Committed = false });
            return 0;
        });
        Assert.Equal(TransactionState.PrepareCommit, _h.Shard.Get("t")!.State);
    }

    [Fact]
    public void A_reloaded_coordinator_resends_the_markers_of_transactions_that_were_ending()
    {
        var (_, pid, epoch, _) = _h.Init("t");
        _h.Run(s => s.AddPartitions("t", pid, epoch, [Tp("a"), Tp("b")]));
        _h.End("t", pid, epoch, commit: false);
        _h.Markers.Jobs.Clear();

        _h.Reload();
        TransactionMarkerJob job = Assert.Single(_h.Markers.Jobs);
        Assert.Equal((false, pid, epoch), (job.Committed, job.ProducerId, job.ProducerEpoch));
        Assert.Equal([Tp("a"), Tp("b")], job.Partitions);
        _h.CompleteMarkers();
        Assert.Equal(TransactionState.CompleteAbort, _h.Shard.Get("t")!.State);
    }

    [Fact]
    public void Describe_and_list_report_the_state_by_kafka_names()
    {
        var (_, pid, epoch, _) = _h.Init("t1");
        _h.Init("t2");
        _h.Run(s => s.AddPartitions("t1", pid, epoch, [Tp("a", 1), Tp("a", 0), Tp("b", 2)]));

        var described = _h.Run(s => s.Describe("t1"));
        Assert.Equal(("Ongoing", pid, epoch), (described.TransactionState, described.ProducerId, described.ProducerEpoch));
        Assert.Equal(["a", "b"], described.Topics.Select(t => t.Topic));
        Assert.Equal([0, 1], described.Topics[0].Partitions);
        Assert.Equal((short)ErrorCode.TransactionalIdNotFound, _h.Run(s => s.Describe("nope")).ErrorCode);

        Assert.Equal(["t1", "t2"], _h.Run(s => s.List(new HashSet<TransactionState>(), new HashSet<long>(), -1)).Select(t => t.TransactionalId).Order());
        Assert.Equal(["t2"], _h.Run(s => s.List(new HashSet<TransactionState> { TransactionState.Empty }, new HashSet<long>(), -1)).Select(t => t.TransactionalId));
        Assert.Equal(["t1"], _h.Run(s => s.List(new HashSet<TransactionState>(), new HashSet<long> { pid }, -1)).Select(t => t.TransactionalId));
        _h.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(["t1"], _h.Run(s => s.List(new HashSet<TransactionState>(), new HashSet<long>(), 4_000)).Select(t => t.TransactionalId));
        Assert.Empty(_h.Run(s => s.List(new HashSet<TransactionState>(), new HashSet<long>(), 6_000)));
    }
}
