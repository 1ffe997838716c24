using Chronik.Broker.Partitions;

namespace Chronik.Broker.Tests.Partitions;

public class HighWatermarkTrackerTests
{
    [Fact]
    public void Single_replica_high_watermark_is_its_durable_log_end()
    {
        var tracker = new HighWatermarkTracker(1, [1], [1], highWatermark: 0, localLogEndOffset: 0, leaderEpochStartOffset: 0, nowMs: 0);
        Assert.Equal(0, tracker.HighWatermark);
        Assert.True(tracker.UpdateLocal(10));
        Assert.Equal(10, tracker.HighWatermark);
        Assert.False(tracker.UpdateLocal(10));
        Assert.False(tracker.UpdateLocal(5));
        Assert.Equal(10, tracker.HighWatermark);
    }

    [Fact]
    public void Starts_at_the_durable_end_when_it_is_ahead_of_the_checkpointed_high_watermark()
    {
        var tracker = new HighWatermarkTracker(1, [1], [1], highWatermark: 3, localLogEndOffset: 9, leaderEpochStartOffset: 9, nowMs: 0);
        Assert.Equal(9, tracker.HighWatermark);
    }

    [Fact]
    public void High_watermark_is_the_minimum_over_the_isr_and_ignores_followers_outside_it()
    {
        var tracker = new HighWatermarkTracker(1, [1, 2, 3], [1, 2], 0, 0, 0, 0);
        tracker.UpdateLocal(100);
        Assert.Equal(0, tracker.HighWatermark);
        Assert.True(tracker.UpdateFollower(2, 40, leaderLogEndOffset: 100, nowMs: 1, out bool moved));
        Assert.True(moved);
        Assert.Equal(40, tracker.HighWatermark);
        Assert.True(tracker.UpdateFollower(3, 5, 100, 2, out moved));
        Assert.False(moved);
        Assert.Equal(40, tracker.HighWatermark);
        tracker.UpdateFollower(2, 100, 100, 3, out _);
        Assert.Equal(100, tracker.HighWatermark);
    }

    [Fact]
    public void Never_moves_back_when_a_follower_reports_less()
    {
        var tracker = new HighWatermarkTracker(1, [1, 2], [1, 2], 0, 50, 0, 0);
        tracker.UpdateFollower(2, 50, 50, 1, out _);
        Assert.Equal(50, tracker.HighWatermark);
        tracker.UpdateFollower(2, 10, 50, 2, out bool moved);
        Assert.False(moved);
        Assert.Equal(50, tracker.HighWatermark);
    }

    [Fact]
    public void Unknown_replica_is_refused()
    {
        var tracker = new HighWatermarkTracker(1, [1, 2], [1, 2], 0, 0, 0, 0);
        Assert.False(tracker.UpdateFollower(7, 10, 10, 1, out _));
        Assert.Null(tracker.Follower(7));
        Assert.NotNull(tracker.Follower(2));
    }

    [Fact]
    public void Shrinking_the_isr_lets_the_high_watermark_advance()
    {
        var tracker = new HighWatermarkTracker(1, [1, 2], [1, 2], 0, 0, 0, 0);
        tracker.UpdateLocal(30);
        Assert.Equal(0, tracker.HighWatermark);
        Assert.True(tracker.UpdateAssignment([1, 2], [1], 5));
        Assert.Equal(30, tracker.HighWatermark);
    }

    [Fact]
    public void Follower_that_stops_catching_up_falls_out_of_sync_after_the_lag_time()
    {
        const long lag = 30_000;
        var tracker = new HighWatermarkTracker(1, [1, 2], [1, 2], 0, 0, 0, nowMs: 0);
        tracker.UpdateLocal(10);
        tracker.UpdateFollower(2, 10, leaderLogEndOffset: 10, nowMs: 1_000, out _);
        Assert.Empty(tracker.OutOfSyncReplicas(nowMs: 20_000, lag, leaderLogEndOffset: 10));

        // The leader moves on; the follower keeps fetching from 10 and never reaches the new end.
        tracker.UpdateLocal(50);
        tracker.UpdateFollower(2, 10, leaderLogEndOffset: 50, nowMs: 2_000, out _);
        Assert.Empty(tracker.OutOfSyncReplicas(nowMs: 31_000, lag, leaderLogEndOffset: 50));
        Assert.Equal([2], tracker.OutOfSyncReplicas(nowMs: 31_001, lag, leaderLogEndOffset: 50));
    }

    [Fact]
    public void Follower_reaching_the_previous_fetch_end_counts_as_caught_up_at_that_fetch()
    {
        var tracker = new HighWatermarkTracker(1, [1, 2], [1, 2], 0, 0, 0, nowMs: 0);
        tracker.UpdateLocal(100);
        tracker.UpdateFollower(2, 0, leaderLogEndOffset: 100, nowMs: 10_000, out _);
        // The leader grew to 200 meanwhile, but the follower now has what the leader had at its previous fetch.
        tracker.UpdateFollower(2, 100, leaderLogEndOffset: 200, nowMs: 20_000, out _);
        Assert.Equal(10_000, tracker.Follower(2)!.Value.LastCaughtUpTimeMs);
    }

    [Fact]
    public void Caught_up_followers_outside_the_isr_are_expansion_candidates()
    {
        var tracker = new HighWatermarkTracker(1, [1, 2, 3], [1], 0, 0, leaderEpochStartOffset: 20, nowMs: 0);
        tracker.UpdateLocal(50);
        Assert.Equal(50, tracker.HighWatermark);
        tracker.UpdateFollower(2, 50, 50, 1, out _);
        tracker.UpdateFollower(3, 19, 50, 1, out _);
        Assert.Equal([2], tracker.CaughtUpReplicas());
    }

    [Fact]
    public void Random_schedules_keep_the_high_watermark_monotonic_and_at_most_the_isr_minimum()
    {
        for (int seed = 0; seed < 200; seed++)
        {
            var random = new Random(seed);
            int[] replicas = [1, 2, 3, 4];
            var ends = new Dictionary<int, long> { [1] = 0, [2] = -1, [3] = -1, [4] = -1 };
            int[] isr = [1, 2, 3];
            var tracker = new HighWatermarkTracker(1, replicas, isr, 0, 0, 0, 0);
            long previous = tracker.HighWatermark;
            long now = 0;
            for (int step = 0; step < 200; step++)
            {
                now += random.Next(100);
                switch (random.Next(3))
                {
                    case 0:
                        ends[1] += random.Next(10);
                        tracker.UpdateLocal(ends[1]);
                        break;
                    case 1:
                        int follower = replicas[1 + random.Next(3)];
                        long end = Math.Min(ends[1], Math.Max(ends[follower], 0) + random.Next(20));
                        ends[follower] = end;
                        tracker.UpdateFollower(follower, end, ends[1], now, out _);
                        break;
                    default:
                        isr = [1, .. replicas[1..].Where(_ => random.Next(2) == 0)];
                        tracker.UpdateAssignment(replicas, isr, now);
                        break;
                }

                long hw = tracker.HighWatermark;
                long isrMinimum = isr.Min(r => ends[r]);
                Assert.True(hw >= previous, $"seed {seed} step {step}: high watermark moved back from {previous} to {hw}");
                Assert.True(hw <= Math.Max(isrMinimum, previous), $"seed {seed} step {step}: high watermark {hw} beyond the ISR minimum {isrMinimum}");
                Assert.True(hw >= isrMinimum || isrMinimum < 0, $"seed {seed} step {step}: high watermark {hw} lags the ISR minimum {isrMinimum}");
                previous = hw;
            }
        }
    }
}
