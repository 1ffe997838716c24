using System.Text.Json;

namespace Chronik.Bench.Profiling;

/// <summary>
/// Reads a dotnet-trace sampled-thread-time trace converted to speedscope JSON. That export ends
/// every sampled stack in a pseudo-frame: CPU_TIME (the thread ran managed code) or
/// UNMANAGED_CODE_TIME (it was in native code: a system call, the runtime, or parked in a wait).
/// Native time under a waiting frame (thread pool idling, socket polling, Monitor.Wait, sleeps) is
/// set apart; the rest is the busy time the tables share out: self time per method (native time is
/// charged to the managed method that called into it) and inclusive time per Chronik method.
/// </summary>
public static class ThreadTimeProfile
{
    private const string CpuTime = "CPU_TIME";
    private const string NativeTime = "UNMANAGED_CODE_TIME";

    private static readonly string[] WaitingFrames =
    [
        "Monitor.Wait", "WaitHandle.Wait", "LowLevelLifoSemaphore.", "LowLevelMonitor.", "LowLevelSpinWaiter.",
        "Thread.Sleep", "Thread.Join", "SemaphoreSlim.Wait", "ManualResetEventSlim.Wait", "Task.SpinThenBlockingWait",
        "Task.InternalWaitCore", "SocketAsyncEngine.EventLoop", "Interop+Sys.WaitForSocketEvents", "Interop+Sys.Poll",
        "WaitSubsystem", "Interop+Sys.LowLevelMonitor",
    ];

    /// <summary>Busy time split out of a speedscope file; percentages are of the busy (non-waiting) thread time.</summary>
    public static ProfileSummary Analyze(string speedscopePath, int keep)
    {
        using var stream = File.OpenRead(speedscopePath);
        using var document = JsonDocument.Parse(stream);
        var root = document.RootElement;
        string[] names = [.. root.GetProperty("shared").GetProperty("frames").EnumerateArray().Select(f => f.GetProperty("name").GetString() ?? "?")];
        bool[] managed = [.. names.Select(n => n.Contains('!', StringComparison.Ordinal) && !n.StartsWith("?!", StringComparison.Ordinal))];
        bool[] waiting = [.. names.Select(n => WaitingFrames.Any(w => n.Contains(w, StringComparison.Ordinal)))];

        var self = new double[names.Length];
        var inclusive = new double[names.Length];
        double managedCpu = 0;
        double native = 0;
        double waited = 0;
        double nativeOnly = 0;
        var stack = new List<int>();
        var seen = new HashSet<int>();
        foreach (var profile in root.GetProperty("profiles").EnumerateArray())
        {
            stack.Clear();
            double last = profile.GetProperty("startValue").GetDouble();
            foreach (var e in profile.GetProperty("events").EnumerateArray())
            {
                double at = e.GetProperty("at").GetDouble();
                double span = at - last;
                if (span > 0 && stack.Count > 0)
                {
                    Charge(span);
                }

                int frame = e.GetProperty("frame").GetInt32();
                if (e.GetProperty("type").GetString() == "O")
                {
                    stack.Add(frame);
                }
                else if (stack.Count > 0)
                {
                    stack.RemoveAt(stack.Count - 1);
                }

                last = at;
            }
        }

        double busy = managedCpu + native;
        double Share(double ms) => busy > 0 ? 100 * ms / busy : 0;
        var selfTop = Enumerable.Range(0, names.Length)
            .Where(i => self[i] > 0)
            .OrderByDescending(i => self[i])
            .Take(keep)
            .Select(i => new ProfileFrame(ShortName(names[i]), Share(self[i])))
            .ToList();
        var chronikTop = Enumerable.Range(0, names.Length)
            .Where(i => inclusive[i] > 0 && IsChronik(names[i]))
            .OrderByDescending(i => inclusive[i])
            .Take(keep)
            .Select(i => new ProfileFrame(ShortName(names[i]), Share(inclusive[i])))
            .ToList();
        double all = busy + waited + nativeOnly;
        return new ProfileSummary(all / 1000, busy / 1000, managedCpu / 1000, native / 1000, selfTop, chronikTop);

        void Charge(double span)
        {
            int leaf = stack[^1];
            int caller = LastManaged();
            if (names[leaf] == CpuTime)
            {
                managedCpu += span;
            }
            else if (caller < 0)
            {
                // A thread with no managed frame at all: nothing to attribute.
                nativeOnly += span;
                return;
            }
            else if (names[leaf] == NativeTime && IsWaiting())
            {
                waited += span;
                return;
            }
            else
            {
                native += span;
            }

            if (caller >= 0)
            {
                self[caller] += span;
            }

            seen.Clear();
            foreach (int frame in stack)
            {
                if (managed[frame] && seen.Add(frame))
                {
                    inclusive[frame] += span;
                }
            }
        }

        int LastManaged()
        {
            for (int i = stack.Count - 1; i >= 0; i--)
            {
                if (managed[stack[i]])
                {
                    return stack[i];
                }
            }

            return -1;
        }

        bool IsWaiting()
        {
            // The wait call sits within the last few managed frames (e.g. Monitor.Wait → its native part).
            int checkedFrames = 0;
            for (int i = stack.Count - 1; i >= 0 && checkedFrames < 3; i--)
            {
                if (!managed[stack[i]])
                {
                    continue;
                }

                checkedFrames++;
                if (waiting[stack[i]])
                {
                    return true;
                }
            }

            return false;
        }
    }

    private static bool IsChronik(string name) =>
        name.StartsWith("chronik-server!", StringComparison.Ordinal) || name.Contains("!Chronik.", StringComparison.Ordinal);

    /// <summary>"module!Namespace.Type.Method(args)" → "Namespace.Type.Method", at most 120 characters.</summary>
    internal static string ShortName(string name)
    {
        int bang = name.IndexOf('!', StringComparison.Ordinal);
        string text = bang >= 0 ? name[(bang + 1)..] : name;
        int args = text.IndexOf('(', StringComparison.Ordinal);
        if (args > 0)
        {
            text = text[..args];
        }

        return text.Length <= 120 ? text : "…" + text[^119..];
    }
}

/// <summary>Thread time of a profile in seconds, and the methods it went to (percent of busy time).</summary>
public sealed record ProfileSummary(double ThreadSeconds, double BusySeconds, double ManagedCpuSeconds, double NativeSeconds, IReadOnlyList<ProfileFrame> SelfTop, IReadOnlyList<ProfileFrame> ChronikInclusiveTop);
