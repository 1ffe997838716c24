using System.Diagnostics;
using System.Globalization;
using System.Text;
using Chronik.Storage;
using Chronik.Storage.Cleaner;

namespace Chronik.Benchmarks.Storage;

public static partial class StorageBenchmarks
{
    /// <summary>
    /// N partitions on one LogManager with the default open-file bound: create them, append one 1 KiB batch to
    /// each (grouped fsync), then measure managed memory, descriptors and index memory, after idle indexes are
    /// released, and the time to close and to reopen after a clean shutdown and after a crash.
    /// </summary>
    private static void ManyPartitions(string dir, int count, StringBuilder report)
    {
        string root = Path.Combine(dir, $"many-{Guid.NewGuid():N}");
        var options = new LogManagerOptions { DataDirectory = root, Cleaner = new LogCleanerOptions { Enabled = false } };
        byte[] batch = BenchBatches.OfSize(1024, 100);
        var rows = new List<(string What, string Value)>();
        try
        {
            long heapBefore = Heap();
            int fdsBefore = Descriptors();
            var clock = Stopwatch.StartNew();
            var manager = LogManager.Open(options);
            var logs = new PartitionLog[count];
            for (int p = 0; p < count; p++)
            {
                logs[p] = manager.GetOrCreateLog(new TopicPartition("many", p));
            }

            rows.Add(("create partitions (directory, empty segment, index files)", $"{clock.Elapsed.TotalSeconds:F2} s"));
            clock.Restart();
            Parallel.For(0, 64, w =>
            {
                var waits = new List<Task>();
                for (int p = w; p < count; p += 64)
                {
                    var r = logs[p].Append(batch, 0);
                    waits.Add(logs[p].WaitForDurabilityAsync(r.LastOffset).AsTask());
                }

                Task.WaitAll(waits);
            });
            rows.Add(("append + fsync one 1 KiB batch to each (64 writers)", $"{clock.Elapsed.TotalSeconds:F2} s"));

            long heapActive = Heap();
            long indexBytes = logs.Sum(l => l.IndexMemoryBytes);
            rows.Add(("managed heap after the appends", $"{Mib(heapActive - heapBefore)} ({(heapActive - heapBefore) / count:N0} B per partition)"));
            rows.Add(("in-memory index bytes (all partitions)", $"{indexBytes:N0}"));
            rows.Add(("segment files open / bound", $"{manager.OpenFileCount} / {options.MaxOpenFiles}"));
            rows.Add(("process descriptors (opened by the logs)", $"{Descriptors() - fdsBefore}"));
            rows.Add(("segment files opened since start (LRU churn)", $"{manager.FilesOpenedTotal:N0}"));

            int unloaded = manager.UnloadIdleIndexes(TimeSpan.Zero);
            long heapIdle = Heap();
            rows.Add(("after releasing idle indexes: managed heap", $"{Mib(heapIdle - heapBefore)} ({(heapIdle - heapBefore) / count:N0} B per idle partition), {unloaded:N0} indexes dropped"));

            clock.Restart();
            manager.Dispose();
            rows.Add(("clean shutdown (fsync, indexes, checkpoints)", $"{clock.Elapsed.TotalSeconds:F2} s"));
            Array.Clear(logs);
            manager = null!;
            heapBefore = Heap();

            clock.Restart();
            manager = LogManager.Open(options);
            rows.Add(("reopen after clean shutdown", $"{clock.Elapsed.TotalSeconds:F2} s ({manager.Recovery.Partitions:N0} logs, {manager.Recovery.SegmentsRecovered} segments scanned)"));
            long heapReopened = Heap();
            rows.Add(("managed heap after reopen", $"{Mib(heapReopened - heapBefore)} ({(heapReopened - heapBefore) / count:N0} B per partition), {manager.OpenFileCount} files open"));
            manager.WriteCheckpoints();
            manager.Dispose();

            File.Delete(Path.Combine(root, LogManager.LogsDirectoryName, LogManager.CleanShutdownFileName));
            clock.Restart();
            manager = LogManager.Open(options);
            rows.Add(("reopen after a crash (recovery points checkpointed)", $"{clock.Elapsed.TotalSeconds:F2} s ({manager.Recovery.SegmentsRecovered:N0} segments scanned)"));
            manager.Dispose();
        }
        finally
        {
            TryDelete(root);
        }

        report.AppendLine(CultureInfo.InvariantCulture, $"## {count:N0} partitions on one node");
        report.AppendLine();
        report.AppendLine("Default LogManagerOptions (MaxOpenFiles 1024, 2 recovery threads), default LogConfig.");
        report.AppendLine();
        report.AppendLine("| measure | value |");
        report.AppendLine("|---|---|");
        foreach (var (what, value) in rows)
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"| {what} | {value} |");
            Console.WriteLine($"{what}: {value}");
        }

        report.AppendLine();
    }

    private static long Heap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static int Descriptors()
    {
        try
        {
            return Directory.GetFiles("/proc/self/fd").Length;
        }
        catch (IOException)
        {
            return -1;
        }
    }

    private static string Mib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):F1} MiB");
}
