using Chronik.Broker.Partitions;
using Microsoft.Extensions.Time.Testing;

namespace Chronik.Broker.Tests.Partitions;

public class FetchDeadlinesTests
{
    private sealed class Target : IDeadlineTarget
    {
        public int Fired { get; private set; }

        public void OnDeadline() => Fired++;
    }

    [Fact]
    public void A_deadline_fires_when_its_delay_has_passed_and_not_a_tick_before()
    {
        var time = new FakeTimeProvider();
        var deadlines = new FetchDeadlines(time);
        var target = new Target();
        deadlines.Schedule(5, target);

        time.Advance(TimeSpan.FromMilliseconds(5) - TimeSpan.FromTicks(1));
        Assert.Equal(0, target.Fired);
        time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(1, target.Fired);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, target.Fired);
        Assert.Equal(0, deadlines.Count);
    }

    [Fact]
    public void A_cancelled_deadline_never_fires_and_is_dropped()
    {
        var time = new FakeTimeProvider();
        var deadlines = new FetchDeadlines(time);
        var answered = new Target();
        var waiting = new Target();
        deadlines.Schedule(5, answered).Cancel();
        deadlines.Schedule(8, waiting);

        time.Advance(TimeSpan.FromMilliseconds(5));
        Assert.Equal(0, answered.Fired);
        Assert.Equal(0, waiting.Fired);
        Assert.Equal(1, deadlines.Count);
        time.Advance(TimeSpan.FromMilliseconds(3));
        Assert.Equal(1, waiting.Fired);
        Assert.Equal(0, answered.Fired);
        Assert.Equal(0, deadlines.Count);
    }

    [Fact]
    public void A_shorter_deadline_scheduled_after_a_longer_one_fires_on_time()
    {
        var time = new FakeTimeProvider();
        var deadlines = new FetchDeadlines(time);
        var follower = new Target();
        var consumer = new Target();
        deadlines.Schedule(500, follower);
        time.Advance(TimeSpan.FromMilliseconds(10));
        deadlines.Schedule(5, consumer);

        time.Advance(TimeSpan.FromMilliseconds(5));
        Assert.Equal(1, consumer.Fired);
        Assert.Equal(0, follower.Fired);
        time.Advance(TimeSpan.FromMilliseconds(484));
        Assert.Equal(0, follower.Fired);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, follower.Fired);
    }

    [Fact]
    public void Deadlines_sharing_a_moment_all_fire_once()
    {
        var time = new FakeTimeProvider();
        var deadlines = new FetchDeadlines(time);
        var targets = new Target[10];
        for (int i = 0; i < targets.Length; i++)
        {
            targets[i] = new Target();
            deadlines.Schedule(3, targets[i]);
        }

        time.Advance(TimeSpan.FromMilliseconds(3));
        Assert.All(targets, t => Assert.Equal(1, t.Fired));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Randomized_schedules_fire_exactly_the_uncancelled_deadlines_at_their_time(int seed)
    {
        var random = new Random(seed);
        var time = new FakeTimeProvider();
        var deadlines = new FetchDeadlines(time);
        var live = new List<(Target Target, FetchDeadlines.Deadline Deadline, long DueTicks, bool Cancelled)>();
        long now = 0;
        for (int step = 0; step < 2_000; step++)
        {
            switch (random.Next(4))
            {
                case 0:
                case 1:
                    int delay = random.Next(3) == 0 ? random.Next(400, 600) : random.Next(1, 10);
                    var target = new Target();
                    live.Add((target, deadlines.Schedule(delay, target), now + (delay * TimeSpan.TicksPerMillisecond), false));
                    break;
                case 2 when live.Count > 0:
                    int index = random.Next(live.Count);
                    var entry = live[index];
                    if (entry.Target.Fired == 0)
                    {
                        entry.Deadline.Cancel();
                        live[index] = entry with { Cancelled = true };
                    }

                    break;
                default:
                    long advance = random.Next(0, 3 * (int)TimeSpan.TicksPerMillisecond);
                    time.Advance(TimeSpan.FromTicks(advance));
                    now += advance;
                    break;
            }

            // Never early, never twice, never when cancelled; late by less than the timer's millisecond at most.
            foreach (var (target, _, due, cancelled) in live)
            {
                if (cancelled || now < due)
                {
                    Assert.Equal(0, target.Fired);
                }
                else if (now >= due + TimeSpan.TicksPerMillisecond)
                {
                    Assert.Equal(1, target.Fired);
                }
                else
                {
                    Assert.InRange(target.Fired, 0, 1);
                }
            }
        }
    }
}
