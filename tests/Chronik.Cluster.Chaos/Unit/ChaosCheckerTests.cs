using Chronik.Cluster.Chaos.Checking;

namespace Chronik.Cluster.Chaos.Unit;

/// <summary>The checker on synthetic evidence: a faithful run passes; each way a broker can break its guarantees is caught as its own kind.</summary>
public sealed class ChaosCheckerTests
{
    [Fact]
    public void A_faithful_run_passes_including_unacknowledged_records_and_plain_producer_retries()
    {
        var run = new SyntheticRun().Producer("idem", idempotent: true).Producer("plain", idempotent: false);
        for (int i = 0; i < 30; i++)
        {
            run.SendStoredAcknowledged("idem");
            run.SendStoredAcknowledged("plain");
        }

        // Sent, stored, but the acknowledgement was lost (the leader died before answering).
        long unacknowledged = run.Send("idem");
        run.Store("idem", unacknowledged);
        // Sent, never stored, never acknowledged.
        run.Send("idem");
        // A plain producer's retry stored a batch twice, right after itself.
        long retried = run.Send("plain");
        run.Store("plain", retried);
        long again = run.Store("plain", retried);
        run.Acknowledge("plain", retried, again);
        // Acknowledged without an offset (librdkafka after DUPLICATE_SEQUENCE_NUMBER).
        long noOffset = run.Send("idem");
        run.Store("idem", noOffset);
        run.Acknowledge("idem", noOffset, -1);

        for (int p = 0; p < run.Partitions; p++)
        {
            run.Committed[p] = run.ConsumeAndCommit(p);
        }

        ChaosVerdict verdict = run.Check();

        Assert.True(verdict.Passed, verdict.Summary() + "\n" + string.Join("\n", verdict.Violations));
        Assert.Equal(62, verdict.AcknowledgedRecords);
        Assert.Equal(1, verdict.UnacknowledgedPresent);
        Assert.Equal(1, verdict.NonIdempotentDuplicates);
    }

    [Fact]
    public void An_acknowledged_record_whose_offset_now_holds_another_record_is_lost()
    {
        var run = new SyntheticRun().Producer("idem", idempotent: true);
        long lost = run.SendStoredAcknowledged("idem");
        for (int i = 0; i < 5; i++)
        {
            run.SendStoredAcknowledged("idem");
        }

        // A new leader without the record took over and wrote an unacknowledged record at its offset.
        long later = run.Send("idem");
        run.Overwrite(0, 0, RecordValue.Encode("idem", later, SyntheticRun.ValueSize));

        ChaosVerdict verdict = run.Check();

        Assert.Equal(1, verdict.CountOf(ViolationKind.AcknowledgedLost));
        Assert.Contains($"idem#{lost}", verdict.Violations.Single(v => v.Kind == ViolationKind.AcknowledgedLost).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_acknowledged_record_stored_elsewhere_has_moved()
    {
        var run = new SyntheticRun(partitions: 1).Producer("idem", idempotent: true);
        long first = run.Send("idem");
        long second = run.Send("idem");
        run.Store("idem", first);
        run.Store("idem", second);
        run.Acknowledge("idem", first, 1);
        run.Acknowledge("idem", second, 0);

        ChaosVerdict verdict = run.Check();

        Assert.Equal(2, verdict.CountOf(ViolationKind.AcknowledgedMoved));
        Assert.Equal(0, verdict.CountOf(ViolationKind.AcknowledgedLost));
    }

    [Fact]
    public void An_acknowledgement_without_offset_needs_the_record_in_its_partition()
    {
        var run = new SyntheticRun().Producer("idem", idempotent: true);
        run.SendStoredAcknowledged("idem");
        long missing = run.Send("idem");
        run.Acknowledge("idem", missing, -1);

        Assert.Equal(1, run.Check().CountOf(ViolationKind.AcknowledgedLost));
    }

    [Fact]
    public void An_acknowledged_record_beyond_the_high_watermark_is_lost()
    {
        var run = new SyntheticRun(partitions: 1).Producer("idem", idempotent: true);
        run.SendStoredAcknowledged("idem");
        long sequence = run.Send("idem");
        run.Acknowledge("idem", sequence, 1);

        Assert.Equal(1, run.Check().CountOf(ViolationKind.AcknowledgedLost));
    }

    [Fact]
    public void An_idempotent_producers_records_out_of_send_order_in_a_partition_are_reordered()
    {
        var run = new SyntheticRun(partitions: 1).Producer("idem", idempotent: true);
        long a = run.Send("idem");
        long b = run.Send("idem");
        run.Acknowledge("idem", b, run.Store("idem", b));
        run.Acknowledge("idem", a, run.Store("idem", a));

        ChaosVerdict verdict = run.Check();

        Assert.Equal(1, verdict.CountOf(ViolationKind.Reordered));
        Assert.Equal(1, verdict.Counts.Values.Sum());
    }

    [Fact]
    public void A_plain_producers_retried_batch_may_land_after_later_ones_sent_before_it_was_acknowledged()
    {
        // As seen in a chaos run: the batch in flight to a killed leader is retried on the new leader
        // after later batches (librdkafka's max.in.flight=1 is per connection). Both are acknowledged.
        var run = new SyntheticRun(partitions: 1).Producer("plain", idempotent: false);
        long early = run.Send("plain");
        long late = run.Send("plain");
        run.Acknowledge("plain", late, run.Store("plain", late));
        run.Acknowledge("plain", early, run.Store("plain", early));

        Assert.True(run.Check().Passed);
    }

    [Fact]
    public void A_record_acknowledged_before_another_was_sent_must_precede_it()
    {
        var run = new SyntheticRun(partitions: 1).Producer("plain", idempotent: false).Producer("idem", idempotent: true);
        long first = run.Send("plain");
        long firstOffset = run.Store("plain", first);
        run.Acknowledge("plain", first, firstOffset);
        long second = run.Send("idem");
        long secondOffset = run.Store("idem", second);
        run.Acknowledge("idem", second, secondOffset);
        // The broker stored the later record before the acknowledged one and answered accordingly.
        run.Overwrite(0, firstOffset, RecordValue.Encode("idem", second, SyntheticRun.ValueSize));
        run.Overwrite(0, secondOffset, RecordValue.Encode("plain", first, SyntheticRun.ValueSize));
        run.Reacknowledge("plain", first, secondOffset);
        run.Reacknowledge("idem", second, firstOffset);

        ChaosVerdict verdict = run.Check();

        Assert.Equal(1, verdict.CountOf(ViolationKind.AcknowledgedOutOfOrder));
        Assert.Equal(1, verdict.Counts.Values.Sum());
        Assert.Contains("plain#0", verdict.Violations.Single().Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Interleaving_of_different_producers_is_not_reordering()
    {
        var run = new SyntheticRun(partitions: 1).Producer("a", idempotent: true).Producer("b", idempotent: true);
        long a0 = run.Send("a");
        long a1 = run.Send("a");
        long b0 = run.Send("b");
        run.Acknowledge("b", b0, run.Store("b", b0));
        run.Acknowledge("a", a0, run.Store("a", a0));
        run.Acknowledge("a", a1, run.Store("a", a1));

        Assert.True(run.Check().Passed);
    }

    [Fact]
    public void An_idempotent_producers_record_stored_twice_is_a_duplicate_a_plain_producers_is_counted()
    {
        var run = new SyntheticRun(partitions: 1).Producer("idem", idempotent: true).Producer("plain", idempotent: false);
        long i = run.SendStoredAcknowledged("idem");
        run.Store("idem", i);
        long p = run.SendStoredAcknowledged("plain");
        run.Store("plain", p);

        ChaosVerdict verdict = run.Check();

        Assert.Equal(1, verdict.CountOf(ViolationKind.Duplicate));
        Assert.Equal(1, verdict.NonIdempotentDuplicates);
        Assert.Equal(0, verdict.CountOf(ViolationKind.Reordered));
    }

    [Fact]
    public void A_record_never_sent_or_of_an_unknown_producer_is_a_phantom()
    {
        var run = new SyntheticRun().Producer("idem", idempotent: true);
        run.SendStoredAcknowledged("idem");
        run.Store("idem", 7);
        run.Store("stranger", 0);

        ChaosVerdict verdict = run.Check();

        Assert.Equal(2, verdict.CountOf(ViolationKind.NeverSent));
    }

    [Fact]
    public void A_corrupted_value_is_unreadable_and_its_acknowledged_record_lost()
    {
        var run = new SyntheticRun(partitions: 1).Producer("idem", idempotent: true);
        long sequence = run.SendStoredAcknowledged("idem");
        byte[] corrupt = RecordValue.Encode("idem", sequence, SyntheticRun.ValueSize);
        corrupt[^3] ^= 0x20;
        run.Overwrite(0, 0, corrupt);

        ChaosVerdict verdict = run.Check();

        Assert.Equal(1, verdict.CountOf(ViolationKind.Unreadable));
        Assert.Equal(1, verdict.CountOf(ViolationKind.AcknowledgedLost));
    }

    [Fact]
    public void A_record_in_another_partition_than_it_was_sent_to_is_misplaced()
    {
        var run = new SyntheticRun(partitions: 2).Producer("plain", idempotent: false);
        long sequence = run.Send("plain");
        run.Store("plain", sequence, partition: 1);

        Assert.Equal(1, run.Check().CountOf(ViolationKind.WrongPartition));
    }

    [Fact]
    public void A_missing_offset_below_the_high_watermark_is_a_gap()
    {
        var run = new SyntheticRun(partitions: 1).Producer("plain", idempotent: false);
        for (int i = 0; i < 5; i++)
        {
            long sequence = run.Send("plain");
            run.Store("plain", sequence);
        }

        run.LogOf(0).RemoveAt(2);

        ChaosVerdict verdict = run.Check();

        Assert.Equal(1, verdict.CountOf(ViolationKind.OffsetGap));
        Assert.Contains("the first 2", verdict.Violations.Single().Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_record_the_consumer_read_that_is_gone_or_different_at_the_end_is_caught()
    {
        var run = new SyntheticRun(partitions: 1).Producer("plain", idempotent: false);
        for (int i = 0; i < 4; i++)
        {
            run.Send("plain");
            run.Store("plain", i);
        }

        run.Committed[0] = run.ConsumeAndCommit(0);
        // The log was truncated below what the consumer had read, and something else written in its place.
        run.LogOf(0).RemoveAt(3);
        long other = run.Send("plain");
        run.Overwrite(0, 2, RecordValue.Encode("plain", other, SyntheticRun.ValueSize));

        ChaosVerdict verdict = run.Check();

        Assert.Equal(2, verdict.CountOf(ViolationKind.ConsumedRecordChanged));
        // The committed offset 4 is now beyond the high watermark 3.
        Assert.Equal(1, verdict.CountOf(ViolationKind.CommittedBeyondHighWatermark));
    }

    [Fact]
    public void The_committed_offset_must_be_the_last_successful_commit()
    {
        var run = new SyntheticRun(partitions: 1).Producer("idem", idempotent: true);
        run.SendStoredAcknowledged("idem");
        long first = run.ConsumeAndCommit(0);
        run.SendStoredAcknowledged("idem");
        run.ConsumeAndCommit(0);
        run.Committed[0] = first;

        ChaosVerdict verdict = run.Check();

        Assert.Equal(1, verdict.CountOf(ViolationKind.CommittedOffsetWrong));
    }

    [Fact]
    public void A_failed_commit_after_the_last_success_may_have_been_stored()
    {
        var run = new SyntheticRun(partitions: 1).Producer("idem", idempotent: true);
        run.SendStoredAcknowledged("idem");
        long success = run.ConsumeAndCommit(0);
        run.SendStoredAcknowledged("idem");
        long failed = run.ConsumeAndCommit(0, succeeded: false);

        run.Committed[0] = failed;
        Assert.True(run.Check().Passed);
        run.Committed[0] = success;
        Assert.True(run.Check().Passed);
        run.Committed.Remove(0);
        Assert.Equal(1, run.Check().CountOf(ViolationKind.CommittedOffsetWrong));
    }

    [Fact]
    public void A_committed_offset_without_any_commit_is_wrong_and_no_commit_means_none()
    {
        var run = new SyntheticRun(partitions: 2).Producer("idem", idempotent: true);
        run.SendStoredAcknowledged("idem");
        Assert.True(run.Check().Passed);

        run.Committed[1] = 0;
        Assert.Equal(1, run.Check().CountOf(ViolationKind.CommittedOffsetWrong));
    }

    [Fact]
    public void Replicas_must_hold_exactly_what_the_leader_served()
    {
        var run = new SyntheticRun(partitions: 2).Producer("idem", idempotent: true);
        for (int i = 0; i < 10; i++)
        {
            run.SendStoredAcknowledged("idem");
        }

        run.CopyToReplicas(1, 2, 3);
        Assert.True(run.Check().Passed);

        // Node 1 lacks the last record of partition 0, node 2 has another value at 1/2, node 3 kept a tail beyond the high watermark.
        run.Replicas[1].RemoveAll(r => r.Partition == 0 && r.Offset == 4);
        int index = run.Replicas[2].FindIndex(r => r.Partition == 1 && r.Offset == 2);
        run.Replicas[2][index] = run.Replicas[2][index] with { Value = RecordValue.Encode("idem", 99, SyntheticRun.ValueSize) };
        run.Replicas[3].Add(new LogRecord(1, 5, RecordValue.Encode("idem", 11, SyntheticRun.ValueSize)));

        ChaosVerdict verdict = run.Check();

        Assert.Equal(3, verdict.CountOf(ViolationKind.ReplicaDiverged));
        Assert.Equal(3, verdict.Counts.Values.Sum());
        Assert.Contains(verdict.Violations, v => v.Message.StartsWith("node 1, partition 0: 1 record(s) missing", StringComparison.Ordinal));
        Assert.Contains(verdict.Violations, v => v.Message.StartsWith("node 2, partition 1: 0 record(s) missing and 1 different", StringComparison.Ordinal) && v.Message.Contains("idem#99", StringComparison.Ordinal));
        Assert.Contains(verdict.Violations, v => v.Message.StartsWith("node 3, partition 1: 0 record(s) missing and 0 different below the high watermark 5, 1 beyond it", StringComparison.Ordinal));
    }

    [Fact]
    public void A_fatal_producer_error_fails_the_run()
    {
        var run = new SyntheticRun().Producer("idem", idempotent: true);
        run.SendStoredAcknowledged("idem");
        run.Fatal("idem", "OutOfOrderSequenceNumber: broker: out of order sequence");

        Assert.Equal(1, run.Check().CountOf(ViolationKind.ProducerFatal));
    }

    [Fact]
    public void Counts_stay_exact_when_messages_are_capped()
    {
        var run = new SyntheticRun(partitions: 1).Producer("idem", idempotent: true);
        for (int i = 0; i < ChaosChecker.ListedPerKind + 5; i++)
        {
            long sequence = run.Send("idem");
            run.Acknowledge("idem", sequence, -1);
        }

        ChaosVerdict verdict = run.Check();

        Assert.Equal(ChaosChecker.ListedPerKind + 5, verdict.CountOf(ViolationKind.AcknowledgedLost));
        Assert.Equal(ChaosChecker.ListedPerKind, verdict.Violations.Count);
        Assert.Equal($"AcknowledgedLost={ChaosChecker.ListedPerKind + 5}", verdict.Summary());
    }
}
