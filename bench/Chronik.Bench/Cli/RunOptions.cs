using System.Globalization;

namespace Chronik.Bench.Cli;

/// <summary>When a CPU profile of chronik-server is taken.</summary>
public enum ProfileMode
{
    /// <summary>Only for scenarios where Chronik misses its target.</summary>
    Auto,
    Always,
    Never,
}

/// <summary>Options of `chronik-bench run`.</summary>
public sealed record RunOptions
{
    /// <summary>Every scenario is at most this long (the issue's limit).</summary>
    public const double MaxScenarioSeconds = 60;

    public required bool Quick { get; init; }

    /// <summary>Measured interval of each scenario on each target.</summary>
    public required TimeSpan Duration { get; init; }

    /// <summary>Unmeasured traffic before each measured interval.</summary>
    public required TimeSpan Warmup { get; init; }

    public required int ManyTopics { get; init; }

    public required int LatencyRate { get; init; }

    public required IReadOnlySet<string> Scenarios { get; init; }

    public required ProfileMode Profile { get; init; }

    public required TimeSpan ProfileDuration { get; init; }

    /// <summary>Folder holding the dotnet-trace and dotnet-counters executables (bench/run.sh installs them).</summary>
    public required string? ToolsDirectory { get; init; }

    /// <summary>Broker data directories and the disk test live here; a temp folder (deleted after) when null.</summary>
    public required string? WorkDirectory { get; init; }

    public required string OutputPath { get; init; }

    public required string? ClusterBootstrap { get; init; }

    public required IReadOnlyList<int> ClusterProcessIds { get; init; }

    public required int ClusterReplicationFactor { get; init; }

    /// <summary>What was measured, e.g. "feat/bench @ 1a2b3c4" (bench/run.sh passes the git commit).</summary>
    public required string? Revision { get; init; }

    public static readonly string[] AllScenarios = ["S1", "S2", "S3", "S4", "S5", "S6"];

    public static RunOptions Parse(Arguments args)
    {
        bool quick = args.Flag("--quick");
        var duration = args.Seconds("--duration", TimeSpan.FromSeconds(quick ? 3 : 15), MaxScenarioSeconds - 10);
        var warmup = args.Seconds("--warmup", TimeSpan.FromSeconds(quick ? 1 : 2), 10);
        string? scenarioList = args.String("--scenarios");
        var scenarios = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (string s in (scenarioList ?? string.Join(',', AllScenarios)).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string id = s.ToUpperInvariant();
            if (!AllScenarios.Contains(id))
            {
                throw new UsageException($"--scenarios: unknown scenario '{s}' (known: {string.Join(", ", AllScenarios)})");
            }

            scenarios.Add(id);
        }

        string profileText = args.String("--profile") ?? "auto";
        var profile = profileText switch
        {
            "auto" => ProfileMode.Auto,
            "always" => ProfileMode.Always,
            "never" => ProfileMode.Never,
            _ => throw new UsageException($"--profile must be auto, always or never, not '{profileText}'"),
        };

        string? pids = args.String("--cluster-pids");
        var processIds = new List<int>();
        foreach (string p in (pids ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            processIds.Add(int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out int pid) && pid > 0
                ? pid
                : throw new UsageException($"--cluster-pids: '{p}' is not a process id"));
        }

        var options = new RunOptions
        {
            Quick = quick,
            Duration = duration,
            Warmup = warmup,
            ManyTopics = args.Int("--many-topics", 1000, 1, 100_000),
            LatencyRate = args.Int("--latency-rate", 10_000, 1, 1_000_000),
            Scenarios = scenarios,
            Profile = profile,
            ProfileDuration = args.Seconds("--profile-duration", TimeSpan.FromSeconds(quick ? 3 : 10), 30),
            ToolsDirectory = args.String("--tools-dir"),
            WorkDirectory = args.String("--work-dir"),
            OutputPath = args.String("--out") ?? Path.Combine("bench", "results", DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + ".md"),
            ClusterBootstrap = args.String("--cluster-bootstrap") is { } bootstrap ? Chronik.Testing.Loopback.Bootstrap(bootstrap) : null,
            ClusterProcessIds = processIds,
            ClusterReplicationFactor = args.Int("--cluster-replication", 3, 1, 16),
            Revision = args.String("--revision"),
        };
        if (options.ClusterBootstrap is null && processIds.Count > 0)
        {
            throw new UsageException("--cluster-pids needs --cluster-bootstrap");
        }

        return options;
    }
}
