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
/// </summary>
public sealed class DiskProbe : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(20);
    private const int Chunk = 4096;
    private const int Capacity = 1 << 16;

    private readonly string _path;
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _stop = new(false);
    private volatile LatencyRecorder _samples = new(Capacity);
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
    public void Restart() => _samples = new LatencyRecorder(Capacity);

    /// <summary>Stops the probe; the percentiles of the samples since the last <see cref="Restart"/>, or the reason there are none.</summary>
    public (Percentiles? Latency, string? Failure) Stop()
    {
        _stop.Set();
        _thread.Join();
        var samples = _samples.Compute();
        return (samples.Count > 0 ? samples : null, _failure);
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
            while (!_stop.Wait(Interval))
            {
                long start = Stopwatch.GetTimestamp();
                file.Write(chunk);
                Libc.FlushData(file.SafeFileHandle);
                _samples.Add(Stopwatch.GetTimestamp() - start);
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
}
