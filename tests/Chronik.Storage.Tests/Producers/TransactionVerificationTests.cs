using Chronik.Protocol.Wire;
using Chronik.Storage.Producers;
using Microsoft.Extensions.Time.Testing;
using static Chronik.Storage.Tests.Producers.ProducerBatches;

namespace Chronik.Storage.Tests.Producers;

/// <summary>
/// KIP-890 part 1 on the log: a transactional batch that opens its producer's transaction on a partition needs the
/// guard of a verification started before it, and anything that ends or continues the transaction meanwhile spends
/// the guard (the race a hanging transaction comes from).
/// </summary>
public class TransactionVerificationTests
{
    [Fact]
    public void A_batch_opening_a_transaction_needs_its_producers_guard_and_later_batches_of_the_transaction_do_not()
    {
        using var fx = new StorageFixture(transactionVerification: true);
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp());

        Assert.Equal(ErrorCode.InvalidTxnState, Assert.Throws<StorageException>(() => log.Append(Idempotent(7, 0, 0, transactional: true), 0)).ErrorCode);
        VerificationGuard seven = log.StartTransactionVerification(7, 0);
        VerificationGuard eight = log.StartTransactionVerification(8, 0);
        Assert.False(seven.IsNone);
        Assert.NotEqual(seven, eight);
        Assert.Equal(seven, log.StartTransactionVerification(7, 0));
        Assert.Equal(ErrorCode.InvalidTxnState, Assert.Throws<StorageException>(() => log.Append(Idempotent(7, 0, 0, transactional: true), 0, verification: eight)).ErrorCode);
        Assert.Equal(0, log.LogEndOffset);

        Assert.Equal(0, log.Append(Idempotent(7, 0, 0, transactional: true), 0, verification: seven).FirstOffset);
        Assert.True(log.StartTransactionVerification(7, 0).IsNone, "the transaction is open here: nothing to verify");
        Assert.Equal(1, log.Append(Idempotent(7, 0, 1, transactional: true), 0).FirstOffset);

        // Plain idempotent batches and markers are never verified.
        Assert.Equal(2, log.Append(Idempotent(9, 0, 0), 0).FirstOffset);
        Assert.Equal(3, log.Append(Marker(7, 0, commit: true), 0, AppendOrigin.Coordinator).FirstOffset);
        Assert.Equal(ErrorCode.InvalidTxnState, Assert.Throws<StorageException>(() => log.Append(Idempotent(7, 0, 2, transactional: true), 0)).ErrorCode);
    }

    [Fact]
    public void A_marker_written_between_the_verification_and_the_append_makes_the_append_fail()
    {
        using var fx = new StorageFixture(transactionVerification: true);
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp());
        VerificationGuard verified = log.StartTransactionVerification(7, 0);

        // The coordinator aborted the transaction (timeout, fencing) while the produce waited for its answer.
        log.Append(Marker(7, 0, commit: false), 0, AppendOrigin.Coordinator);
        Assert.Equal(ErrorCode.InvalidTxnState, Assert.Throws<StorageException>(() => log.Append(Idempotent(7, 0, 0, transactional: true), 0, verification: verified)).ErrorCode);
        Assert.True(log.HasOngoingTransaction(7, 0) is false);

        // The retry verifies again and gets a fresh guard.
        VerificationGuard retried = log.StartTransactionVerification(7, 0);
        Assert.NotEqual(verified, retried);
        Assert.Equal(1, log.Append(Idempotent(7, 0, 0, transactional: true), 0, verification: retried).FirstOffset);
        Assert.True(log.HasOngoingTransaction(7, 0));
    }

    [Fact]
    public void A_stale_epoch_is_fenced_before_verification_and_coordinator_writes_are_verified_too()
    {
        using var fx = new StorageFixture(transactionVerification: true);
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp());
        log.Append(Idempotent(7, 3, 0), 0);
        Assert.Equal(ErrorCode.InvalidProducerEpoch, Assert.Throws<StorageException>(() => log.Append(Idempotent(7, 2, 0, transactional: true), 0)).ErrorCode);

        // A group coordinator writing a producer's transactional offsets (TxnOffsetCommit) is checked like a client.
        Assert.Equal(ErrorCode.InvalidTxnState, Assert.Throws<StorageException>(() => log.Append(Idempotent(8, 0, 0, transactional: true), 0, AppendOrigin.Coordinator)).ErrorCode);
        Assert.Equal(1, log.Append(Idempotent(8, 0, 0, transactional: true), 0, AppendOrigin.Coordinator, verification: log.StartTransactionVerification(8, 0)).FirstOffset);

        // A follower applies what its leader verified.
        using var other = new StorageFixture(transactionVerification: true);
        var follower = other.Manager.GetOrCreateLog(StorageFixture.Tp());
        follower.AppendAsFollower(AtOffset(Idempotent(7, 0, 0, transactional: true), 0));
        Assert.True(follower.HasOngoingTransaction(7, 0));
    }

    [Fact]
    public void Without_verification_nothing_is_verified()
    {
        using var fx = new StorageFixture(transactionVerification: false);
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp());
        Assert.True(log.StartTransactionVerification(7, 0).IsNone);
        Assert.Equal(0, log.Append(Idempotent(7, 0, 0, transactional: true), 0).FirstOffset);
    }

    [Fact]
    public void An_unused_verification_expires_with_the_producer_id_expiration()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var fx = new StorageFixture(time, transactionVerification: true);
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp());
        VerificationGuard started = log.StartTransactionVerification(7, 0);
        time.Advance(TimeSpan.FromMilliseconds(fx.Options.ProducerIdExpirationMs));
        log.RemoveExpiredProducers();
        Assert.Equal(ErrorCode.InvalidTxnState, Assert.Throws<StorageException>(() => log.Append(Idempotent(7, 0, 0, transactional: true, timestamp: time.GetUtcNow().ToUnixTimeMilliseconds()), 0, verification: started)).ErrorCode);
        Assert.NotEqual(started, log.StartTransactionVerification(7, 0));
    }
}
