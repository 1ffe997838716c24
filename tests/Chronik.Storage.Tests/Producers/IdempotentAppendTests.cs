using Chronik.Protocol.Records;
using Chronik.Protocol.Wire;
using Chronik.Storage.Producers;
using Microsoft.Extensions.Time.Testing;
using static Chronik.Storage.Tests.Producers.ProducerBatches;

namespace Chronik.Storage.Tests.Producers;

/// <summary>Idempotent appends through <see cref="PartitionLog.Append"/>: Kafka 4's sequence, epoch and duplicate rules.</summary>
public class IdempotentAppendTests
{
    private static StorageException Rejected(PartitionLog log, byte[] batch) =>
        Assert.Throws<StorageException>(() => log.Append(batch, 0));

    [Fact]
    public void Consecutive_sequences_are_appended_and_a_gap_is_out_of_order()
    {
        using var fx = new StorageFixture();
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp());
        Assert.Equal(0, log.Append(Idempotent(7, 0, 0, count: 3), 0).FirstOffset);
        Assert.Equal(3, log.Append(Idempotent(7, 0, 3, count: 2), 0).FirstOffset);

        var gap = Rejected(log, Idempotent(7, 0, 6));
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, gap.ErrorCode);
        Assert.Contains("6 (incoming seq. number), 4 (current end sequence number)", gap.Message, StringComparison.Ordinal);
        Assert.Equal(5, log.LogEndOffset);
        Assert.Equal(5, log.Append(Idempotent(7, 0, 5), 0).FirstOffset);
    }

    [Fact]
    public void A_retry_of_any_of_the_last_five_batches_answers_its_original_offsets_without_appending()
    {
        using var fx = new StorageFixture();
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp());
        var batches = new List<byte[]>();
        var results = new List<AppendResult>();
        for (int i = 0; i < 6; i++)
        {
            batches.Add(Idempotent(7, 0, i * 2, count: 2));
            results.Add(log.Append(batches[^1], 0));
        }

        long end = log.LogEndOffset;
        for (int i = 1; i < 6; i++)
        {
            var retry = log.Append(batches[i], 0);
            Assert.True(retry.IsDuplicate);
            Assert.Equal((results[i].FirstOffset, results[i].LastOffset), (retry.FirstOffset, retry.LastOffset));
            Assert.Equal(RecordBatchHeader.MaxTimestamp(batches[i]), retry.LogAppendTime);
            Assert.Equal((0, 0), (retry.RecordCount, retry.Bytes));
        }

        Assert.Equal(end, log.LogEndOffset);

        // The oldest batch fell out of the window: its retry is no longer recognised, and out of sequence.
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, Rejected(log, batches[0]).ErrorCode);
        Assert.Equal(end, log.LogEndOffset);
    }

    [Fact]
    public void A_batch_overlapping_a_retained_one_without_matching_it_is_out_of_order()
    {
        using var fx = new StorageFixture();
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp());
        log.Append(Idempotent(7, 0, 0, count: 4), 0);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, Rejected(log, Idempotent(7, 0, 0, count: 2)).ErrorCode);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, Rejected(log, Idempotent(7, 0, 2, count: 2)).ErrorCode);
    }

    [Fact]
    public void An_older_epoch_is_fenced_and_a_newer_one_must_start_at_sequence_zero()
    {
        using var fx = new StorageFixture();
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp());
        log.Append(Idempotent(7, 3, 0, count: 2), 0);

        var fenced = Rejected(log, Idempotent(7, 2, 2));
        Assert.Equal(ErrorCode.InvalidProducerEpoch, fenced.ErrorCode);
        Assert.Contains("is 2, which is < the last seen epoch 3", fenced.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, Rejected(log, Idempotent(7, 4, 2)).ErrorCode);

        Assert.Equal(2, log.Append(Idempotent(7, 4, 0), 0).FirstOffset);

        // The new epoch forgot the old one's batches: their retries are fenced, not duplicates.
        Assert.Equal(ErrorCode.InvalidProducerEpoch, Rejected(log, Idempotent(7, 3, 0, count: 2)).ErrorCode);
    }

    [Fact]
    public void A_producer_the_partition_has_no_state_of_may_start_at_any_sequence()
    {
        // KIP-360 / Kafka 4: UNKNOWN_PRODUCER_ID is no longer returned; the sequence is taken as the new start.
        using var fx = new StorageFixture();
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp());
        Assert.Equal(0, log.Append(Idempotent(9, 0, 57), 0).FirstOffset);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, Rejected(log, Idempotent(9, 0, 59)).ErrorCode);
        Assert.Equal(1, log.Append(Idempotent(9, 0, 58), 0).FirstOffset);
    }

    [Fact]
    public void Sequences_wrap_from_int_max_to_zero()
    {
        using var fx = new StorageFixture();
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp());
        log.Append(Idempotent(7, 0, int.MaxValue - 1, count: 2), 0);
        Assert.Equal(2, log.Append(Idempotent(7, 0, 0, count: 3), 0).FirstOffset);

        var retry = log.Append(Idempotent(7, 0, int.MaxValue - 1, count: 2), 0);
        Assert.True(retry.IsDuplicate);
        Assert.Equal(0, retry.FirstOffset);

        // A batch that itself wraps: its last sequence is 1, its first int.MaxValue - 1.
        log.Append(Idempotent(8, 0, int.MaxValue - 1, count: 4), 0);
        Assert.Equal(9, log.Append(Idempotent(8, 0, 2), 0).FirstOffset);
    }

    [Fact]
    public void Producers_are_independent_and_plain_batches_are_untouched()
    {
        using var fx = new StorageFixture();
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp());
        log.Append(Idempotent(1, 0, 0), 0);
        log.Append(TestBatches.Values(2, 10), 0);
        log.Append(Idempotent(2, 0, 0), 0);
        log.Append(Idempotent(1, 0, 1), 0);
        log.Append(TestBatches.Values(2, 10), 0);
        Assert.Equal(7, log.LogEndOffset);
        var producers = log.ActiveProducers().OrderBy(p => p.ProducerId).Select(p => p with { LastTimestamp = 0 }).ToList();
        Assert.Equal([new ActiveProducer(1, 0, 1, 0, -1, -1), new ActiveProducer(2, 0, 0, 0, -1, -1)], producers);
    }

    [Fact]
    public void A_follower_takes_producer_state_from_the_leaders_batches_without_checks()
    {
        using var fx = new StorageFixture();
        var follower = fx.Manager.GetOrCreateLog(StorageFixture.Tp());
        byte[] first = Idempotent(7, 2, 10, count: 2);
        byte[] second = Idempotent(7, 1, 40);
        follower.AppendAsFollower(TestBatches.Concat(AtOffset(first, 0), AtOffset(second, 2)));

        // A lower epoch only warns on a follower (Kafka), and the last batch wins.
        var state = Assert.Single(follower.ActiveProducers());
        Assert.Equal((1, 40), (state.ProducerEpoch, state.LastSequence));

        // Once leader, a retry of the replicated batch is a duplicate, and the sequence continues.
        var retry = follower.Append(second, 1);
        Assert.True(retry.IsDuplicate);
        Assert.Equal(2, retry.FirstOffset);
        Assert.Equal(3, follower.Append(Idempotent(7, 1, 41), 1).FirstOffset);
    }

    [Fact]
    public void All_five_retained_batches_survive_a_clean_restart_and_a_crash()
    {
        using var fx = new StorageFixture();
        var tp = StorageFixture.Tp();
        var log = fx.Manager.GetOrCreateLog(tp);
        var batches = Enumerable.Range(0, 7).Select(i => Idempotent(7, 0, i)).ToList();
        foreach (var batch in batches)
        {
            log.Append(batch, 0);
        }

        log = fx.Reopen().GetOrCreateLog(tp);
        Assert.True(File.Exists(Path.Combine(fx.PartitionDirectory(tp), "00000000000000000007.snapshot")));
        for (int i = 2; i < 7; i++)
        {
            Assert.Equal(i, log.Append(batches[i], 0) is { IsDuplicate: true } d ? d.FirstOffset : -1);
        }

        // A crash: no snapshot at the end, the batches after the last snapshot are replayed from the log.
        log.Append(Idempotent(7, 0, 7), 0);
        log = fx.ReopenAfterCrash(() => Array.ForEach(Directory.GetFiles(fx.PartitionDirectory(tp), "*.snapshot"), File.Delete)).GetOrCreateLog(tp);
        Assert.True(log.Append(Idempotent(7, 0, 7), 0).IsDuplicate);
        Assert.True(log.Append(batches[3], 0).IsDuplicate);
        Assert.Equal(8, log.Append(Idempotent(7, 0, 8), 0).FirstOffset);
    }

    [Fact]
    public void Truncation_forgets_the_batches_it_removed()
    {
        using var fx = new StorageFixture();
        var tp = StorageFixture.Tp();
        var log = fx.Manager.GetOrCreateLog(tp, LogConfig.Default with { SegmentBytes = 300, FileDeleteDelayMs = 0 });
        var batches = Enumerable.Range(0, 12).Select(i => Idempotent(7, 0, i)).ToList();
        foreach (var batch in batches)
        {
            log.Append(batch, 0);
        }

        Assert.True(log.SegmentCount > 2, "the test needs snapshots at rolls below the truncation point");
        log.TruncateTo(8);

        Assert.Equal(7, Assert.Single(log.ActiveProducers()).LastSequence);
        Assert.True(log.Append(batches[5], 0).IsDuplicate);
        Assert.Equal(8, log.Append(batches[8], 0).FirstOffset);
        Assert.All(Directory.GetFiles(fx.PartitionDirectory(tp), "*.snapshot"), f => Assert.True(long.Parse(Path.GetFileNameWithoutExtension(f), System.Globalization.CultureInfo.InvariantCulture) <= 8));

        log.TruncateFullyAndStartAt(100);
        Assert.Empty(log.ActiveProducers());
        Assert.Empty(Directory.GetFiles(fx.PartitionDirectory(tp), "*.snapshot"));
        Assert.Equal(100, log.Append(Idempotent(7, 0, 30), 0).FirstOffset);
    }

    [Fact]
    public void Producer_state_outlives_deleted_records_but_not_producer_id_expiration()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(TestBatches.BaseTimestamp));
        using var fx = new StorageFixture(time);
        fx.Options = fx.Options with { ProducerIdExpirationMs = 60_000 };
        var tp = StorageFixture.Tp();
        var log = fx.Reopen().GetOrCreateLog(tp, LogConfig.Default with { SegmentBytes = 600, FileDeleteDelayMs = 0 });
        for (int i = 0; i < 10; i++)
        {
            log.Append(Idempotent(7, 0, i, timestamp: TestBatches.BaseTimestamp), 0);
        }

        log.Append(Idempotent(8, 0, 0, timestamp: TestBatches.BaseTimestamp + 50_000), 0);
        log.UpdateHighWatermark(log.LogEndOffset);
        log.DeleteRecordsBefore(log.LogEndOffset);

        // KIP-360: the producer keeps its sequence although its records are gone; old snapshots went with their segments.
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, Rejected(log, Idempotent(7, 0, 11, timestamp: TestBatches.BaseTimestamp)).ErrorCode);
        Assert.All(Directory.GetFiles(fx.PartitionDirectory(tp), "*.snapshot"), f => Assert.True(long.Parse(Path.GetFileNameWithoutExtension(f), System.Globalization.CultureInfo.InvariantCulture) >= log.Segments[0].BaseOffset));

        time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(0, log.RemoveExpiredProducers());
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, log.RemoveExpiredProducers());
        Assert.Equal(8, Assert.Single(log.ActiveProducers()).ProducerId);

        // Expired: any sequence starts it again.
        Assert.Equal(log.LogEndOffset, log.Append(Idempotent(7, 0, 11, timestamp: TestBatches.BaseTimestamp + 60_000), 0).FirstOffset);
    }

    [Fact]
    public void Expired_producers_are_not_loaded_from_a_snapshot()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(TestBatches.BaseTimestamp));
        using var fx = new StorageFixture(time);
        fx.Options = fx.Options with { ProducerIdExpirationMs = 60_000 };
        var tp = StorageFixture.Tp();
        var log = fx.Reopen().GetOrCreateLog(tp);
        log.Append(Idempotent(7, 0, 0, timestamp: TestBatches.BaseTimestamp), 0);
        log.Append(Idempotent(8, 0, 0, timestamp: TestBatches.BaseTimestamp + 30_000), 0);
        time.Advance(TimeSpan.FromSeconds(70));
        log = fx.Reopen().GetOrCreateLog(tp);
        Assert.Equal(8, Assert.Single(log.ActiveProducers()).ProducerId);
    }

    [Fact]
    public void Idempotent_appends_and_duplicates_allocate_nothing_per_batch()
    {
        using var fx = new StorageFixture();
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp());
        var batches = Enumerable.Range(0, 3000).Select(i => Idempotent(7, 0, i)).ToArray();
        for (int i = 0; i < 1000; i++)
        {
            log.Append(batches[i], 0);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 1000; i < 3000; i++)
        {
            log.Append(batches[i], 0);
        }

        for (int i = 0; i < 1000; i++)
        {
            Assert.True(log.Append(batches[2995 + (i % 5)], 0).IsDuplicate);
        }

        long perAppend = (GC.GetAllocatedBytesForCurrentThread() - before) / 3000;
        Assert.True(perAppend < 16, $"{perAppend} bytes allocated per append");
    }

    [Fact]
    public void A_corrupt_snapshot_is_deleted_and_the_state_rebuilt_from_the_log()
    {
        using var fx = new StorageFixture();
        var tp = StorageFixture.Tp();
        var log = fx.Manager.GetOrCreateLog(tp);
        for (int i = 0; i < 4; i++)
        {
            log.Append(Idempotent(7, 0, i), 0);
        }

        string snapshot = Path.Combine(fx.PartitionDirectory(tp), "00000000000000000004.snapshot");
        fx.Manager.Dispose();
        byte[] bytes = File.ReadAllBytes(snapshot);
        bytes[^3] ^= 0x55;
        File.WriteAllBytes(snapshot, bytes);

        log = fx.Reopen().GetOrCreateLog(tp);
        Assert.True(log.Append(Idempotent(7, 0, 1), 0).IsDuplicate);
        Assert.Equal(3, Assert.Single(log.ActiveProducers()).LastSequence);
        Assert.True(File.Exists(snapshot));
        Assert.True(ProducerSnapshotFile.TryRead(snapshot, _ => true, (_, _) => { }), "the rebuilt state was snapshotted again");
    }

    [Fact]
    public void A_snapshot_beyond_a_torn_tail_is_ignored()
    {
        using var fx = new StorageFixture();
        var tp = StorageFixture.Tp();
        var log = fx.Manager.GetOrCreateLog(tp);
        log.Append(Idempotent(7, 0, 0, count: 2), 0);
        log.Append(Idempotent(7, 0, 2, count: 2), 0);
        string directory = fx.PartitionDirectory(tp);
        string segment = Path.Combine(directory, "00000000000000000000.log");

        // The crash tore the second batch off, but a snapshot at the old end survived.
        log = fx.ReopenAfterCrash(() =>
        {
            using var stream = new FileStream(segment, FileMode.Open);
            stream.SetLength(stream.Length - 5);
        }).GetOrCreateLog(tp);

        Assert.Equal(2, log.LogEndOffset);
        Assert.False(File.Exists(Path.Combine(directory, "00000000000000000004.snapshot")));
        Assert.Equal(1, Assert.Single(log.ActiveProducers()).LastSequence);
        Assert.Equal(2, log.Append(Idempotent(7, 0, 2, count: 2), 0).FirstOffset);
    }
}
