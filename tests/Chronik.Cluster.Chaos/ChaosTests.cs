using Chronik.Cluster.Chaos.Run;
using Confluent.Kafka;
using Xunit.Abstractions;

namespace Chronik.Cluster.Chaos;

/// <summary>
/// The short chaos run CI executes: three nodes, at least 60 s of faults (kill -9, SIGSTOP/SIGCONT, clean
/// restarts, one node at a time, seeded), then the checker. scripts/chaos.sh runs the same test longer and
/// repeatedly through CHRONIK_CHAOS_SECONDS / CHRONIK_CHAOS_SEED.
/// </summary>
public sealed class ChaosTests(ITestOutputHelper output)
{
    [Fact]
    public void Bundled_librdkafka_is_loaded()
    {
        // The system's librdkafka (Debian 2.0.2) would silently change what the clients do (tests/Confluent.Kafka.targets).
        Assert.StartsWith("2.16.", Library.VersionString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_acknowledged_record_survives_random_kills_pauses_and_restarts()
    {
        ChaosOptions options = ChaosOptions.FromEnvironment();
        ChaosOutcome outcome = await ChaosRun.RunAsync(options, output.WriteLine);
        output.WriteLine(outcome.Figures.OneLine(outcome.Passed));
        Assert.True(outcome.Passed, outcome.Report());
    }
}
