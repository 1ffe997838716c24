using Chronik.Cluster.Quorum;
using Microsoft.Extensions.Time.Testing;

namespace Chronik.Cluster.Tests.Quorum;

public class RepeatedWarningThrottleTests
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(30);

    private const string Category = "DotNext.Net.Cluster.Consensus.Raft.RaftCluster";
    private const string Unavailable = "Cluster member 127.0.0.1:9001 is unavailable";

    [Fact]
    public void The_first_warning_is_logged_repeats_within_the_window_are_counted_and_the_next_one_after_it_carries_the_count()
    {
        var time = new FakeTimeProvider();
        var throttle = new RepeatedWarningThrottle(time, Window);

        Assert.Equal(WarningAction.Log, throttle.Decide(Category, 74010, Unavailable).Action);
        for (int i = 0; i < 299; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            Assert.Equal(WarningAction.Suppress, throttle.Decide(Category, 74010, Unavailable).Action);
        }

        time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(new WarningVerdict(WarningAction.LogSummary, 299, Window), throttle.Decide(Category, 74010, Unavailable));

        // A new window starts at the summary.
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(WarningAction.Suppress, throttle.Decide(Category, 74010, Unavailable).Action);
        time.Advance(TimeSpan.FromSeconds(45));
        Assert.Equal(new WarningVerdict(WarningAction.LogSummary, 1, TimeSpan.FromSeconds(46)), throttle.Decide(Category, 74010, Unavailable));
    }

    [Fact]
    public void A_warning_rarer_than_once_a_window_is_always_logged_in_full()
    {
        var time = new FakeTimeProvider();
        var throttle = new RepeatedWarningThrottle(time, Window);

        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(new WarningVerdict(WarningAction.Log, 0, TimeSpan.Zero), throttle.Decide(Category, 74010, Unavailable));
            time.Advance(Window);
        }
    }

    [Fact]
    public void Category_event_id_and_message_each_tell_warnings_apart()
    {
        var time = new FakeTimeProvider();
        var throttle = new RepeatedWarningThrottle(time, Window);

        Assert.Equal(WarningAction.Log, throttle.Decide(Category, 74010, Unavailable).Action);
        Assert.Equal(WarningAction.Log, throttle.Decide(Category, 74010, "Cluster member 127.0.0.1:9002 is unavailable").Action);
        Assert.Equal(WarningAction.Log, throttle.Decide(Category, 74011, Unavailable).Action);
        Assert.Equal(WarningAction.Log, throttle.Decide("DotNext.Other", 74010, Unavailable).Action);
        Assert.Equal(WarningAction.Suppress, throttle.Decide(Category, 74010, Unavailable).Action);
        Assert.Equal(4, throttle.TrackedCount);
    }

    [Fact]
    public void When_full_quiet_warnings_are_forgotten_and_a_warning_without_room_is_logged_untracked()
    {
        var time = new FakeTimeProvider();
        var throttle = new RepeatedWarningThrottle(time, Window, capacity: 3);
        for (int peer = 1; peer <= 3; peer++)
        {
            Assert.Equal(WarningAction.Log, throttle.Decide(Category, 74010, $"member {peer}").Action);
        }

        // Full of live warnings: a new one is never dropped, only not tracked.
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(WarningAction.Log, throttle.Decide(Category, 74010, "member 4").Action);
            Assert.Equal(3, throttle.TrackedCount);
        }

        // Member 1 keeps failing; 2 and 3 go quiet for a window and make room.
        time.Advance(Window / 2);
        Assert.Equal(WarningAction.Suppress, throttle.Decide(Category, 74010, "member 1").Action);
        time.Advance(Window / 2);
        Assert.Equal(WarningAction.Log, throttle.Decide(Category, 74010, "member 4").Action);
        Assert.Equal(2, throttle.TrackedCount);
        Assert.Equal(WarningAction.Suppress, throttle.Decide(Category, 74010, "member 4").Action);
        Assert.Equal(WarningAction.LogSummary, throttle.Decide(Category, 74010, "member 1").Action);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(42)]
    [InlineData(20240611)]
    public void Random_schedules_log_at_most_once_per_window_and_report_every_drop(int seed)
    {
        var random = new Random(seed);
        var time = new FakeTimeProvider();
        var throttle = new RepeatedWarningThrottle(time, Window, capacity: 4);
        string[] messages = ["member 1", "member 2", "member 3", "member 4", "member 5", "member 6"];
        var lastLogged = new Dictionary<string, DateTimeOffset>();
        var lastSeen = new Dictionary<string, DateTimeOffset>();
        var dropped = new Dictionary<string, int>();
        var loggedWhileFull = new Dictionary<string, bool>();

        for (int step = 0; step < 5_000; step++)
        {
            time.Advance(TimeSpan.FromMilliseconds(random.Next(0, random.Next(2) == 0 ? 300 : 40_000)));
            string message = messages[random.Next(messages.Length)];
            var now = time.GetUtcNow();
            var verdict = throttle.Decide(Category, 74010, message);
            string where = $"seed {seed}, step {step}, {message}: {verdict}";
            Assert.True(throttle.TrackedCount <= 4, where);
            bool loggedBefore = lastLogged.TryGetValue(message, out var logged);
            switch (verdict.Action)
            {
                case WarningAction.Suppress:
                    Assert.True(loggedBefore && now - logged < Window, where);
                    dropped[message] = dropped.GetValueOrDefault(message) + 1;
                    break;
                case WarningAction.LogSummary:
                    Assert.True(loggedBefore && now - logged >= Window, where);
                    Assert.Equal(now - logged, verdict.Since);
                    Assert.Equal(dropped.GetValueOrDefault(message), verdict.Suppressed);
                    Assert.True(verdict.Suppressed > 0, where);
                    break;
                case WarningAction.Log:
                    Assert.Equal(0, verdict.Suppressed);
                    if (loggedBefore && now - logged < Window)
                    {
                        // Only a warning that found no room (when last logged) is logged again within its window.
                        Assert.True(loggedWhileFull[message], where);
                    }

                    if (dropped.GetValueOrDefault(message) > 0)
                    {
                        // Drops go unreported only when the warning was forgotten: quiet for a whole window.
                        Assert.True(now - lastSeen[message] >= Window, where);
                    }

                    break;
            }

            lastSeen[message] = now;
            if (verdict.Action != WarningAction.Suppress)
            {
                lastLogged[message] = now;
                dropped[message] = 0;
                loggedWhileFull[message] = throttle.TrackedCount == 4;
            }
        }
    }
}
