namespace Chronik.Broker.Controller;

/// <summary>
/// Exponential backoff with jitter for retrying a controller call: <c>initial × 2^n</c>, capped at
/// <c>max</c>, each pause drawn from ±20 % around that so brokers that failed together do not retry
/// together. The random source is injected so tests are deterministic.
/// </summary>
public sealed class RetryBackoff(TimeSpan initial, TimeSpan max, Random random)
{
    private int _attempts;

    /// <summary>The pause before the next attempt.</summary>
    public TimeSpan Next()
    {
        double ms = Math.Min(max.TotalMilliseconds, initial.TotalMilliseconds * Math.Pow(2, Math.Min(_attempts, 30)));
        _attempts++;
        return TimeSpan.FromMilliseconds(ms * (0.8 + (0.4 * random.NextDouble())));
    }
}
