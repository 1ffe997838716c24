using System.Diagnostics;
using Chronik.Bench.Cli;
using Chronik.Bench.Limits;
using Chronik.Bench.Measure;
using Chronik.Bench.Profiling;
using Chronik.Bench.Targets;
using Chronik.Bench.Workloads;
using Confluent.Kafka;

namespace Chronik.Bench.Scenarios;

/// <summary>
/// Runs one scenario on one target and turns the outcome into a <see cref="TargetRun"/>: figures,
/// broker CPU and peak RSS over the measured interval, or the failure reason — a failure never
/// ends the whole run. For chronik-server, a run that misses its target is repeated under the
/// profiler (see <see cref="Profiler"/>). <paramref name="diskDirectory"/> is on the brokers' filesystem:
/// S4 probes the disk's fsync latency there while it runs (<see cref="DiskProbe"/>).
/// </summary>
public sealed class ScenarioExecutor(RunOptions options, Profiler profiler, string diskDirectory)
{
    private static readonly TimeSpan ProfileWarmup = TimeSpan.FromSeconds(0.5);

    public Task<TargetRun> ProduceAsync(ScenarioDefinition scenario, IBrokerTarget target, string topic, int partitions, int replicationFactor, ProduceSettings settings, TargetRun? reference, CancellationToken cancellationToken) =>
        MeasureAsync(
            scenario,
            target,
            reference,
            async (run, window) =>
            {
                await target.CreateTopicsAsync([topic], partitions, replicationFactor, cancellationToken);
                var result = await ProduceWorkload.RunAsync(target.BootstrapServers, topic, settings, options.Warmup, options.Duration, Label(scenario, target), window.Begin, cancellationToken);
                AddThroughput(run, result);
            },
            ct => ProduceWorkload.RunAsync(target.BootstrapServers, topic, settings, ProfileWarmup, options.ProfileDuration, "profile", () => { }, ct),
            cancellationToken);

    public Task<TargetRun> ConsumeAsync(ScenarioDefinition scenario, IBrokerTarget target, string topic, int partitions, TargetRun? reference, CancellationToken cancellationToken) =>
        MeasureAsync(
            scenario,
            target,
            reference,
            async (run, window) =>
            {
                var result = await ConsumeWorkload.RunAsync(target.BootstrapServers, topic, partitions, options.Warmup, options.Duration, Label(scenario, target), window.Begin, cancellationToken);
                AddThroughput(run, result);
                run.Add("passes", "full passes over the topic", result.Passes, "N0");
            },
            ct => ConsumeWorkload.RunAsync(target.BootstrapServers, topic, partitions, ProfileWarmup, options.ProfileDuration, "profile", () => { }, ct),
            cancellationToken);

    public Task<TargetRun> LatencyAsync(ScenarioDefinition scenario, IBrokerTarget target, TargetRun? reference, CancellationToken cancellationToken) =>
        MeasureAsync(
            scenario,
            target,
            reference,
            async (run, window) =>
            {
                await target.CreateTopicsAsync([ScenarioCatalog.S4Topic], 1, 1, cancellationToken);
                using var disk = DiskProbe.Start(diskDirectory);
                void OnMeasuring()
                {
                    disk.Restart();
                    window.Begin();
                }

                var result = await LatencyWorkload.RunAsync(target.BootstrapServers, ScenarioCatalog.S4Topic, ScenarioCatalog.S4Produce, options.LatencyRate, options.Warmup, options.Duration, Label(scenario, target), OnMeasuring, cancellationToken);
                var (fsync, stalled, fsyncFailure) = disk.Stop();
                run.Add("p50_ms", "end-to-end p50 ms", result.EndToEnd.P50, "0.00");
                run.Add(ScenarioCatalog.P99, "end-to-end p99 ms", result.EndToEnd.P99, "0.00");
                run.Add("p999_ms", "end-to-end p99.9 ms", result.EndToEnd.P999, "0.00");
                run.Add("max_ms", "end-to-end max ms", result.EndToEnd.Max, "0.00");
                run.Add("ack_p50_ms", "ack p50 ms", result.Ack.P50, "0.00");
                run.Add("ack_p99_ms", "ack p99 ms", result.Ack.P99, "0.00");
                run.Add("achieved_rate", $"records/s sent (target {result.TargetRate:N0})", result.AchievedRate, "N0");
                run.Add("lost", "sent but not consumed", result.Lost, "N0");
                if (fsync is { } f)
                {
                    run.Add("disk_p50_ms", "disk meanwhile: 4 KiB append + fdatasync p50 ms", f.P50, "0.00");
                    run.Add("disk_p99_ms", "disk meanwhile: 4 KiB append + fdatasync p99 ms", f.P99, "0.00");
                    run.Add("disk_max_ms", "disk meanwhile: 4 KiB append + fdatasync max ms", f.Max, "0.00");
                    run.Add("disk_stalled_pct", $"disk meanwhile: % of the time inside fdatasyncs over {DiskProbe.StallThreshold.TotalMilliseconds:0} ms", stalled * 100, "0.0");
                }
                else
                {
                    run.Notes.Add($"the disk probe took no samples{(fsyncFailure is null ? string.Empty : ": " + fsyncFailure)}");
                }
            },
            ct => LatencyWorkload.RunAsync(target.BootstrapServers, ScenarioCatalog.S4Topic, ScenarioCatalog.S4Produce, options.LatencyRate, ProfileWarmup, options.ProfileDuration, "profile", () => { }, ct),
            cancellationToken,
            afterWindow: target is ChronikTarget ? run => MeasurePageCacheAcksAsync(scenario, target, run, cancellationToken) : null);

    public Task<TargetRun> ManyTopicsAsync(ScenarioDefinition scenario, IBrokerTarget target, TargetRun? reference, CancellationToken cancellationToken)
    {
        var topics = ScenarioCatalog.ManyTopicNames(options.ManyTopics);
        return MeasureAsync(
            scenario,
            target,
            reference,
            async (run, window) =>
            {
                // The whole scenario owns the kernel's peak RSS; the measured window only times the steady phase.
                var whole = ResourceMonitor.Start(target.ProcessIds);
                try
                {
                    var clock = Stopwatch.StartNew();
                    await target.CreateTopicsAsync(topics, 1, 1, cancellationToken);
                    run.Add("create_s", "creating the topics, s", clock.Elapsed.TotalSeconds, "0.0");
                    if (target.ProcessIds.Count > 0 && ProcessSnapshot.Read(target.ProcessIds[0]) is { } afterCreate)
                    {
                        run.Add("rss_created_mb", "broker RSS with the topics created, MB", afterCreate.RssBytes / 1e6, "0.0");
                    }

                    await ManyTopicsWorkload.TouchAllAsync(target.BootstrapServers, topics, ScenarioCatalog.S5Produce, cancellationToken);
                    window.Begin();
                    var result = await ManyTopicsWorkload.RunAsync(target.BootstrapServers, topics, ScenarioCatalog.S5Produce, options.Duration, Label(scenario, target), cancellationToken);
                    run.Add("acked", "records acknowledged (steady phase)", result.Acked, "N0");
                    run.Add("achieved_rate", "records/s (steady phase)", result.AchievedRate, "N0");
                }
                finally
                {
                    var usage = await whole.StopAsync();
                    await whole.DisposeAsync();
                    if (usage.Processes.Count > 0)
                    {
                        run.Add(ScenarioCatalog.PeakRss, "broker peak RSS MB (creation + steady)", usage.PeakRssBytes / 1e6, "0.0");
                    }
                }
            },
            ct => ManyTopicsWorkload.RunAsync(target.BootstrapServers, topics, ScenarioCatalog.S5Produce, options.ProfileDuration, "profile", ct),
            cancellationToken,
            resetPeakAtWindow: false);
    }

    private static string Label(ScenarioDefinition scenario, IBrokerTarget target) => $"{scenario.Id} {target.Name}";

    /// <summary>
    /// S4 again on chronik-server, outside the measured window, on a topic whose flush.ms relaxes durability the
    /// Kafka way (acknowledged and visible from the page cache, fsynced in the background): the difference to the
    /// main figure is what fsync-before-acknowledge costs on this disk.
    /// </summary>
    private async Task MeasurePageCacheAcksAsync(ScenarioDefinition scenario, IBrokerTarget target, TargetRun run, CancellationToken cancellationToken)
    {
        try
        {
            await target.CreateTopicsAsync([ScenarioCatalog.S4PageCacheTopic], 1, 1, cancellationToken, ScenarioCatalog.S4PageCacheConfigs);
            var result = await LatencyWorkload.RunAsync(target.BootstrapServers, ScenarioCatalog.S4PageCacheTopic, ScenarioCatalog.S4Produce, options.LatencyRate, options.Warmup, options.Duration, Label(scenario, target) + " flush.ms", () => { }, cancellationToken);
            string topic = $"{ScenarioCatalog.S4PageCacheTopic} ({ScenarioCatalog.DescribeConfigs(ScenarioCatalog.S4PageCacheConfigs)}, acknowledged from the page cache)";
            run.Add("pagecache_p50_ms", $"{topic}: end-to-end p50 ms", result.EndToEnd.P50, "0.00");
            run.Add("pagecache_p99_ms", $"{topic}: end-to-end p99 ms", result.EndToEnd.P99, "0.00");
            run.Add("pagecache_max_ms", $"{topic}: end-to-end max ms", result.EndToEnd.Max, "0.00");
            ProgressLine.Say($"  → {scenario.Id} {target.Name} with {ScenarioCatalog.DescribeConfigs(ScenarioCatalog.S4PageCacheConfigs)}: p99 ms {result.EndToEnd.P99:N2}");
        }
        catch (Exception e) when (e is ScenarioFailedException or KafkaException)
        {
            run.Notes.Add($"the run on {ScenarioCatalog.S4PageCacheTopic} failed: {e.Message}");
        }
    }

    private static void AddThroughput(TargetRun run, ThroughputResult result)
    {
        run.Add(ScenarioCatalog.RecordsPerSecond, "records/s", result.RecordsPerSecond, "N0");
        run.Add("mb_per_second", "MB/s (values)", result.MegabytesPerSecond, "N1");
        run.Add("records", "records", result.Records, "N0");
        run.Add("seconds", "measured s", result.Seconds, "0.0");
        if (result.SenderBlockedSeconds is { } blocked && result.Seconds > 0)
        {
            run.Add("sender_blocked_pct", "producer waiting for acknowledgements (unacknowledged-record limit reached), % of the time", blocked / result.Seconds * 100, "0");
        }
    }

    private async Task<TargetRun> MeasureAsync(
        ScenarioDefinition scenario,
        IBrokerTarget target,
        TargetRun? reference,
        Func<TargetRun, MeasuredWindow, Task> body,
        Func<CancellationToken, Task> repeatForProfile,
        CancellationToken cancellationToken,
        bool resetPeakAtWindow = true,
        Func<TargetRun, Task>? afterWindow = null)
    {
        var run = new TargetRun(target.Name);
        var window = new MeasuredWindow(target.ProcessIds, resetPeakAtWindow);
        ProgressLine.Say($"{scenario.Id} on {target.Name}: {scenario.Title}");
        try
        {
            await body(run, window);
        }
        catch (ScenarioFailedException e)
        {
            run.Failure = e.Message;
        }
        catch (KafkaException e)
        {
            run.Failure = $"client error {e.Error.Code}: {e.Error.Reason}";
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            run.Failure = $"{e.GetType().Name}: {e.Message}";
        }

        var (broker, clientCpu) = await window.EndAsync();
        run.Broker = broker;
        run.ClientCpuSeconds = clientCpu;
        if (broker is { Processes.Count: > 0 })
        {
            run.Add("broker_cpu_s", "broker CPU s", broker.CpuSeconds, "0.0");
            run.Add("broker_cores", "broker CPU, cores busy", broker.Cores, "0.00");
            if (run.Value(ScenarioCatalog.PeakRss) is null)
            {
                run.Add(ScenarioCatalog.PeakRss, "broker peak RSS MB", broker.PeakRssBytes / 1e6, "0.0");
            }

            run.Add("rss_end_mb", "broker RSS at the end, MB", broker.Processes.Max(p => p.EndRssBytes) / 1e6, "0.0");
            if (broker.Processes.Any(p => !p.PeakFromKernel) && resetPeakAtWindow)
            {
                run.Notes.Add("peak RSS from 100 ms samples only: the kernel refused to reset VmHWM (clear_refs)");
            }

            run.Add("client_cpu_s", "client (this harness) CPU s", clientCpu, "0.0");
            run.Add("client_cores", "client CPU, cores busy", broker.WallSeconds > 0 ? clientCpu / broker.WallSeconds : 0, "0.00");
        }

        if (!run.Ok && target.RecentOutput(3) is { Length: > 0 } tail)
        {
            run.Notes.Add("broker's last log lines: " + tail.Replace('\n', ' '));
        }

        ProgressLine.Say(run.Ok
            ? $"  → {scenario.Id} {target.Name}: {scenario.PrimaryLabel} {run.Value(scenario.PrimaryKey):N2}"
            : $"  → {scenario.Id} {target.Name} FAILED: {run.Failure}");

        if (run.Ok && afterWindow is not null)
        {
            await afterWindow(run);
        }

        if (ShouldProfile(scenario, target, run, reference))
        {
            ProgressLine.Say($"  profiling chronik-server during a {options.ProfileDuration.TotalSeconds:0} s repeat of {scenario.Id}");
            run.Profile = await profiler.CaptureAsync($"{scenario.Id}-{target.Name}", target.ProcessIds[0], options.ProfileDuration, repeatForProfile, cancellationToken);
        }

        return run;
    }

    private bool ShouldProfile(ScenarioDefinition scenario, IBrokerTarget target, TargetRun run, TargetRun? reference)
    {
        if (target.Name != "chronik" || !run.Ok || target.ProcessIds.Count != 1)
        {
            return false;
        }

        return options.Profile switch
        {
            ProfileMode.Always => true,
            ProfileMode.Auto => scenario.Target?.IsMet(run, reference) == false,
            _ => false,
        };
    }
}
