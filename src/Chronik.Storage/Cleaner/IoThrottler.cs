namespace Chronik.Storage.Cleaner;

/// <summary>
/// Bounds the cleaner's I/O rate like Kafka's Throttler: bytes are counted over a window; when the observed
/// rate exceeds the target the caller sleeps long enough to bring it back to the target. Time is injected, and
/// <see cref="DelayFor"/> is the pure rule.
/// </summary>
internal sealed class IoThrottler
{
    private static readonly TimeSpan CheckInterval = TimeSpan.FromMilliseconds(100);

    private readonly double _bytesPerSecond;
    private readonly TimeProvider _time;
    private long _windowStart;
    private double _windowBytes;

    public IoThrottler(double bytesPerSecond, TimeProvider time)
    {
        _bytesPerSecond = bytesPerSecond;
        _time = time;
        _windowStart = time.GetTimestamp();
    }

    /// <summary>Total time slept so far.</summary>
    public TimeSpan Throttled { get; private set; }

    /// <summary>The sleep that brings <paramref name="bytes"/> over <paramref name="elapsed"/> down to <paramref name="bytesPerSecond"/>.</summary>
    public static TimeSpan DelayFor(double bytes, TimeSpan elapsed, double bytesPerSecond)
    {
        if (bytesPerSecond <= 0 || double.IsInfinity(bytesPerSecond))
        {
            return TimeSpan.Zero;
        }

        double needed = bytes / bytesPerSecond;
        double extra = needed - elapsed.TotalSeconds;
        return extra > 0 ? TimeSpan.FromSeconds(extra) : TimeSpan.Zero;
    }

    /// <summary>Counts <paramref name="bytes"/> of I/O and returns how long to sleep before the next.</summary>
    public TimeSpan Record(long bytes)
    {
        _windowBytes += bytes;
        var elapsed = _time.GetElapsedTime(_windowStart);
        if (elapsed < CheckInterval && _windowBytes < _bytesPerSecond * CheckInterval.TotalSeconds)
        {
            return TimeSpan.Zero;
        }

        var delay = DelayFor(_windowBytes, elapsed, _bytesPerSecond);
        _windowStart = _time.GetTimestamp();
        _windowBytes = 0;
        Throttled += delay;
        return delay;
    }
}
