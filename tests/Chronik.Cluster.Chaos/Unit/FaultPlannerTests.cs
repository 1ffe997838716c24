using Chronik.Cluster.Chaos.Faults;

namespace Chronik.Cluster.Chaos.Unit;

public sealed class FaultPlannerTests
{
    private static readonly FaultPlanOptions Options = new() { NodeIds = [1, 2, 3] };

    [Fact]
    public void The_same_seed_gives_the_same_schedule_and_another_seed_another()
    {
        PlannedFault[] first = Draw(new FaultPlanner(42, Options), 50);
        PlannedFault[] again = Draw(new FaultPlanner(42, Options), 50);
        PlannedFault[] other = Draw(new FaultPlanner(43, Options), 50);

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void Every_node_and_kind_is_drawn_and_times_stay_in_their_ranges()
    {
        for (int seed = 0; seed < 20; seed++)
        {
            PlannedFault[] faults = Draw(new FaultPlanner(seed, Options), 200);

            Assert.Equal([1, 2, 3], faults.Select(f => f.NodeId).Distinct().Order());
            Assert.Equal(Enum.GetValues<FaultKind>(), faults.Select(f => f.Kind).Distinct().Order());
            foreach (PlannedFault fault in faults)
            {
                var (min, max) = fault.Kind switch
                {
                    FaultKind.Kill => Options.KillHold,
                    FaultKind.Pause => Options.PauseHold,
                    _ => Options.RestartHold,
                };
                Assert.InRange(fault.Hold, min, max);
                Assert.InRange(fault.Settle, Options.Settle.Min, Options.Settle.Max);
            }
        }
    }

    [Fact]
    public void Pauses_fall_on_both_sides_of_the_broker_session()
    {
        // The chaos nodes run with broker.session.timeout.ms=4000: some pauses get the node fenced, some do not.
        PlannedFault[] pauses = [.. Draw(new FaultPlanner(7, Options), 300).Where(f => f.Kind == FaultKind.Pause)];

        Assert.Contains(pauses, p => p.Hold < TimeSpan.FromSeconds(4));
        Assert.Contains(pauses, p => p.Hold > TimeSpan.FromSeconds(4));
    }

    [Fact]
    public void A_planner_needs_nodes()
    {
        Assert.Throws<ArgumentException>(() => new FaultPlanner(1, new FaultPlanOptions { NodeIds = [] }));
    }

    private static PlannedFault[] Draw(FaultPlanner planner, int count) => [.. Enumerable.Range(0, count).Select(_ => planner.Next())];
}
