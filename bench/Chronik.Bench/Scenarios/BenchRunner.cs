using Chronik.Bench.Cli;
using Chronik.Bench.Limits;
using Chronik.Bench.Measure;
using Chronik.Bench.Mock;
using Chronik.Bench.Native;
using Chronik.Bench.Profiling;
using Chronik.Bench.Report;
using Chronik.Bench.Targets;
using Chronik.Testing;

namespace Chronik.Bench.Scenarios;

/// <summary>
/// One whole run: the machine's raw limits, then each scenario on the mock and right after on
/// chronik-server (a fresh broker process of each per scenario group, S3 sharing S1's), so both see
/// the same machine state. A failure is recorded and the run goes on.
/// </summary>
public sealed class BenchRunner(RunOptions options)
{
    private const int MockBrokers = 1;
    private const int ClusterMockBrokers = 3;
    private const int ClusterNodes = 3;

    public async Task<BenchReport> RunAsync(CancellationToken cancellationToken)
    {
        string librdkafka = BundledLibrdkafka.LoadForConfluent();
        using var ownWork = options.WorkDirectory is null ? new TempDirectory("bench") : null;
        string work = options.WorkDirectory ?? ownWork!.Path;
        Directory.CreateDirectory(work);
        var report = new BenchReport(options, MachineInfo.Read(), librdkafka, ServerPath());
        ProgressLine.Say($"chronik-bench: librdkafka {librdkafka}, chronik-server {report.ServerPath}, work dir {work}");
        ProgressLine.Say($"  {options.Duration.TotalSeconds:0.#} s per measurement after {options.Warmup.TotalSeconds:0.#} s warm-up{(options.Quick ? " (quick)" : string.Empty)}");

        await MeasureLimitsAsync(report, work, cancellationToken);
        var executor = new ScenarioExecutor(options, new Profiler(options.ToolsDirectory, Path.Combine(work, "profiles")), work);
        int group = 0;

        if (Wants("S1") || Wants("S3"))
        {
            var s1 = Add(report, ScenarioCatalog.S1);
            var s3 = Wants("S3") ? Add(report, ScenarioCatalog.S3) : null;
            await OnEachTargetAsync(report, work, ++group, 1, [s1, s3], cancellationToken, async target =>
            {
                s1.Runs.Add(await executor.ProduceAsync(s1.Definition, target, ScenarioCatalog.S1Topic, 1, 1, ScenarioCatalog.S1Produce, s1.Reference, cancellationToken));
                if (s3 is not null)
                {
                    s3.Runs.Add(await executor.ConsumeAsync(s3.Definition, target, ScenarioCatalog.S1Topic, 1, s3.Reference, cancellationToken));
                }
            });
        }

        if (Wants("S2"))
        {
            var s2 = Add(report, ScenarioCatalog.S2);
            await OnEachTargetAsync(report, work, ++group, ScenarioCatalog.S2Partitions, [s2], cancellationToken, async target =>
                s2.Runs.Add(await executor.ProduceAsync(s2.Definition, target, ScenarioCatalog.S2Topic, ScenarioCatalog.S2Partitions, 1, ScenarioCatalog.S2Produce, s2.Reference, cancellationToken)));
        }

        if (Wants("S4"))
        {
            var s4 = Add(report, ScenarioCatalog.S4(options));
            await OnEachTargetAsync(report, work, ++group, 1, [s4], cancellationToken, async target =>
                s4.Runs.Add(await executor.LatencyAsync(s4.Definition, target, s4.Reference, cancellationToken)));
        }

        if (Wants("S5"))
        {
            var s5 = Add(report, ScenarioCatalog.S5(options));
            await OnEachTargetAsync(report, work, ++group, 1, [s5], cancellationToken, async target =>
                s5.Runs.Add(await executor.ManyTopicsAsync(s5.Definition, target, s5.Reference, cancellationToken)));
        }

        if (Wants("S6"))
        {
            await RunClusterAsync(report, executor, cancellationToken);
        }

        report.FinishedUtc = DateTime.UtcNow;
        report.LoadAtEnd = MachineInfo.CurrentLoad();
        return report;
    }

    private bool Wants(string id) => options.Scenarios.Contains(id);

    private static ScenarioOutcome Add(BenchReport report, ScenarioDefinition definition)
    {
        var outcome = new ScenarioOutcome(definition);
        report.Outcomes.Add(outcome);
        return outcome;
    }

    private static string ServerPath()
    {
        try
        {
            return ServerExecutable.Path;
        }
        catch (FileNotFoundException e)
        {
            return "not found: " + e.Message;
        }
    }

    /// <summary>Runs <paramref name="body"/> on a fresh mock, then on a fresh chronik-server; a target that does not start fails its scenarios.</summary>
    private static async Task OnEachTargetAsync(BenchReport report, string work, int group, int defaultPartitions, ScenarioOutcome?[] outcomes, CancellationToken cancellationToken, Func<IBrokerTarget, Task> body)
    {
        string dataDirectory = Path.Combine(work, $"chronik-{group}");
        foreach (string kind in new[] { "mock", "chronik" })
        {
            IBrokerTarget target;
            try
            {
                target = kind == "mock"
                    ? await MockBrokerTarget.StartAsync(MockBrokers, cancellationToken)
                    : await ChronikTarget.StartAsync(dataDirectory, defaultPartitions, note => report.Notes.Add(note), cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                string reason = $"could not start {kind}: {FirstLine(e.Message)}";
                ProgressLine.Say("  " + reason);
                foreach (var outcome in outcomes)
                {
                    outcome?.Runs.Add(new TargetRun(kind) { Failure = reason });
                }

                continue;
            }

            try
            {
                await using (target)
                {
                    await body(target);
                }
            }
            finally
            {
                DeleteQuietly(dataDirectory);
            }
        }
    }

    /// <summary>A produce scenario leaves gigabytes behind; each group's data goes as soon as its broker has stopped.</summary>
    private static void DeleteQuietly(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private async Task RunClusterAsync(BenchReport report, ScenarioExecutor executor, CancellationToken cancellationToken)
    {
        var s6 = Add(report, ScenarioCatalog.S6(options));
        void Note(string note) => report.Notes.Add(note);
        var targets = new List<(string Name, Func<Task<IBrokerTarget>> Start)>
        {
            ("mock", async () => await MockBrokerTarget.StartAsync(ClusterMockBrokers, cancellationToken)),
            options.ClusterBootstrap is { } bootstrap
                ? ("cluster", () => Task.FromResult<IBrokerTarget>(new ExternalTarget("cluster", bootstrap, options.ClusterProcessIds, Note)))
                : ("cluster", async () => await LocalClusterTarget.StartAsync(ClusterNodes, Note)),
        };
        foreach (var (name, start) in targets)
        {
            IBrokerTarget target;
            try
            {
                if (name == "cluster" && options.ClusterBootstrap is null)
                {
                    ProgressLine.Say($"S6: starting a local {ClusterNodes}-node chronik-server cluster");
                }

                target = await start();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                string reason = $"could not start {name}: {FirstLine(e.Message)}";
                ProgressLine.Say("  " + reason);
                s6.Runs.Add(new TargetRun(name) { Failure = reason });
                continue;
            }

            await using (target)
            {
                s6.Runs.Add(await executor.ProduceAsync(s6.Definition, target, ScenarioCatalog.S6Topic, ScenarioCatalog.S2Partitions, options.ClusterReplicationFactor, ScenarioCatalog.S2Produce, s6.Reference, cancellationToken));
            }
        }
    }

    private async Task MeasureLimitsAsync(BenchReport report, string work, CancellationToken cancellationToken)
    {
        var span = TimeSpan.FromSeconds(options.Quick ? 1 : 3);
        try
        {
            ProgressLine.Say("Machine limits: loopback TCP, one stream");
            double loopback = await LoopbackThroughput.MeasureAsync(span, cancellationToken);
            string disk = Path.Combine(work, "disk");
            Directory.CreateDirectory(disk);
            ProgressLine.Say("Machine limits: sequential 1 MiB writes with fdatasync each, then buffered, then 4 KiB appends with fdatasync");
            double synced = DiskWrite.MeasureSequential(disk, span, syncEach: true);
            double buffered = DiskWrite.MeasureSequential(disk, span, syncEach: false);
            var small = DiskWrite.MeasureSmallSyncedAppends(disk, span);
            report.Limits = new RawLimits(loopback, synced, buffered, small, DiskWrite.DescribeFilesystem(disk));
            ProgressLine.Say($"  → loopback {loopback:N0} MB/s, synced writes {synced:N0} MB/s, buffered {buffered:N0} MB/s, 4 KiB append+fdatasync p50 {small.P50:0.000} ms");
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or UnauthorizedAccessException)
        {
            report.LimitsFailure = e.Message;
            ProgressLine.Say("  machine limits failed: " + e.Message);
        }
    }

    private static string FirstLine(string text)
    {
        int newline = text.IndexOf('\n');
        return newline < 0 ? text : text[..newline];
    }
}
