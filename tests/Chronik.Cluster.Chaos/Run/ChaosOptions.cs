using System.Globalization;

namespace Chronik.Cluster.Chaos.Run;

/// <summary>
/// Settings of one chaos run. <see cref="FromEnvironment"/> reads the overrides scripts/chaos.sh passes:
/// CHRONIK_CHAOS_SECONDS (fault phase length), CHRONIK_CHAOS_SEED, CHRONIK_CHAOS_FIGURES (file the
/// one-line figures are appended to), CHRONIK_CHAOS_KEEP=1 (keep logs and data even when the run passes).
/// </summary>
public sealed record ChaosOptions
{
    /// <summary>Seed of the fault schedule; the same seed replays the same faults.</summary>
    public required int Seed { get; init; }

    /// <summary>The fault phase lasts at least this long (the issue asks for at least 60 s).</summary>
    public TimeSpan FaultDuration { get; init; } = TimeSpan.FromSeconds(60);

    public int Nodes { get; init; } = 3;

    public int Partitions { get; init; } = 6;

    public short ReplicationFactor { get; init; } = 3;

    public int MinInsyncReplicas { get; init; } = 2;

    /// <summary>Producers with enable.idempotence=true.</summary>
    public int IdempotentProducers { get; init; } = 2;

    /// <summary>Producers without idempotence (max.in.flight=1).</summary>
    public int PlainProducers { get; init; } = 1;

    /// <summary>Send rate of each producer, spread over every partition.</summary>
    public double RecordsPerSecond { get; init; } = 150;

    public int ValueSize { get; init; } = 100;

    /// <summary>The group consumer commits its positions this often.</summary>
    public TimeSpan CommitInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The cluster must serve a produce and fetch on every partition within this time after the last fault.</summary>
    public TimeSpan ServeDeadline { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>File the run's one-line figures are appended to (null: none).</summary>
    public string? FiguresFile { get; init; }

    /// <summary>Keep the run directory (broker logs, data, event log) even when the run passes.</summary>
    public bool KeepFiles { get; init; }

    /// <summary>
    /// Flags every node gets: heartbeats every 500 ms and a 4 s broker session, so a dead or frozen broker is
    /// fenced and its leaderships move within seconds (Kafka's 2 s / 9 s would make every fault long).
    /// </summary>
    public IReadOnlyList<string> BrokerArguments { get; init; } =
    [
        "--override", "broker.heartbeat.interval.ms=500",
        "--override", "broker.session.timeout.ms=4000",
    ];

    public static ChaosOptions FromEnvironment()
    {
        string? seconds = Environment.GetEnvironmentVariable("CHRONIK_CHAOS_SECONDS");
        string? seed = Environment.GetEnvironmentVariable("CHRONIK_CHAOS_SEED");
        return new ChaosOptions
        {
            Seed = string.IsNullOrEmpty(seed) ? Random.Shared.Next() : int.Parse(seed, CultureInfo.InvariantCulture),
            FaultDuration = string.IsNullOrEmpty(seconds) ? TimeSpan.FromSeconds(60) : TimeSpan.FromSeconds(double.Parse(seconds, CultureInfo.InvariantCulture)),
            FiguresFile = Environment.GetEnvironmentVariable("CHRONIK_CHAOS_FIGURES") is { Length: > 0 } figures ? figures : null,
            KeepFiles = Environment.GetEnvironmentVariable("CHRONIK_CHAOS_KEEP") == "1",
        };
    }
}
