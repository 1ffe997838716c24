using Chronik.Broker.Replication;
using Chronik.Storage;

namespace Chronik.Broker.Tests.Replication;

public class TruncationPlannerTests
{
    /// <summary>A follower's epoch cache: epoch 0 from 0, epoch 2 from 10, epoch 3 from 15; log end 20.</summary>
    private static (int, long) Follower(int requested) => requested switch
    {
        < 0 => (-1, -1),
        0 or 1 => (0, 10),
        2 => (2, 15),
        3 => (3, 20),
        _ => (-1, -1),
    };

    [Fact]
    public void Same_epoch_on_both_sides_keeps_the_shorter_of_the_two()
    {
        Assert.Equal(new TruncationPoint(12, true), TruncationPlanner.Plan(2, 12, 20, 5, Follower));
        Assert.Equal(new TruncationPoint(15, true), TruncationPlanner.Plan(2, 18, 20, 5, Follower));
    }

    [Fact]
    public void An_epoch_the_follower_lacks_truncates_to_its_own_earlier_epoch_end_and_asks_again()
    {
        // The leader's epoch 1 is unknown here: keep epoch 0's end (10), then ask with epoch 0.
        Assert.Equal(new TruncationPoint(10, false), TruncationPlanner.Plan(1, 13, 20, 5, Follower));
    }

    [Fact]
    public void Unknown_offsets_fall_back_to_the_high_watermark_or_the_leaders_offset()
    {
        Assert.Equal(new TruncationPoint(5, true), TruncationPlanner.Plan(-1, -1, 20, 5, Follower));
        Assert.Equal(new TruncationPoint(7, true), TruncationPlanner.Plan(-1, 7, 20, 5, Follower));
        Assert.Equal(new TruncationPoint(8, true), TruncationPlanner.Plan(4, 8, 20, 5, _ => (-1, -1)));
    }

    [Fact]
    public void Never_beyond_the_log_end()
    {
        Assert.Equal(new TruncationPoint(20, true), TruncationPlanner.Plan(3, 30, 20, 5, Follower));
        Assert.Equal(new TruncationPoint(20, true), TruncationPlanner.Plan(-1, 30, 20, 5, Follower));
    }
}

public class FetcherPartitionStatesTests
{
    private static readonly TopicPartition A = new("t", 0);
    private static readonly TopicPartition B = new("t", 1);

    [Fact]
    public void A_new_epoch_starts_truncating_and_the_same_epoch_keeps_its_state()
    {
        var states = new FetcherPartitionStates();
        Assert.True(states.Add(A, 3, 40));
        Assert.Equal(new PartitionFetchState(40, 3, FetchPhase.Truncating, -1, 0), states.Get(A));
        states.Truncated(A, 35, 2, completed: true);
        Assert.False(states.Add(A, 3, 99));
        Assert.Equal(FetchPhase.Fetching, states.Get(A)!.Value.Phase);
        Assert.True(states.Add(A, 4, 35));
        Assert.Equal(FetchPhase.Truncating, states.Get(A)!.Value.Phase);
        states.Truncated(A, 30, 1, completed: false);
        Assert.Equal(FetchPhase.Truncating, states.Get(A)!.Value.Phase);
        Assert.Equal(30, states.Get(A)!.Value.FetchOffset);
    }

    [Fact]
    public void Results_apply_only_to_the_state_they_were_sent_for()
    {
        var states = new FetcherPartitionStates();
        states.Add(A, 1, 0);
        states.Truncated(A, 0, -1, completed: true);
        var sent = states.Get(A)!.Value;
        Assert.True(states.Matches(A, sent));
        states.Advance(A, 10, 1);
        Assert.False(states.Matches(A, sent));
        Assert.False(states.Matches(B, sent));
    }

    [Fact]
    public void Delayed_partitions_wait_and_fetched_ones_go_to_the_back()
    {
        var states = new FetcherPartitionStates();
        states.Add(A, 1, 0);
        states.Add(B, 1, 0);
        states.Truncated(A, 0, -1, completed: true);
        states.Truncated(B, 0, -1, completed: true);
        Assert.Equal([A, B], states.Ready(FetchPhase.Fetching, 100).Select(r => r.Partition));
        states.Advance(A, 5, 1);
        Assert.Equal([B, A], states.Ready(FetchPhase.Fetching, 100).Select(r => r.Partition));

        states.Delay(B, 100, 150);
        states.Delay(B, 120, 900);
        Assert.Equal([A], states.Ready(FetchPhase.Fetching, 149).Select(r => r.Partition));
        Assert.Equal(150, states.NextReadyTimeMs(149));
        Assert.Equal([B, A], states.Ready(FetchPhase.Fetching, 150).Select(r => r.Partition));
        Assert.Null(states.NextReadyTimeMs(150));
    }
}
