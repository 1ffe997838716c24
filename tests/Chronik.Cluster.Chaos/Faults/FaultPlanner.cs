namespace Chronik.Cluster.Chaos.Faults;

/// <summary>The kinds of fault the injector applies to one node.</summary>
public enum FaultKind
{
    /// <summary>kill -9, stay down for the hold time, restart on the same data directory.</summary>
    Kill,

    /// <summary>SIGSTOP for the hold time (sockets stay open, nothing answers), then SIGCONT.</summary>
    Pause,

    /// <summary>SIGTERM (controlled shutdown), stay down for the hold time, restart.</summary>
    CleanRestart,
}

/// <summary>
/// One fault: what to do to which node, how long the node stays down or frozen (<paramref name="Hold"/>),
/// and how long to wait after it is ready again before the next fault (<paramref name="Settle"/>).
/// </summary>
public readonly record struct PlannedFault(int NodeId, FaultKind Kind, TimeSpan Hold, TimeSpan Settle)
{
    public override string ToString() => $"{Kind} node {NodeId} (hold {Hold.TotalSeconds:F1} s, settle {Settle.TotalSeconds:F1} s)";
}

/// <summary>Ranges the planner draws from; the defaults suit a 3-node cluster with a 4 s broker session.</summary>
public sealed record FaultPlanOptions
{
    public required IReadOnlyList<int> NodeIds { get; init; }

    /// <summary>Down time after kill -9.</summary>
    public (TimeSpan Min, TimeSpan Max) KillHold { get; init; } = (TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(5));

    /// <summary>Frozen time: some pauses end inside the broker session (no fencing), some after it.</summary>
    public (TimeSpan Min, TimeSpan Max) PauseHold { get; init; } = (TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(8));

    /// <summary>Down time after a clean shutdown.</summary>
    public (TimeSpan Min, TimeSpan Max) RestartHold { get; init; } = (TimeSpan.Zero, TimeSpan.FromSeconds(2));

    /// <summary>Wait after the node is ready again, before the next fault.</summary>
    public (TimeSpan Min, TimeSpan Max) Settle { get; init; } = (TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
}

/// <summary>
/// The fault schedule, drawn from a seeded <see cref="Random"/>: the same seed gives the same sequence of
/// faults (node, kind, hold, settle), so a failing run is replayed by its seed. Faults are applied one at
/// a time; how long each takes in wall time depends on the cluster, so the planner hands out one fault
/// at a time for as long as the injector asks.
/// </summary>
public sealed class FaultPlanner
{
    private static readonly FaultKind[] Kinds = Enum.GetValues<FaultKind>();

    private readonly Random _random;
    private readonly FaultPlanOptions _options;

    public FaultPlanner(int seed, FaultPlanOptions options)
    {
        if (options.NodeIds.Count == 0)
        {
            throw new ArgumentException("no nodes to fault", nameof(options));
        }

        _random = new Random(seed);
        _options = options;
    }

    public PlannedFault Next()
    {
        int node = _options.NodeIds[_random.Next(_options.NodeIds.Count)];
        FaultKind kind = Kinds[_random.Next(Kinds.Length)];
        TimeSpan hold = Draw(kind switch
        {
            FaultKind.Kill => _options.KillHold,
            FaultKind.Pause => _options.PauseHold,
            _ => _options.RestartHold,
        });
        return new PlannedFault(node, kind, hold, Draw(_options.Settle));
    }

    private TimeSpan Draw((TimeSpan Min, TimeSpan Max) range) =>
        range.Min + ((range.Max - range.Min) * _random.NextDouble());
}
