namespace Chronik.Storage.Cleaner;

/// <summary>Broker-level settings of the background compaction (Kafka's log.cleaner.* configs).</summary>
public sealed record LogCleanerOptions
{
    /// <summary>log.cleaner.enable.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>log.cleaner.backoff.ms: pause when no log needs cleaning.</summary>
    public TimeSpan Backoff { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// log.cleaner.io.max.bytes.per.second: read plus write bandwidth of the cleaner. Kafka leaves it unbounded;
    /// Chronik bounds it by default so compaction never competes with produce and fetch for the disk.
    /// </summary>
    public double IoMaxBytesPerSecond { get; init; } = 64 * 1024 * 1024;

    /// <summary>Most distinct keys one pass indexes (the role of log.cleaner.dedupe.buffer.size); about 40 bytes each.</summary>
    public int MaxKeysPerPass { get; init; } = 1_000_000;
}
