using System.Diagnostics;
using Chronik.Bench.Measure;

namespace Chronik.Bench.Scenarios;

/// <summary>
/// The measured interval of one run: broker /proc readings and this harness's CPU time, from
/// <see cref="Begin"/> to <see cref="EndAsync"/>. Without <paramref name="resetPeak"/> the kernel's
/// peak RSS is left to an enclosing monitor.
/// </summary>
public sealed class MeasuredWindow(IReadOnlyList<int> brokerProcessIds, bool resetPeak = true)
{
    private ResourceMonitor? _monitor;
    private TimeSpan _clientCpuAtStart;

    /// <summary>Starts the interval (called by a workload as its warm-up ends).</summary>
    public void Begin()
    {
        _monitor = ResourceMonitor.Start(brokerProcessIds, resetPeak);
        _clientCpuAtStart = CurrentCpu();
    }

    /// <summary>Ends the interval; null usage when it never began (the run failed before measuring).</summary>
    public async Task<(ResourceUsage? Broker, double ClientCpuSeconds)> EndAsync()
    {
        if (_monitor is null)
        {
            return (null, 0);
        }

        var usage = await _monitor.StopAsync();
        await _monitor.DisposeAsync();
        return (usage, (CurrentCpu() - _clientCpuAtStart).TotalSeconds);
    }

    private static TimeSpan CurrentCpu()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }
}
