using Chronik.Cluster.Chaos.Checking;
using Microsoft.Extensions.Time.Testing;

namespace Chronik.Cluster.Chaos.Unit;

public sealed class LedgerTests
{
    [Fact]
    public void The_ledger_records_sends_reports_and_their_times()
    {
        var time = new FakeTimeProvider();
        var ledger = new ProducerLedger("idem1", idempotent: true, time, time.GetTimestamp());
        long first = ledger.NextSequence();
        time.Advance(TimeSpan.FromSeconds(1));
        long second = ledger.NextSequence();
        long third = ledger.NextSequence();
        time.Advance(TimeSpan.FromSeconds(2));
        ledger.Acknowledged(first, 0, 10);
        ledger.Failed(second);
        // A second report for the same record is ignored.
        ledger.Acknowledged(second, 1, 5);

        ProducerHistory history = ledger.Snapshot();

        Assert.Equal(3, history.Sent);
        Assert.Equal(1, history.Failed);
        Assert.Equal(1, history.Unresolved);
        Acknowledgement ack = Assert.Single(history.Acknowledged);
        Assert.Equal(new Acknowledgement(first, 0, 10, TimeSpan.Zero, TimeSpan.FromSeconds(3)), ack);
        Assert.Equal(2, third);
    }

    [Fact]
    public void Only_the_latest_sequence_can_be_returned_and_it_is_handed_out_again()
    {
        var ledger = new ProducerLedger("p", idempotent: false, TimeProvider.System, TimeProvider.System.GetTimestamp());
        long first = ledger.NextSequence();
        long second = ledger.NextSequence();

        Assert.Throws<InvalidOperationException>(() => ledger.Return(first));
        ledger.Return(second);

        Assert.Equal(second, ledger.NextSequence());
        Assert.Equal(2, ledger.Snapshot().Sent);
    }

    [Fact]
    public void The_commit_ledger_keeps_attempts_in_order_and_an_unanswered_one_as_failed()
    {
        var commits = new CommitLedger();
        int first = commits.Begin(0, 5);
        int second = commits.Begin(1, 3);
        commits.Succeeded(first);
        commits.Begin(0, 9);

        Assert.Equal([new CommitAttempt(0, 5, true), new CommitAttempt(1, 3, false), new CommitAttempt(0, 9, false)], commits.Snapshot());
        Assert.Equal(1, second);
    }

    [Fact]
    public void Unavailability_is_the_longest_ack_gap_of_one_partition_within_the_window()
    {
        static Acknowledgement Ack(int partition, double at, double sent = 0) =>
            new(0, partition, 0, TimeSpan.FromSeconds(sent), TimeSpan.FromSeconds(at));
        ProducerHistory history = new("p", true, 10, [Ack(0, 1), Ack(0, 2), Ack(0, 9, sent: 1.5), Ack(1, 1.5), Ack(1, 4), Ack(1, 5)], 0, []);

        AvailabilityFigures figures = AvailabilityFigures.Measure([history], 3, TimeSpan.Zero, TimeSpan.FromSeconds(10));

        // Partition 2 never acknowledged anything in the window: the whole window is its gap.
        Assert.Equal(TimeSpan.FromSeconds(10), figures.LongestGap);
        Assert.Equal(2, figures.GapPartition);
        Assert.Equal(TimeSpan.FromSeconds(7.5), figures.LongestLatency);

        AvailabilityFigures twoPartitions = AvailabilityFigures.Measure([history], 2, TimeSpan.Zero, TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.FromSeconds(7), twoPartitions.LongestGap);
        Assert.Equal(0, twoPartitions.GapPartition);
        Assert.Equal(TimeSpan.FromSeconds(2), twoPartitions.GapStart);
    }
}
