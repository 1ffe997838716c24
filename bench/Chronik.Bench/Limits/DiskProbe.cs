using System.Diagnostics;
using Chronik.Bench.Measure;
using Chronik.Bench.Native;

namespace Chronik.Bench.Limits;

/// <summary>
/// The disk's durability latency while a scenario runs: a thread appends 4 KiB and fdatasyncs every 20 ms
/// to a file on the brokers' filesystem. On a shared machine the fsync tail moves by an order of magnitude
/// within minutes (other processes' writeback shares the device queue), so the figure measured before the
/// scenarios says little about the minute a broker that fsyncs before acknowledging is measured in. At 50
/// small syncs a second the probe itself adds little to the disk's load.
/// <para>
/// Percentiles of the probe's own syncs understate what a stream of appends meets: one 150 ms stall is one
/// sample, while every append arriving during it waits. So the probe also reports the share of the interval
/// spent inside syncs longer than <see cref="StallThreshold"/>: appends arriving then wait longer than that
/// (roughly; the probe sleeps between syncs), so a broker that fsyncs before acknowledging cannot have a p99
/// below the threshold while that share exceeds 1 %.
/// </para>
/// </summary>
public sealed class DiskProbe : IDisposable
{
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(20);
    private const int Chunk = 4096;
    private const int Capacity = 1 << 16;

    /// <summary>Syncs longer than this count as stalls (S4's p99 target).</summary>
    public static readonly TimeSpan StallThreshold = TimeSpan.FromMilliseconds(10);

    private readonly string _path;
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _stop = new(false);
    private volatile Interval _interval = new();
    private string? _failure;

    private DiskProbe(string directory)
    {
        _path = Path.Combine(directory, $"disk-probe-{Guid.NewGuid():N}.bin");
        _thread = new Thread(Run) { IsBackground = true, Name = "disk probe" };
    }

    /// <summary>Starts probing in <paramref name="directory"/> (a directory on the brokers' filesystem).</summary>
    public static DiskProbe Start(string directory)
    {
        var probe = new DiskProbe(directory);
        probe._thread.Start();
        return probe;
    }

    /// <summary>Drops the samples taken so far (called as a scenario's warm-up ends).</summary>
    public void Restart() => _interval = new Interval();

    /// <summary>
    /// Stops the probe: the percentiles of the samples since the last <see cref="Restart"/> and the share of that
    /// time (0–1) spent in syncs longer than <see cref="StallThreshold"/>, or the reason there are none.
    /// </summary>
    public (Percentiles? Latency, double StalledShare, string? Failure) Stop()
    {
        _stop.Set();
        _thread.Join();
        var interval = _interval;
        var samples = interval.Samples.Compute();
        long elapsed = Stopwatch.GetTimestamp() - interval.Started;
        double stalled = elapsed > 0 ? (double)interval.StalledTicks / elapsed : 0;
        return (samples.Count > 0 ? samples : null, stalled, _failure);
    }

    public void Dispose()
    {
        if (_thread.IsAlive)
        {
            _stop.Set();
            _thread.Join();
        }

        _stop.Dispose();
    }

    private void Run()
    {
        try
        {
            using var file = new FileStream(_path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0, FileOptions.DeleteOnClose);
            var chunk = new byte[Chunk];
            Random.Shared.NextBytes(chunk);
            long stallTicks = (long)(StallThreshold.TotalSeconds * Stopwatch.Frequency);
            while (!_stop.Wait(Pause))
            {
                long start = Stopwatch.GetTimestamp();
                file.Write(chunk);
                Libc.FlushData(file.SafeFileHandle);
                long took = Stopwatch.GetTimestamp() - start;
                var interval = _interval;
                interval.Samples.Add(took);
                if (took > stallTicks)
                {
                    interval.StalledTicks += took;
                }
            }
        }
        catch (IOException e)
        {
            _failure = e.Message;
        }
        catch (UnauthorizedAccessException e)
        {
            _failure = e.Message;
        }
    }

    /// <summary>Samples since a restart; written by the probe thread only, read after it stopped.</summary>
    private sealed class Interval
    {
        public LatencyRecorder Samples { get; } = new(Capacity);

        public long Started { get; } = Stopwatch.GetTimestamp();

        public long StalledTicks { get; set; }
    }
}
