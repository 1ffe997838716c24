using Chronik.Broker.Partitions;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Tests.Partitions;

public class LeaderReplicationStateTests
{
    private const long T0 = 1_000_000;
    private const long Lag = 30_000;

    private static LeaderReplicationState Leader(int[] replicas, int[] isr, long highWatermark = 0, long epochStart = 0, int minIsr = 1, Func<int, long?, bool>? eligible = null) =>
        new(1, leaderEpoch: 5, partitionEpoch: 7, replicas, isr, highWatermark, epochStart, T0, eligible) { MinInsyncReplicas = minIsr, ReplicaLagTimeMaxMs = Lag };

    [Fact]
    public void Single_replica_high_watermark_is_its_durable_log_end()
    {
        var state = Leader([1], [1]);
        Assert.Equal(0, state.HighWatermark);
        Assert.True(state.UpdateLocal(10, 12, T0));
        Assert.Equal(10, state.HighWatermark);
        Assert.False(state.UpdateLocal(10, 12, T0));
        Assert.False(state.UpdateLocal(5, 12, T0));
        Assert.Equal(10, state.HighWatermark);
    }

    [Fact]
    public void High_watermark_is_the_minimum_over_the_isr()
    {
        var state = Leader([1, 2, 3], [1, 2]);
        state.UpdateLocal(100, 100, T0);
        Assert.Equal(0, state.HighWatermark);
        Assert.True(state.UpdateFollower(2, 40, 100, 1, T0 + 1, out bool moved));
        Assert.True(moved);
        Assert.Equal(40, state.HighWatermark);
        state.UpdateFollower(2, 100, 100, 1, T0 + 3, out _);
        Assert.Equal(100, state.HighWatermark);
    }

    [Fact]
    public void A_caught_up_eligible_follower_outside_the_isr_holds_the_high_watermark_until_it_joins()
    {
        // Kafka's shouldWaitForReplicaToJoinIsr: otherwise a follower catching up behind a busy leader never reaches the high watermark.
        bool eligible = true;
        var state = Leader([1, 2], [1], eligible: (_, _) => eligible);
        state.UpdateLocal(50, 50, T0);
        Assert.Equal(50, state.HighWatermark);
        state.UpdateFollower(2, 50, 50, 1, T0 + 10, out _);
        state.UpdateLocal(80, 80, T0 + 20);
        Assert.Equal(50, state.HighWatermark);

        eligible = false;
        state.UpdateLocal(81, 81, T0 + 30);
        Assert.Equal(81, state.HighWatermark);
    }

    [Fact]
    public void Never_moves_back_when_a_follower_reports_less()
    {
        var state = Leader([1, 2], [1, 2]);
        state.UpdateLocal(50, 50, T0);
        state.UpdateFollower(2, 50, 50, 1, T0 + 1, out _);
        Assert.Equal(50, state.HighWatermark);
        state.UpdateFollower(2, 10, 50, 1, T0 + 2, out bool moved);
        Assert.False(moved);
        Assert.Equal(50, state.HighWatermark);
    }

    [Fact]
    public void Unknown_replica_is_refused()
    {
        var state = Leader([1, 2], [1, 2]);
        Assert.False(state.UpdateFollower(7, 10, 10, 1, T0, out _));
        Assert.Null(state.Follower(7));
        Assert.NotNull(state.Follower(2));
    }

    [Fact]
    public void An_isr_member_not_heard_from_holds_the_high_watermark()
    {
        var state = Leader([1, 2, 3], [1, 2, 3], highWatermark: 20);
        state.UpdateLocal(60, 60, T0);
        state.UpdateFollower(2, 60, 60, 1, T0 + 1, out _);
        Assert.Equal(20, state.HighWatermark);
    }

    [Fact]
    public void Follower_that_stops_catching_up_falls_out_of_sync_after_the_lag_time_and_a_shrink_is_proposed()
    {
        var state = Leader([1, 2, 3], [1, 2, 3]);
        state.UpdateLocal(10, 10, T0);
        state.UpdateFollower(2, 10, 10, 1, T0 + 1_000, out _);
        state.UpdateFollower(3, 10, 10, 1, T0 + 1_000, out _);
        Assert.Null(state.TryShrink(10, T0 + 20_000));

        // The leader moves on; follower 3 keeps fetching from 10 and never reaches the new end.
        state.UpdateLocal(50, 50, T0 + 2_000);
        state.UpdateFollower(2, 50, 50, 1, T0 + 2_000, out _);
        state.UpdateFollower(3, 10, 50, 1, T0 + 2_000, out _);
        Assert.Null(state.TryShrink(50, T0 + 31_000));
        var shrink = state.TryShrink(50, T0 + 31_001);
        Assert.NotNull(shrink);
        Assert.Equal(IsrChangeKind.Shrink, shrink.Kind);
        Assert.Equal([1, 2], shrink.ProposedIsr.Select(m => m.BrokerId));
        Assert.Equal(5, shrink.LeaderEpoch);
        Assert.Equal(7, shrink.PartitionEpoch);

        // While the shrink is in flight the lagging member still counts, and nothing else is proposed.
        Assert.Equal([1, 2, 3], state.MaximalIsr.ToArray());
        Assert.Equal(10, state.HighWatermark);
        Assert.Null(state.TryShrink(50, T0 + 40_000));
        Assert.Null(state.TryExpand(3));

        Assert.Equal(IsrChangeOutcome.Committed, state.CompleteIsrChange(shrink, ErrorCode.None, 5, 8, [1, 2], 50, T0 + 40_000, out bool moved));
        Assert.True(moved);
        Assert.Equal(50, state.HighWatermark);
        Assert.Equal([1, 2], state.Isr.ToArray());
        Assert.Equal(8, state.PartitionEpoch);
        Assert.Null(state.Pending);
    }

    [Fact]
    public void Follower_reaching_the_previous_fetch_end_counts_as_caught_up_at_that_fetch()
    {
        var state = Leader([1, 2], [1, 2]);
        state.UpdateLocal(100, 100, T0);
        state.UpdateFollower(2, 0, 100, 1, T0 + 10_000, out _);
        // The leader grew to 200 meanwhile, but the follower now has what the leader had at its previous fetch.
        state.UpdateFollower(2, 100, 200, 1, T0 + 20_000, out _);
        Assert.Equal(T0 + 10_000, state.Follower(2)!.Value.LastCaughtUpTimeMs);
    }

    [Fact]
    public void A_follower_joins_once_it_reached_the_high_watermark_and_the_epoch_start_and_is_eligible()
    {
        long? seenEpoch = null;
        var state = Leader([1, 2, 3], [1], epochStart: 20, eligible: (_, epoch) => (seenEpoch = epoch) == 9);
        state.UpdateLocal(50, 50, T0);
        Assert.Equal(50, state.HighWatermark);

        state.UpdateFollower(3, 19, 50, 9, T0 + 1, out _);
        Assert.Null(state.TryExpand(3));
        state.UpdateFollower(2, 50, 50, 8, T0 + 1, out _);
        Assert.Null(state.TryExpand(2));
        Assert.Equal(8, seenEpoch);

        state.UpdateFollower(2, 50, 50, 9, T0 + 2, out _);
        var expand = state.TryExpand(2);
        Assert.NotNull(expand);
        Assert.Equal(IsrChangeKind.Expand, expand.Kind);
        Assert.Equal([new(1, -1), new(2, 9)], expand.ProposedIsr.ToArray());
        Assert.Equal([1, 2], state.MaximalIsr.ToArray());
        Assert.Equal([1], state.Isr.ToArray());

        // The expansion counts at once: the high watermark waits for the new member.
        state.UpdateLocal(70, 70, T0 + 3);
        Assert.Equal(50, state.HighWatermark);
    }

    [Fact]
    public void Refused_changes_revert_and_stale_answers_wait_for_the_metadata()
    {
        var state = Leader([1, 2], [1]);
        state.UpdateLocal(10, 10, T0);
        state.UpdateFollower(2, 10, 10, 1, T0, out _);
        var expand = state.TryExpand(2)!;

        Assert.Equal(IsrChangeOutcome.Retry, state.CompleteIsrChange(expand, ErrorCode.NotController, -1, -1, null, 10, T0, out _));
        Assert.Same(expand, state.Pending);
        Assert.Equal(IsrChangeOutcome.AwaitingMetadata, state.CompleteIsrChange(expand, ErrorCode.FencedLeaderEpoch, -1, -1, null, 10, T0, out _));
        Assert.Equal(IsrChangeOutcome.AwaitingMetadata, state.CompleteIsrChange(expand, ErrorCode.None, 6, 9, [1, 2], 10, T0, out _));
        Assert.Equal(IsrChangeOutcome.AwaitingMetadata, state.CompleteIsrChange(expand, ErrorCode.None, 5, 6, [1, 2], 10, T0, out _));
        Assert.Same(expand, state.Pending);

        Assert.Equal(IsrChangeOutcome.Reverted, state.CompleteIsrChange(expand, ErrorCode.IneligibleReplica, -1, -1, null, 10, T0, out _));
        Assert.Null(state.Pending);
        Assert.Equal([1], state.MaximalIsr.ToArray());
        Assert.Equal(IsrChangeOutcome.Ignored, state.CompleteIsrChange(expand, ErrorCode.None, 5, 8, [1, 2], 10, T0, out _));

        var again = state.TryExpand(2)!;
        state.UpdateAssignment([1, 2], [1, 2], 8, 10, T0);
        Assert.Null(state.Pending);
        Assert.Equal(IsrChangeOutcome.Ignored, state.CompleteIsrChange(again, ErrorCode.None, 5, 8, [1, 2], 10, T0, out _));
    }

    [Fact]
    public void Below_min_insync_replicas_the_high_watermark_stands_and_acks_all_is_refused()
    {
        var state = Leader([1, 2, 3], [1, 2], minIsr: 2);
        state.UpdateLocal(10, 10, T0);
        state.UpdateFollower(2, 10, 10, 1, T0, out _);
        Assert.Equal(10, state.HighWatermark);
        Assert.False(state.IsUnderMinIsr);
        Assert.Equal((true, ErrorCode.None), state.CheckEnoughReplicasReachOffset(10));
        Assert.Equal((false, ErrorCode.None), state.CheckEnoughReplicasReachOffset(11));

        state.UpdateAssignment([1, 2, 3], [1], 8, 20, T0 + 1);
        Assert.True(state.IsUnderMinIsr);
        state.UpdateLocal(20, 20, T0 + 1);
        Assert.Equal(10, state.HighWatermark);
        Assert.Equal((true, ErrorCode.NotEnoughReplicasAfterAppend), state.CheckEnoughReplicasReachOffset(10));

        // min.insync.replicas above the replication factor counts as the replication factor (Kafka's effectiveMinIsr).
        var single = Leader([1], [1], minIsr: 3);
        Assert.Equal(1, single.EffectiveMinIsr);
        Assert.False(single.IsUnderMinIsr);
        single.UpdateLocal(5, 5, T0);
        Assert.Equal(5, single.HighWatermark);
    }

    [Fact]
    public void Random_schedules_keep_the_high_watermark_safe()
    {
        for (int seed = 0; seed < 300; seed++)
        {
            RunSchedule(seed);
        }
    }

    /// <summary>
    /// A leader, three followers that fetch, lag and stop, and a controller that answers ISR changes late, refuses
    /// some or loses them. After every event: the high watermark never moves back, never passes the durable end
    /// nor the log end of any maximal-ISR member, never moves while the ISR is under min.insync.replicas, and an
    /// acknowledged acks=all offset was reached by every member of the ISR it was acknowledged with.
    /// </summary>
    private static void RunSchedule(int seed)
    {
        var random = new Random(seed);
        int[] replicas = [1, 2, 3, 4];
        int minIsr = 1 + random.Next(3);
        var ends = new Dictionary<int, long> { [2] = -1, [3] = -1, [4] = -1 };
        var stopped = new HashSet<int>();
        long leaderEnd = 0;
        long durable = 0;
        long now = T0;
        var state = new LeaderReplicationState(1, 0, 0, replicas, [1, 2, 3], 0, 0, now) { MinInsyncReplicas = minIsr, ReplicaLagTimeMaxMs = 500 };
        PendingIsrChange? inFlight = null;
        int partitionEpoch = 0;
        long previous = state.HighWatermark;
        for (int step = 0; step < 400; step++)
        {
            now += random.Next(50);
            int frozenCheck = state.IsUnderMinIsr ? 1 : 0;
            long before = state.HighWatermark;
            switch (random.Next(7))
            {
                case 0:
                    leaderEnd += random.Next(10);
                    state.UpdateLocal(durable, leaderEnd, now);
                    break;
                case 1:
                    durable = Math.Min(leaderEnd, durable + random.Next(15));
                    state.UpdateLocal(durable, leaderEnd, now);
                    break;
                case 2:
                case 3:
                    int follower = replicas[1 + random.Next(3)];
                    if (!stopped.Contains(follower))
                    {
                        long end = Math.Min(leaderEnd, Math.Max(ends[follower], 0) + random.Next(20));
                        ends[follower] = end;
                        state.UpdateFollower(follower, end, leaderEnd, 1, now, out _);
                        inFlight ??= state.TryExpand(follower);
                    }

                    break;
                case 4:
                    int toggled = replicas[1 + random.Next(3)];
                    if (!stopped.Remove(toggled))
                    {
                        stopped.Add(toggled);
                    }

                    break;
                case 5:
                    inFlight ??= state.TryShrink(leaderEnd, now);
                    break;
                default:
                    if (inFlight is not null)
                    {
                        int answer = random.Next(4);
                        var isr = inFlight.ProposedIsr.Select(m => m.BrokerId).ToArray();
                        var outcome = answer switch
                        {
                            0 => state.CompleteIsrChange(inFlight, ErrorCode.None, 0, ++partitionEpoch, isr, leaderEnd, now, out _),
                            1 => state.CompleteIsrChange(inFlight, ErrorCode.IneligibleReplica, -1, -1, null, leaderEnd, now, out _),
                            2 => state.CompleteIsrChange(inFlight, ErrorCode.NotController, -1, -1, null, leaderEnd, now, out _),
                            _ => Apply(state, isr, ++partitionEpoch, leaderEnd, now),
                        };
                        if (outcome != IsrChangeOutcome.Retry)
                        {
                            inFlight = null;
                        }
                    }

                    break;
            }

            long hw = state.HighWatermark;
            string where = $"seed {seed} step {step}";
            Assert.True(hw >= previous, $"{where}: high watermark moved back from {previous} to {hw}");
            Assert.True(hw <= Math.Max(durable, previous), $"{where}: high watermark {hw} beyond the durable end {durable}");
            if (hw > before)
            {
                Assert.True(frozenCheck == 0 || !state.IsUnderMinIsr, $"{where}: high watermark moved under min.insync.replicas");
                foreach (int member in state.MaximalIsr)
                {
                    if (member != 1)
                    {
                        Assert.True(ends[member] >= hw, $"{where}: high watermark {hw} beyond ISR member {member}'s log end {ends[member]}");
                    }
                }
            }

            var (done, error) = state.CheckEnoughReplicasReachOffset(hw);
            Assert.True(done);
            Assert.Equal(state.MaximalIsr.Length >= state.EffectiveMinIsr ? ErrorCode.None : ErrorCode.NotEnoughReplicasAfterAppend, error);
            previous = hw;
        }
    }

    private static IsrChangeOutcome Apply(LeaderReplicationState state, int[] isr, int partitionEpoch, long leaderEnd, long now)
    {
        // The image brought the change before the answer did.
        state.UpdateAssignment(state.Replicas, isr, partitionEpoch, leaderEnd, now);
        return IsrChangeOutcome.Committed;
    }
}
