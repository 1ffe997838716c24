using System.Diagnostics;
using System.Globalization;

namespace Chronik.Bench.Profiling;

/// <summary>
/// Profiles chronik-server while a scenario is repeated: dotnet-trace (sampled thread time, ~100 Hz)
/// and dotnet-counters (System.Runtime) attach to the broker's PID for the repeat; the trace is
/// converted to speedscope JSON and read by <see cref="ThreadTimeProfile"/>, and both go into the report.
/// The tools are .NET global tools that bench/run.sh installs into a tool folder; without them the
/// report says the profile was not taken.
/// </summary>
public sealed class Profiler(string? toolsDirectory, string outputDirectory)
{
    private const int TopFrames = 15;
    private static readonly TimeSpan AttachDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromMinutes(3);

    private string? TracePath => toolsDirectory is null ? null : Path.Combine(toolsDirectory, "dotnet-trace");

    private string? CountersPath => toolsDirectory is null ? null : Path.Combine(toolsDirectory, "dotnet-counters");

    /// <summary>Why no profile can be taken, or null when the tools are there.</summary>
    public string? Unavailable =>
        toolsDirectory is null ? "no --tools-dir given (bench/run.sh installs dotnet-trace and dotnet-counters)"
        : !File.Exists(TracePath) ? $"dotnet-trace not found in {toolsDirectory}"
        : !File.Exists(CountersPath) ? $"dotnet-counters not found in {toolsDirectory}"
        : null;

    /// <summary>Runs <paramref name="workload"/> (for about <paramref name="duration"/>) with both tools attached to <paramref name="pid"/>.</summary>
    public async Task<ProfileReport> CaptureAsync(string name, int pid, TimeSpan duration, Func<CancellationToken, Task> workload, CancellationToken cancellationToken)
    {
        if (Unavailable is { } reason)
        {
            return ProfileReport.Skipped(reason);
        }

        Directory.CreateDirectory(outputDirectory);
        string trace = Path.Combine(outputDirectory, name + ".nettrace");
        string counters = Path.Combine(outputDirectory, name + "-counters.csv");
        string speedscopeBase = Path.Combine(outputDirectory, name);
        string speedscope = speedscopeBase + ".speedscope.json";
        string span = ToolDuration(duration + AttachDelay + AttachDelay);
        var notes = new List<string>();
        var clock = Stopwatch.StartNew();
        var traceRun = ToolRun.Start(TracePath!, ["collect", "-p", Id(pid), "--profile", "dotnet-sampled-thread-time", "--duration", span, "-o", trace]);
        var countersRun = ToolRun.Start(CountersPath!, ["collect", "-p", Id(pid), "--format", "csv", "--refresh-interval", "1", "--duration", span, "-o", counters]);
        try
        {
            await Task.Delay(AttachDelay, cancellationToken);
            try
            {
                await workload(cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                notes.Add($"the repeated workload failed: {e.Message}");
            }

            var traceResult = await traceRun.WaitAsync(ToolTimeout);
            var countersResult = await countersRun.WaitAsync(ToolTimeout);
            if (traceResult.ExitCode != 0 || !File.Exists(trace))
            {
                notes.Add($"dotnet-trace exited {traceResult.ExitCode}: {Last(traceResult.Output)}");
                return new ProfileReport(null, clock.Elapsed, null, RuntimeCounters.Summarize(counters), notes);
            }

            if (countersResult.ExitCode != 0)
            {
                notes.Add($"dotnet-counters exited {countersResult.ExitCode}: {Last(countersResult.Output)}");
            }

            // The speedscope export adds CPU_TIME / UNMANAGED_CODE_TIME leaves that tell running from parked threads.
            var convert = await ToolRun.Start(TracePath!, ["convert", trace, "--format", "Speedscope", "-o", speedscopeBase]).WaitAsync(ToolTimeout);
            if (convert.ExitCode != 0 || !File.Exists(speedscope))
            {
                notes.Add($"dotnet-trace convert exited {convert.ExitCode}: {Last(convert.Output)}");
                return new ProfileReport(null, clock.Elapsed, null, RuntimeCounters.Summarize(counters), notes);
            }

            var summary = ThreadTimeProfile.Analyze(speedscope, TopFrames);
            return new ProfileReport(null, clock.Elapsed, summary, RuntimeCounters.Summarize(counters), notes);
        }
        finally
        {
            traceRun.Dispose();
            countersRun.Dispose();
            TryDelete(trace);
            TryDelete(trace + ".etlx");
            TryDelete(speedscope);
            TryDelete(counters);
        }
    }

    private static string Id(int pid) => pid.ToString(CultureInfo.InvariantCulture);

    /// <summary>dd:hh:mm:ss, the tools' duration format.</summary>
    private static string ToolDuration(TimeSpan span)
    {
        var whole = TimeSpan.FromSeconds(Math.Ceiling(span.TotalSeconds));
        return string.Create(CultureInfo.InvariantCulture, $"{whole.Days:00}:{whole.Hours:00}:{whole.Minutes:00}:{whole.Seconds:00}");
    }

    private static string Last(string output)
    {
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "no output" : string.Join(" / ", lines[Math.Max(0, lines.Length - 3)..]);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }
}
