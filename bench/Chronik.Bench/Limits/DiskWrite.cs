using System.Diagnostics;
using Chronik.Bench.Native;

namespace Chronik.Bench.Limits;

/// <summary>
/// Sequential writes to a file in a directory on the data directory's filesystem: 1 MiB appends
/// each followed by fdatasync, the same without the syncs (one at the end), and 4 KiB appends each
/// followed by fdatasync (the cost of one durable acknowledgement without group commit).
/// </summary>
public static class DiskWrite
{
    private const int LargeChunk = 1 << 20;
    private const int SmallChunk = 4096;

    /// <summary>MB/s of 1 MiB appends, with fdatasync after each when <paramref name="syncEach"/>, else once at the end.</summary>
    public static double MeasureSequential(string directory, TimeSpan duration, bool syncEach)
    {
        string path = Path.Combine(directory, $"disk-{Guid.NewGuid():N}.bin");
        try
        {
            using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
            var chunk = new byte[LargeChunk];
            Random.Shared.NextBytes(chunk);
            long written = 0;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < duration)
            {
                file.Write(chunk);
                written += chunk.Length;
                if (syncEach)
                {
                    Libc.FlushData(file.SafeFileHandle);
                }
            }

            Libc.FlushData(file.SafeFileHandle);
            return written / clock.Elapsed.TotalSeconds / 1e6;
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>4 KiB append + fdatasync latency percentiles and the appends per second they allow.</summary>
    public static Percentiles4K MeasureSmallSyncedAppends(string directory, TimeSpan duration)
    {
        string path = Path.Combine(directory, $"disk-{Guid.NewGuid():N}.bin");
        try
        {
            using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
            var chunk = new byte[SmallChunk];
            Random.Shared.NextBytes(chunk);
            var latencies = new List<long>();
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < duration)
            {
                long start = Stopwatch.GetTimestamp();
                file.Write(chunk);
                Libc.FlushData(file.SafeFileHandle);
                latencies.Add(Stopwatch.GetTimestamp() - start);
            }

            latencies.Sort();
            double Ms(double q) => latencies[Math.Clamp((int)Math.Ceiling(q * latencies.Count) - 1, 0, latencies.Count - 1)] * 1000.0 / Stopwatch.Frequency;
            return new Percentiles4K(Ms(0.50), Ms(0.99), latencies.Count / clock.Elapsed.TotalSeconds);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>"ext4 on /dev/vda (mounted at /)" for the filesystem holding <paramref name="directory"/>, from /proc/self/mountinfo.</summary>
    public static string DescribeFilesystem(string directory)
    {
        string full = Path.GetFullPath(directory);
        string best = "unknown filesystem";
        int bestLength = -1;
        try
        {
            foreach (string line in File.ReadLines("/proc/self/mountinfo"))
            {
                // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
                string[] parts = line.Split(' ');
                int dash = Array.IndexOf(parts, "-");
                if (parts.Length < 5 || dash < 0 || dash + 2 >= parts.Length)
                {
                    continue;
                }

                string mountPoint = parts[4].Replace("\\040", " ", StringComparison.Ordinal);
                bool contains = full == mountPoint || full.StartsWith(mountPoint.TrimEnd('/') + "/", StringComparison.Ordinal);
                if (contains && mountPoint.Length > bestLength)
                {
                    bestLength = mountPoint.Length;
                    best = $"{parts[dash + 1]} on {parts[dash + 2]} (mounted at {mountPoint})";
                }
            }
        }
        catch (IOException)
        {
        }

        return best;
    }
}
