namespace Chronik.Bench.Limits;

/// <summary>The machine's own ceilings, measured in the same run as the brokers.</summary>
public sealed record RawLimits(
    double LoopbackMegabytesPerSecond,
    double SyncedWriteMegabytesPerSecond,
    double BufferedWriteMegabytesPerSecond,
    Percentiles4K SmallAppendSync,
    string Filesystem);

/// <summary>Latency of one 4 KiB append followed by fdatasync, in milliseconds, and how many such appends a second fit.</summary>
public sealed record Percentiles4K(double P50, double P99, double AppendsPerSecond);
