using System.Globalization;
using System.Text;
using Chronik.Bench.Profiling;
using Chronik.Bench.Scenarios;
using Chronik.Bench.Workloads;

namespace Chronik.Bench.Report;

/// <summary>Writes a <see cref="BenchReport"/> as the Markdown file committed under bench/results.</summary>
public static class MarkdownReport
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Write(BenchReport report, string commandLine)
    {
        var md = new StringBuilder();
        WriteHeader(md, report);
        WriteSummary(md, report);
        WriteLimits(md, report);
        WriteScenarios(md, report);
        WriteProfiles(md, report);
        WriteMethod(md, report, commandLine);
        return md.ToString();
    }

    private static void WriteHeader(StringBuilder md, BenchReport report)
    {
        var o = report.Options;
        md.Append(Invariant, $"# Chronik benchmark, {report.StartedUtc:yyyy-MM-dd HH:mm} UTC\n\n");
        md.Append(Invariant, $"chronik-server{(o.Revision is { } r ? $" ({r})" : string.Empty)} beside librdkafka {report.LibrdkafkaVersion}'s mock cluster ");
        md.Append("(in memory, no disk I/O), each scenario run on the mock and right after on Chronik, in one run on this machine. ");
        md.Append(Invariant, $"{(o.Quick ? "**Quick mode** (smoke run): " : string.Empty)}{o.Duration.TotalSeconds:0.#} s measured per scenario and broker after {o.Warmup.TotalSeconds:0.#} s of warm-up. ");
        md.Append(Invariant, $"Load average {report.Machine.LoadAverage} at the start, {report.LoadAtEnd ?? "?"} at the end.\n\n");
        md.Append("The machine is small and shared, so absolute figures are noisy: compare the **Chronik/mock ratios**, taken minutes apart under the same conditions, ");
        md.Append("and read the absolute figures against the machine's own limits measured in the same run.\n\n");
    }

    private static void WriteSummary(StringBuilder md, BenchReport report)
    {
        md.Append("## Summary\n\n");
        md.Append("| | scenario | headline | Chronik | mock | Chronik/mock | target | met |\n");
        md.Append("|---|---|---|---:|---:|---:|---|---|\n");
        foreach (var outcome in report.Outcomes)
        {
            var d = outcome.Definition;
            if (outcome.NotRun is { } notRun)
            {
                md.Append(Invariant, $"| {d.Id} | {d.Title} | {d.PrimaryLabel} | {notRun} | | | | |\n");
                continue;
            }

            string target = d.Target?.Description ?? "–";
            string met = outcome.TargetMet switch
            {
                true => "yes",
                false => "**no**",
                null => d.Target is null ? "–" : "n/a",
            };
            string ratio = outcome.Ratio is { } x ? x.ToString("0.00", Invariant) + "×" + (d.HigherIsBetter ? string.Empty : " (lower is better)") : "–";
            md.Append(Invariant, $"| {d.Id} | {d.Title} | {d.PrimaryLabel} | {Headline(outcome.Subject, d)} | {Headline(outcome.Reference, d)} | {ratio} | {target} | {met} |\n");
        }

        md.Append('\n');
        var failed = report.Outcomes.SelectMany(o => o.Runs.Where(r => !r.Ok).Select(r => (o.Definition.Id, Run: r))).ToList();
        if (failed.Count > 0)
        {
            md.Append("Failed runs (details under each scenario):\n\n");
            foreach (var (id, run) in failed)
            {
                md.Append(Invariant, $"- {id} on {run.Target}: {Escape(Shorten(run.Failure!, 300))}\n");
            }

            md.Append('\n');
        }

        foreach (string note in report.Notes)
        {
            md.Append(Invariant, $"Note: {Escape(note)}\n\n");
        }
    }

    private static string Headline(TargetRun? run, ScenarioDefinition d)
    {
        if (run is null)
        {
            return "–";
        }

        if (!run.Ok)
        {
            return "failed";
        }

        var figure = run.Figures.FirstOrDefault(f => f.Key == d.PrimaryKey);
        return figure is null ? "–" : Format(figure);
    }

    private static void WriteLimits(StringBuilder md, BenchReport report)
    {
        md.Append("## The machine's limits, measured in the same run\n\n");
        if (report.Limits is not { } l)
        {
            md.Append(Invariant, $"Not measured: {report.LimitsFailure ?? "skipped"}\n\n");
            return;
        }

        md.Append("| what | figure |\n|---|---:|\n");
        md.Append(Invariant, $"| loopback TCP, one stream, 1 MiB writes | {l.LoopbackMegabytesPerSecond:N0} MB/s ({l.LoopbackMegabytesPerSecond * 8 / 1000:0.0} Gbit/s) |\n");
        md.Append(Invariant, $"| sequential write, 1 MiB + fdatasync each | {l.SyncedWriteMegabytesPerSecond:N0} MB/s |\n");
        md.Append(Invariant, $"| sequential write, 1 MiB buffered, one fdatasync at the end | {l.BufferedWriteMegabytesPerSecond:N0} MB/s |\n");
        md.Append(Invariant, $"| 4 KiB append + fdatasync | p50 {l.SmallAppendSync.P50:0.000} ms, p99 {l.SmallAppendSync.P99:0.000} ms (≈ {l.SmallAppendSync.AppendsPerSecond:N0} durable appends/s without group commit) |\n\n");
        md.Append(Invariant, $"Disk figures are for the filesystem holding the brokers' data directories: {l.Filesystem}.\n\n");
    }

    private static void WriteScenarios(StringBuilder md, BenchReport report)
    {
        md.Append("## Scenarios\n\n");
        foreach (var outcome in report.Outcomes)
        {
            var d = outcome.Definition;
            md.Append(Invariant, $"### {d.Id}: {d.Title}\n\n{d.Setup}\n\n");
            if (outcome.NotRun is { } notRun)
            {
                md.Append(Invariant, $"{notRun}.\n\n");
                continue;
            }

            var runs = outcome.Runs.OrderBy(r => r.Target == "mock" ? 1 : 0).ToList();
            var keys = new List<(string Key, string Label)>();
            foreach (var figure in runs.SelectMany(r => r.Figures))
            {
                if (!keys.Any(k => k.Key == figure.Key))
                {
                    keys.Add((figure.Key, figure.Label));
                }
            }

            if (keys.Count > 0)
            {
                md.Append("| figure | ").Append(string.Join(" | ", runs.Select(r => DisplayName(r.Target)))).Append(" |\n");
                md.Append("|---|").Append(string.Concat(runs.Select(_ => "---:|"))).Append('\n');
                foreach (var (key, label) in keys)
                {
                    md.Append(Invariant, $"| {label} | ");
                    md.Append(string.Join(" | ", runs.Select(r => r.Figures.FirstOrDefault(f => f.Key == key) is { } f ? Format(f) : "–")));
                    md.Append(" |\n");
                }

                md.Append('\n');
            }

            foreach (var run in runs)
            {
                if (!run.Ok)
                {
                    md.Append(Invariant, $"- **{DisplayName(run.Target)} failed:** {Escape(run.Failure!)}\n");
                }

                foreach (string note in run.Notes)
                {
                    md.Append(Invariant, $"- {DisplayName(run.Target)}: {Escape(note)}\n");
                }
            }

            md.Append('\n');
        }
    }

    private static void WriteProfiles(StringBuilder md, BenchReport report)
    {
        md.Append("## Where the time goes\n\n");
        bool any = false;
        foreach (var outcome in report.Outcomes)
        {
            var d = outcome.Definition;
            var subject = outcome.Subject;
            if (subject is null || d.Target is null)
            {
                continue;
            }

            if (outcome.TargetMet is null)
            {
                any = true;
                md.Append(Invariant, $"- {d.Id}: target ({d.Target.Description}) not evaluated: {(subject.Ok ? "the mock run failed" : "Chronik could not run it")}.\n");
                continue;
            }

            if (outcome.TargetMet == true && subject.Profile is null)
            {
                any = true;
                md.Append(Invariant, $"- {d.Id}: target ({d.Target.Description}) met.\n");
            }
        }

        if (any)
        {
            md.Append('\n');
        }

        bool profiled = false;
        foreach (var outcome in report.Outcomes)
        {
            var d = outcome.Definition;
            foreach (var run in outcome.Runs.Where(r => r.Profile is not null))
            {
                profiled = true;
                string why = run == outcome.Subject && outcome.TargetMet == false ? $"target {d.Target!.Description} missed" : "profile requested";
                md.Append(Invariant, $"### {d.Id} on {DisplayName(run.Target)}: {why}\n\n");
                WriteProfile(md, run.Profile!);
            }
        }

        if (!any && !profiled)
        {
            md.Append("No target to report on in this run.\n\n");
        }
    }

    private static void WriteProfile(StringBuilder md, ProfileReport profile)
    {
        if (profile.NotTaken is { } reason)
        {
            md.Append(Invariant, $"Profile not taken: {Escape(reason)}.\n\n");
            return;
        }

        md.Append(Invariant, $"Profiled while the scenario was repeated ({profile.Duration.TotalSeconds:0} s): dotnet-trace, sampled thread time (~100 Hz on every managed thread). ");
        if (profile.Summary is { } p)
        {
            md.Append(Invariant, $"Of {p.ThreadSeconds:0.0} thread-seconds, {p.BusySeconds:0.00} were busy: {p.ManagedCpuSeconds:0.00} running managed code and {p.NativeSeconds:0.00} in native code ");
            md.Append("(system calls, runtime, GC) outside a wait; the rest was threads parked in waits (thread pool idling, socket polling, timers). Shares below are of the busy time.\n\n");
            WriteFrames(md, "Self time (native time charged to the managed method that called into it)", p.SelfTop);
            WriteFrames(md, "Chronik methods, inclusive (the method and everything it called)", p.ChronikInclusiveTop);
        }
        else
        {
            md.Append("No method breakdown (see the notes below).\n\n");
        }

        if (profile.Counters.Count > 0)
        {
            md.Append("Runtime counters over the same interval (dotnet-counters, System.Runtime, 1 s):\n\n| counter | mean | max |\n|---|---:|---:|\n");
            foreach (var counter in profile.Counters)
            {
                md.Append(Invariant, $"| {counter.Name} | {counter.Mean} | {counter.Max} |\n");
            }

            md.Append('\n');
        }

        foreach (string note in profile.Notes)
        {
            md.Append(Invariant, $"- {Escape(note)}\n");
        }

        if (profile.Notes.Count > 0)
        {
            md.Append('\n');
        }
    }

    private static void WriteFrames(StringBuilder md, string title, IReadOnlyList<ProfileFrame> frames)
    {
        if (frames.Count == 0)
        {
            return;
        }

        md.Append(Invariant, $"| {title} | % of busy |\n|---|---:|\n");
        foreach (var frame in frames)
        {
            md.Append(Invariant, $"| `{frame.Method.Replace("|", "\\|", StringComparison.Ordinal)}` | {frame.Percent:0.0} |\n");
        }

        md.Append('\n');
    }

    private static void WriteMethod(StringBuilder md, BenchReport report, string commandLine)
    {
        var m = report.Machine;
        md.Append("## How it was measured\n\n");
        md.Append("- **Brokers.** chronik-server: a fresh standalone process per scenario group (S3 reads the topic S1 wrote on the same process), free loopback ports, ");
        md.Append("`--log-level warn`, data directory on the filesystem named above. mock: librdkafka's mock cluster (1 broker; 3 for S6) hosted by `chronik-bench mock-broker` ");
        md.Append("in its own process, so its CPU and memory are read the same way; that process's RSS includes the .NET runtime hosting it (roughly 30–40 MB).\n");
        md.Append("- **Broker CPU and memory** over each measured interval: utime + stime from /proc/&lt;pid&gt;/stat; peak RSS = VmHWM from /proc/&lt;pid&gt;/status, ");
        md.Append("reset (clear_refs 5) at the interval start, together with RSS sampled every 100 ms. \"cores busy\" = CPU seconds / wall seconds. MB = 10^6 bytes.\n");
        md.Append(Invariant, $"- **Clients.** {ClientSettings.Describe}. Record values are seeded pseudo-text. The clients run in this harness on the same {m.Cores} cores as the broker; their CPU time is listed per run.\n");
        md.Append("- **Throughput** = acknowledged (or consumed) records over the time from the first send (record) to the last acknowledgement (record) of the measured interval.\n");
        md.Append("- **Targets** are reported, never asserted. Where Chronik misses one, chronik-server is profiled during a repeat of the scenario (section above).\n\n");
        md.Append("| environment | |\n|---|---|\n");
        md.Append(Invariant, $"| machine | {m.Cpu}, {m.Cores} cores, {m.Memory} |\n");
        md.Append(Invariant, $"| OS | {m.Os}, kernel {m.Kernel} |\n");
        md.Append(Invariant, $"| .NET | {m.Runtime} |\n");
        md.Append(Invariant, $"| client | Confluent.Kafka {m.ConfluentKafka}, librdkafka {report.LibrdkafkaVersion} (the bundled build; the version is checked before any client starts) |\n");
        md.Append(Invariant, $"| chronik-server | {(report.Options.Revision ?? "revision not given")}, `{report.ServerPath}` |\n");
        md.Append(Invariant, $"| run | {report.StartedUtc:yyyy-MM-dd HH:mm:ss} to {report.FinishedUtc:HH:mm:ss} UTC |\n");
        md.Append(Invariant, $"| command | `{commandLine}` |\n");
    }

    private static string DisplayName(string target) => target switch
    {
        "chronik" => "Chronik",
        "cluster" => "Chronik cluster",
        _ => target,
    };

    private static string Format(Figure figure) =>
        double.IsNaN(figure.Value) ? "–" : figure.Value.ToString(figure.Format, Invariant);

    private static string Shorten(string text, int max) => text.Length <= max ? text : text[..max] + "…";

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace('\n', ' ');
}
