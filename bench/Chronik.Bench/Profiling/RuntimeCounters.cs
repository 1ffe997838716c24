using System.Globalization;

namespace Chronik.Bench.Profiling;

/// <summary>Summarizes a dotnet-counters CSV (System.Runtime) into the lines that say where time and memory go.</summary>
public static class RuntimeCounters
{
    public static IReadOnlyList<CounterLine> Summarize(string csvPath)
    {
        if (!File.Exists(csvPath))
        {
            return [];
        }

        // name → (timestamp → value)
        var series = new Dictionary<string, List<(string Time, double Value)>>(StringComparer.Ordinal);
        foreach (string line in File.ReadLines(csvPath).Skip(1))
        {
            string[] parts = line.Split(',');
            if (parts.Length < 5 || !double.TryParse(parts[^1], NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            {
                continue;
            }

            string name = string.Join(',', parts[2..^2]);
            if (!series.TryGetValue(name, out var points))
            {
                series[name] = points = [];
            }

            points.Add((parts[0], value));
        }

        var lines = new List<CounterLine>();
        double Mean(string name) => series.TryGetValue(name, out var p) && p.Count > 0 ? p.Average(x => x.Value) : double.NaN;
        double Max(string name) => series.TryGetValue(name, out var p) && p.Count > 0 ? p.Max(x => x.Value) : double.NaN;
        double SumMax(string prefix)
        {
            var byTime = series.Where(s => s.Key.StartsWith(prefix, StringComparison.Ordinal))
                .SelectMany(s => s.Value)
                .GroupBy(p => p.Time)
                .Select(g => g.Sum(p => p.Value))
                .ToList();
            return byTime.Count > 0 ? byTime.Max() : double.NaN;
        }

        void Add(string label, double mean, double max, string format)
        {
            if (!double.IsNaN(mean) || !double.IsNaN(max))
            {
                lines.Add(new CounterLine(label, Show(mean, format), Show(max, format)));
            }
        }

        Add("CPU user, cores", Mean("dotnet.process.cpu.time (s / 1 sec)[cpu.mode=user]"), Max("dotnet.process.cpu.time (s / 1 sec)[cpu.mode=user]"), "0.00");
        Add("CPU system, cores", Mean("dotnet.process.cpu.time (s / 1 sec)[cpu.mode=system]"), Max("dotnet.process.cpu.time (s / 1 sec)[cpu.mode=system]"), "0.00");
        Add("allocated MB/s", Mean("dotnet.gc.heap.total_allocated (By / 1 sec)") / 1e6, Max("dotnet.gc.heap.total_allocated (By / 1 sec)") / 1e6, "0.0");
        Add("GC pause, % of time", Mean("dotnet.gc.pause.time (s / 1 sec)") * 100, Max("dotnet.gc.pause.time (s / 1 sec)") * 100, "0.0");
        Add("gen0 GCs/s", Mean("dotnet.gc.collections ({collection} / 1 sec)[gc.heap.generation=gen0]"), Max("dotnet.gc.collections ({collection} / 1 sec)[gc.heap.generation=gen0]"), "0.0");
        Add("gen1 GCs/s", Mean("dotnet.gc.collections ({collection} / 1 sec)[gc.heap.generation=gen1]"), Max("dotnet.gc.collections ({collection} / 1 sec)[gc.heap.generation=gen1]"), "0.0");
        Add("gen2 GCs/s", Mean("dotnet.gc.collections ({collection} / 1 sec)[gc.heap.generation=gen2]"), Max("dotnet.gc.collections ({collection} / 1 sec)[gc.heap.generation=gen2]"), "0.0");
        Add("GC heap after last GC, MB", double.NaN, SumMax("dotnet.gc.last_collection.heap.size (By)") / 1e6, "0.0");
        Add("GC committed, MB", double.NaN, Max("dotnet.gc.last_collection.memory.committed_size (By)") / 1e6, "0.0");
        Add("working set, MB", Mean("dotnet.process.memory.working_set (By)") / 1e6, Max("dotnet.process.memory.working_set (By)") / 1e6, "0.0");
        // dotnet.thread_pool.thread.count and .queue.length are up-down counters, which dotnet-counters records as their
        // change per second (a mean of "-0" threads): not reported.
        Add("thread pool work items/s", Mean("dotnet.thread_pool.work_item.count ({work_item} / 1 sec)"), Max("dotnet.thread_pool.work_item.count ({work_item} / 1 sec)"), "N0");
        Add("lock contentions/s", Mean("dotnet.monitor.lock_contentions ({contention} / 1 sec)"), Max("dotnet.monitor.lock_contentions ({contention} / 1 sec)"), "0");
        return lines;
    }

    private static string Show(double value, string format) => double.IsNaN(value) ? "–" : value.ToString(format, CultureInfo.InvariantCulture);
}
