using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Chronik.Storage;
using Chronik.Storage.Cleaner;

namespace Chronik.Benchmarks.Storage;

/// <summary>
/// `chronik-benchmarks storage [--dir DIR] [--seconds S] [--out FILE] [--skip-partitions] [--skip-throughput]`:
/// a Stopwatch harness (not BenchmarkDotNet: these measure a disk, not a method) that prints and writes a
/// markdown report with (1) the raw sequential write bandwidth with fdatasync measured by a plain loop,
/// (2) append throughput through LogManager/PartitionLog for 1/16/256 partitions, 1 KiB/16 KiB batches,
/// grouped fsync vs no fsync, and (3) the cost of 10,000 partitions (memory, descriptors, start-up).
/// </summary>
public static partial class StorageBenchmarks
{
    private static int _inFlightPerWriter = 4;

    private static LogManagerOptions _tuning = new() { DataDirectory = "." };

    public static void Run(string[] args)
    {
        string dir = Option(args, "--dir") ?? Path.Combine(Path.GetTempPath(), "chronik-storage-bench");
        double seconds = double.Parse(Option(args, "--seconds") ?? "3", CultureInfo.InvariantCulture);
        string output = Option(args, "--out") ?? $"storage-{DateTime.UtcNow:yyyy-MM-dd}.md";
        Directory.CreateDirectory(dir);
        _inFlightPerWriter = int.Parse(Option(args, "--in-flight") ?? "4", CultureInfo.InvariantCulture);
        _tuning = new LogManagerOptions
        {
            DataDirectory = dir,
            FlushStrategy = Enum.Parse<Chronik.Storage.Durability.FlushStrategy>(Option(args, "--flush-strategy") ?? "Auto"),
            FileSystemSyncThreshold = int.Parse(Option(args, "--syncfs-threshold") ?? _tuning.FileSystemSyncThreshold.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
            FlushParallelism = int.Parse(Option(args, "--flush-parallelism") ?? _tuning.FlushParallelism.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
        };
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"# Storage benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        report.AppendLine();
        report.AppendLine("Produced by `dotnet run -c Release --project bench/Chronik.Benchmarks -- storage` " + string.Join(' ', args));
        report.AppendLine();
        report.Append(MachineContext(dir));
        Flush(report, output);

        if (!args.Contains("--skip-throughput"))
        {
            Throughput(dir, TimeSpan.FromSeconds(seconds), report, output, args);
        }

        if (!args.Contains("--skip-partitions"))
        {
            ManyPartitions(dir, int.Parse(Option(args, "--partitions") ?? "10000", CultureInfo.InvariantCulture), report);
        }

        Flush(report, output);
        Console.WriteLine(report);
        Console.WriteLine($"written to {Path.GetFullPath(output)}");
    }

    private static void Throughput(string dir, TimeSpan duration, StringBuilder report, string output, string[] args)
    {
        var raw = new List<(int Chunk, double MiBps, double SyncsPerSecond)>();
        foreach (int chunk in new[] { 8 * 1024 * 1024, 1024 * 1024, 16 * 1024, 1024 })
        {
            var (mibps, syncs) = RawLoop(dir, chunk, duration);
            raw.Add((chunk, mibps, syncs));
            Console.WriteLine($"raw {chunk / 1024} KiB + fdatasync: {mibps:F1} MiB/s, {syncs:F0} syncs/s");
        }

        double rawMiBps = Math.Max(raw[0].MiBps, raw[1].MiBps);
        report.AppendLine("## Raw disk: a plain loop of pwrite + fdatasync on one file");
        report.AppendLine();
        report.AppendLine("| write size | MiB/s | fdatasync/s |");
        report.AppendLine("|---:|---:|---:|");
        foreach (var (chunk, mibps, syncs) in raw)
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"| {Size(chunk)} | {mibps:F1} | {syncs:F0} |");
        }

        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"The reference for the ratios below is the better of the 8 MiB and 1 MiB rows: **{rawMiBps:F1} MiB/s**, the disk's sequential bandwidth with fsync. The small-write rows show what one fsync per append would allow.");
        report.AppendLine();

        var cells = new List<(int Partitions, int Writers)> { (1, 1), (1, 16), (16, 16), (256, 256) };
        if (Option(Environment.GetCommandLineArgs(), "--cells") is { } only)
        {
            cells = only.Split(',').Select(c => c.Split('x')).Select(p => (int.Parse(p[0], CultureInfo.InvariantCulture), int.Parse(p[1], CultureInfo.InvariantCulture))).ToList();
        }
        var results = new List<string>();
        report.AppendLine("## Appends through PartitionLog");
        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"Each writer appends one batch at a time and keeps up to {_inFlightPerWriter} appends awaiting durability (like a producer's max.in.flight.requests.per.connection=5 window); writer i appends to partition i mod P. \"grouped fsync\" is the default policy (acknowledged after the group fsync that covers the append); \"no fsync\" sets flush.messages=Long.MAX (Kafka's default: acknowledged from the page cache). {duration.TotalSeconds:F0} s per cell after a 0.5 s warm-up. Latency is append → acknowledgement.");
        report.AppendLine();
        report.AppendLine("Between cells the files are deleted and sync(2) drains the page cache, so no cell pays for the previous one's writeback. Before every grouped-fsync cell the raw 1 MiB loop runs again for 2 s (\"adjacent raw\"); \"vs raw\" divides by that, since this shared disk drifts by 2x within minutes.");
        report.AppendLine();
        report.AppendLine("| partitions | writers | batch | durability | appends/s | MiB/s | adjacent raw MiB/s | vs raw | p50 ms | p99 ms | flush rounds/s | partitions per round | rounds using syncfs |");
        report.AppendLine("|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        Flush(report, output);
        foreach (int batchBytes in (Option(args, "--batches") ?? "1024,16384").Split(',').Select(b => int.Parse(b, CultureInfo.InvariantCulture)))
        {
            foreach (var (partitions, writers) in cells)
            {
                foreach (bool fsync in args.Contains("--fsync-only") ? new[] { true } : new[] { true, false })
                {
                    double adjacent = fsync ? RawLoop(dir, 1024 * 1024, TimeSpan.FromSeconds(2)).MiBps : double.NaN;
                    Settle(dir);
                    var r = AppendCell(dir, partitions, writers, batchBytes, fsync, duration);
                    Settle(dir);
                    string line = string.Create(CultureInfo.InvariantCulture,
                        $"| {partitions} | {writers} | {Size(batchBytes)} | {(fsync ? "grouped fsync" : "no fsync")} | {r.AppendsPerSecond:F0} | {r.MiBps:F1} | {(fsync ? $"{adjacent:F0}" : "—")} | {(fsync ? $"{r.MiBps / adjacent:P0}" : "—")} | {r.P50:F2} | {r.P99:F2} | {r.RoundsPerSecond:F0} | {r.LogsPerRound:F1} | {(fsync ? $"{r.FileSystemSyncShare:P0}" : "—")} |");
                    report.AppendLine(line);
                    Console.WriteLine(line);
                    Flush(report, output);
                }
            }
        }

        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"### Small batches are bound by the writers' window, not by the log");
        report.AppendLine();
        report.AppendLine("The same 1 KiB grouped-fsync cells with 16 appends in flight per writer instead of 4 (a producer sending many small batches through several connections):");
        report.AppendLine();
        report.AppendLine("| partitions | writers | in flight per writer | appends/s | MiB/s | adjacent raw MiB/s | vs raw | p50 ms | p99 ms | partitions per round |");
        report.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        int window = _inFlightPerWriter;
        _inFlightPerWriter = 16;
        foreach (var (partitions, writers) in cells.Where(c => c.Writers >= 16))
        {
            double adjacent = RawLoop(dir, 1024 * 1024, TimeSpan.FromSeconds(2)).MiBps;
            Settle(dir);
            var r = AppendCell(dir, partitions, writers, 1024, fsync: true, duration);
            Settle(dir);
            string line = string.Create(CultureInfo.InvariantCulture,
                $"| {partitions} | {writers} | {_inFlightPerWriter} | {r.AppendsPerSecond:F0} | {r.MiBps:F1} | {adjacent:F0} | {r.MiBps / adjacent:P0} | {r.P50:F2} | {r.P99:F2} | {r.LogsPerRound:F1} |");
            report.AppendLine(line);
            Console.WriteLine(line);
            Flush(report, output);
        }

        _inFlightPerWriter = window;
        report.AppendLine();
    }

    private readonly record struct CellResult(double AppendsPerSecond, double MiBps, double P50, double P99, double RoundsPerSecond, double LogsPerRound, double FileSystemSyncShare);

    private static CellResult AppendCell(string dir, int partitions, int writers, int batchBytes, bool fsync, TimeSpan duration)
    {
        string root = Path.Combine(dir, $"cell-{Guid.NewGuid():N}");
        var config = fsync ? LogConfig.Default : LogConfig.Default with { FlushMessages = long.MaxValue };
        byte[] batch = BenchBatches.OfSize(batchBytes, batchBytes >= 16 * 1024 ? 1000 : 100);
        try
        {
            using var manager = LogManager.Open(_tuning with
            {
                DataDirectory = root,
                DefaultConfig = config,
                MaxOpenFiles = 4096,
                Cleaner = new LogCleanerOptions { Enabled = false },
            });
            var logs = Enumerable.Range(0, partitions).Select(p => manager.GetOrCreateLog(new TopicPartition("bench", p), config)).ToArray();
            long measuring = 0;
            long stop = 0;
            long appends = 0;
            var latencies = new List<double>[writers];
            var tasks = new Task[writers];
            for (int w = 0; w < writers; w++)
            {
                var log = logs[w % partitions];
                var samples = latencies[w] = new List<double>(1 << 16);
                tasks[w] = Task.Run(async () =>
                {
                    var pending = new Queue<(Task Durable, long Started)>();
                    while (Interlocked.Read(ref stop) == 0)
                    {
                        long started = Stopwatch.GetTimestamp();
                        var result = log.Append(batch, 0);
                        pending.Enqueue((log.WaitForDurabilityAsync(result.LastOffset).AsTask(), started));
                        if (pending.Count >= _inFlightPerWriter)
                        {
                            var (durable, at) = pending.Dequeue();
                            await durable.ConfigureAwait(false);
                            if (Interlocked.Read(ref measuring) == 1)
                            {
                                Interlocked.Increment(ref appends);
                                samples.Add(Stopwatch.GetElapsedTime(at).TotalMilliseconds);
                            }
                        }
                    }

                    while (pending.Count > 0)
                    {
                        await pending.Dequeue().Durable.ConfigureAwait(false);
                    }
                });
            }

            Thread.Sleep(500);
            var before = manager.FlushStatistics;
            var clock = Stopwatch.StartNew();
            Interlocked.Exchange(ref measuring, 1);
            Thread.Sleep(duration);
            Interlocked.Exchange(ref measuring, 0);
            double elapsed = clock.Elapsed.TotalSeconds;
            long counted = Interlocked.Read(ref appends);
            var after = manager.FlushStatistics;
            Interlocked.Exchange(ref stop, 1);
            Task.WaitAll(tasks);

            var all = latencies.SelectMany(l => l).Order().ToArray();
            long rounds = after.Rounds - before.Rounds;
            return new CellResult(
                counted / elapsed,
                counted * (double)batch.Length / elapsed / (1024 * 1024),
                Percentile(all, 0.50),
                Percentile(all, 0.99),
                rounds / elapsed,
                rounds == 0 ? 0 : (after.LogsFlushed - before.LogsFlushed) / (double)rounds,
                rounds == 0 ? 0 : (after.FileSystemSyncs - before.FileSystemSyncs) / (double)rounds);
        }
        finally
        {
            TryDelete(root);
        }
    }

    private static (double MiBps, double SyncsPerSecond) RawLoop(string dir, int chunk, TimeSpan duration)
    {
        string path = Path.Combine(dir, $"raw-{Guid.NewGuid():N}");
        byte[] buffer = new byte[chunk];
        new Random(7).NextBytes(buffer);
        try
        {
            using var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite);
            long position = 0;
            long syncs = 0;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < duration)
            {
                RandomAccess.Write(handle, buffer, position);
                position += chunk;
                DataSync(handle);
                syncs++;
            }

            double seconds = clock.Elapsed.TotalSeconds;
            return (position / seconds / (1024 * 1024), syncs / seconds);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void DataSync(Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        if (OperatingSystem.IsLinux())
        {
            if (NativeMethods.FDataSync((int)handle.DangerousGetHandle()) != 0)
            {
                throw new IOException($"fdatasync failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }
        else
        {
            RandomAccess.FlushToDisk(handle);
        }
    }

    /// <summary>Lets the disk drain whatever earlier work left dirty before the next measurement.</summary>
    private static void Settle(string dir)
    {
        foreach (string leftover in Directory.GetDirectories(dir))
        {
            TryDelete(leftover);
        }

        if (OperatingSystem.IsLinux())
        {
            NativeMethods.Sync();
        }

        Thread.Sleep(200);
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    private static string Size(long bytes) => bytes >= 1024 * 1024 ? $"{bytes / (1024 * 1024)} MiB" : $"{bytes / 1024} KiB";

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static void Flush(StringBuilder report, string output) => File.WriteAllText(output, report.ToString());

    private static void TryDelete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string MachineContext(string dir)
    {
        var text = new StringBuilder();
        text.AppendLine("## Machine");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"- CPU: {CpuModel()}, {Environment.ProcessorCount} logical cores (shared with other builds while this ran; figures are noisy)");
        text.AppendLine(CultureInfo.InvariantCulture, $"- memory: {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024 * 1024 * 1024.0):F1} GiB");
        text.AppendLine(CultureInfo.InvariantCulture, $"- OS: {RuntimeInformation.OSDescription}; runtime {RuntimeInformation.FrameworkDescription}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- data directory: {dir} on {FileSystemOf(dir)}");
        text.AppendLine();
        return text.ToString();
    }

    private static string CpuModel()
    {
        try
        {
            string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?.Split(':', 2)[1].Trim() ?? RuntimeInformation.ProcessArchitecture.ToString();
        }
        catch (IOException)
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
    }

    private static string FileSystemOf(string dir)
    {
        try
        {
            string full = Path.GetFullPath(dir);
            var best = File.ReadLines("/proc/mounts")
                .Select(l => l.Split(' '))
                .Where(p => p.Length > 2 && full.StartsWith(p[1], StringComparison.Ordinal))
                .OrderByDescending(p => p[1].Length)
                .FirstOrDefault();
            return best is null ? "unknown" : $"{best[2]} ({best[0]} mounted at {best[1]})";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static partial class NativeMethods
    {
        [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
        internal static partial int FDataSync(int fd);

        [LibraryImport("libc", EntryPoint = "sync")]
        internal static partial void Sync();
    }
}
