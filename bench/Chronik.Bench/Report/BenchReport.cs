using Chronik.Bench.Cli;
using Chronik.Bench.Limits;
using Chronik.Bench.Scenarios;

namespace Chronik.Bench.Report;

/// <summary>Everything one `chronik-bench run` measured, ready to be written as Markdown.</summary>
public sealed class BenchReport(RunOptions options, MachineInfo machine, string librdkafkaVersion, string serverPath)
{
    public RunOptions Options { get; } = options;

    public MachineInfo Machine { get; } = machine;

    public string LibrdkafkaVersion { get; } = librdkafkaVersion;

    public string ServerPath { get; } = serverPath;

    public DateTime StartedUtc { get; } = DateTime.UtcNow;

    public DateTime FinishedUtc { get; set; }

    public string? LoadAtEnd { get; set; }

    public RawLimits? Limits { get; set; }

    public string? LimitsFailure { get; set; }

    public List<ScenarioOutcome> Outcomes { get; } = [];

    /// <summary>Things said once for the whole run (e.g. CreateTopics not served).</summary>
    public SortedSet<string> Notes { get; } = new(StringComparer.Ordinal);
}
