using System.Diagnostics;

namespace Chronik.Bench.Measure;

/// <summary>Latency percentiles in milliseconds.</summary>
public readonly record struct Percentiles(long Count, double P50, double P99, double P999, double Max);

/// <summary>
/// Latency samples (Stopwatch ticks) kept whole in a preallocated array by one writer thread, so
/// percentiles are exact, not bucketed. Samples past the capacity are counted but not kept.
/// </summary>
public sealed class LatencyRecorder(int capacity)
{
    private readonly long[] _samples = new long[capacity];
    private long _count;

    public long Count => Volatile.Read(ref _count);

    public void Add(long ticks)
    {
        long index = _count;
        if (index < _samples.Length)
        {
            _samples[index] = ticks;
        }

        Volatile.Write(ref _count, index + 1);
    }

    /// <summary>Nearest-rank percentiles of the kept samples; call once the writer has stopped.</summary>
    public Percentiles Compute()
    {
        int kept = (int)Math.Min(_count, _samples.Length);
        if (kept == 0)
        {
            return new Percentiles(0, double.NaN, double.NaN, double.NaN, double.NaN);
        }

        var sorted = _samples.AsSpan(0, kept).ToArray();
        Array.Sort(sorted);
        return new Percentiles(kept, Rank(sorted, 0.50), Rank(sorted, 0.99), Rank(sorted, 0.999), ToMs(sorted[^1]));
    }

    private static double Rank(long[] sorted, double quantile)
    {
        int index = (int)Math.Ceiling(quantile * sorted.Length) - 1;
        return ToMs(sorted[Math.Clamp(index, 0, sorted.Length - 1)]);
    }

    private static double ToMs(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}
