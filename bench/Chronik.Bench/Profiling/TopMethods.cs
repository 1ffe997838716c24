using System.Globalization;
using System.Text.RegularExpressions;

namespace Chronik.Bench.Profiling;

/// <summary>
/// Reads `dotnet-trace report &lt;trace&gt; topN` output. The sampled-thread-time profile samples every
/// managed thread, parked ones too, so frames that only wait (thread pool idling, socket polling,
/// timers) are set apart and the rest is shown as a share of the samples that were not waiting.
/// </summary>
public static partial class TopMethods
{
    private static readonly string[] WaitingFrames =
    [
        "Monitor.Wait", "WaitHandle.", "LowLevelLifoSemaphore.", "LowLevelSpinWaiter.", "LowLevelMonitor.",
        "Thread.Sleep", "SemaphoreSlim.Wait", "ManualResetEventSlim.Wait", "SocketAsyncEngine.EventLoop",
        "Interop+Sys.WaitForSocketEvents", "WaitSubsystem", "Task.SpinThenBlockingWait", "Task.InternalWaitCore",
        "Thread.Join", "PortableThreadPool+GateThread", "Interop+Sys.Poll", "Interop+Sys.Read(",
    ];

    /// <summary>Frames in report order, and the exclusive percent of all frames that wait.</summary>
    public static (IReadOnlyList<ProfileFrame> Frames, double WaitingPercent) Parse(string reportText, int keep)
    {
        var all = new List<(string Method, double Exclusive)>();
        foreach (string line in reportText.Split('\n'))
        {
            var match = FrameLine().Match(line);
            if (match.Success)
            {
                all.Add((match.Groups["name"].Value.Trim(), double.Parse(match.Groups["exc"].Value, CultureInfo.InvariantCulture)));
            }
        }

        double waiting = all.Where(f => IsWaiting(f.Method)).Sum(f => f.Exclusive);
        double busy = Math.Max(1e-9, 100 - waiting);
        var frames = all.Where(f => !IsWaiting(f.Method) && f.Exclusive > 0)
            .OrderByDescending(f => f.Exclusive)
            .Take(keep)
            .Select(f => new ProfileFrame(f.Method, f.Exclusive, 100 * f.Exclusive / busy))
            .ToList();
        return (frames, waiting);
    }

    private static bool IsWaiting(string method) => WaitingFrames.Any(w => method.Contains(w, StringComparison.Ordinal));

    [GeneratedRegex(@"^\s*\d+\.\s+(?<name>.+?)\s+(?<inc>[\d.]+)%\s+(?<exc>[\d.]+)%\s*$")]
    private static partial Regex FrameLine();
}
