namespace Chronik.Bench.Measure;

/// <summary>What one process used during a measured interval.</summary>
public sealed record ProcessUsage(int ProcessId, double CpuSeconds, long PeakRssBytes, long EndRssBytes, bool PeakFromKernel);

/// <summary>What the broker processes used during a measured interval (several for a cluster).</summary>
public sealed record ResourceUsage(double WallSeconds, IReadOnlyList<ProcessUsage> Processes)
{
    public double CpuSeconds => Processes.Sum(p => p.CpuSeconds);

    /// <summary>The largest peak RSS of any one process (per node for a cluster).</summary>
    public long PeakRssBytes => Processes.Count == 0 ? 0 : Processes.Max(p => p.PeakRssBytes);

    /// <summary>CPU seconds per wall second: 1.0 is one core busy all the time.</summary>
    public double Cores => WallSeconds > 0 ? CpuSeconds / WallSeconds : 0;
}

/// <summary>
/// Measures broker processes over an interval from /proc: CPU seconds (utime + stime) and peak RSS.
/// The kernel's VmHWM is reset at the start where allowed; RSS is also sampled every 100 ms so a
/// peak is reported even where the reset is refused.
/// </summary>
public sealed class ResourceMonitor : IAsyncDisposable
{
    private static readonly TimeSpan SampleInterval = TimeSpan.FromMilliseconds(100);

    private readonly int[] _pids;
    private readonly ProcessSnapshot?[] _start;
    private readonly long[] _sampledPeak;
    private readonly bool[] _kernelPeak;
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampler;
    private ResourceUsage? _result;

    private ResourceMonitor(IReadOnlyList<int> pids, bool resetPeak)
    {
        _pids = [.. pids];
        _start = new ProcessSnapshot?[_pids.Length];
        _sampledPeak = new long[_pids.Length];
        _kernelPeak = new bool[_pids.Length];
        for (int i = 0; i < _pids.Length; i++)
        {
            _kernelPeak[i] = resetPeak && ProcessSnapshot.ResetPeak(_pids[i]);
            _start[i] = ProcessSnapshot.Read(_pids[i]);
            _sampledPeak[i] = _start[i]?.RssBytes ?? 0;
        }

        _sampler = SampleAsync();
    }

    /// <summary>
    /// Starts measuring <paramref name="pids"/> (none: an empty usage). Without <paramref name="resetPeak"/>
    /// the kernel's peak is left alone (an enclosing monitor owns it) and only sampled RSS counts.
    /// </summary>
    public static ResourceMonitor Start(IReadOnlyList<int> pids, bool resetPeak = true) => new(pids, resetPeak);

    /// <summary>Ends the interval and returns what each process used in it.</summary>
    public async Task<ResourceUsage> StopAsync()
    {
        if (_result is not null)
        {
            return _result;
        }

        await _stop.CancelAsync();
        await _sampler;
        double wall = _clock.Elapsed.TotalSeconds;
        var usages = new List<ProcessUsage>(_pids.Length);
        for (int i = 0; i < _pids.Length; i++)
        {
            var end = ProcessSnapshot.Read(_pids[i]);
            if (end is not { } e || _start[i] is not { } s)
            {
                continue;
            }

            long peak = Math.Max(_sampledPeak[i], e.RssBytes);
            if (_kernelPeak[i])
            {
                peak = Math.Max(peak, e.PeakRssBytes);
            }

            usages.Add(new ProcessUsage(_pids[i], e.CpuSeconds - s.CpuSeconds, peak, e.RssBytes, _kernelPeak[i]));
        }

        _result = new ResourceUsage(wall, usages);
        return _result;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task SampleAsync()
    {
        using var timer = new PeriodicTimer(SampleInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                for (int i = 0; i < _pids.Length; i++)
                {
                    if (ProcessSnapshot.Read(_pids[i]) is { } snapshot && snapshot.RssBytes > _sampledPeak[i])
                    {
                        _sampledPeak[i] = snapshot.RssBytes;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
