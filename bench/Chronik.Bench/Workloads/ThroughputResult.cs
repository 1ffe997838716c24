namespace Chronik.Bench.Workloads;

/// <summary>Records and value bytes moved in a measured interval (MB = 10^6 bytes).</summary>
public sealed record ThroughputResult(long Records, long Bytes, double Seconds, int Passes = 0)
{
    public double RecordsPerSecond => Seconds > 0 ? Records / Seconds : 0;

    public double MegabytesPerSecond => Seconds > 0 ? Bytes / Seconds / 1e6 : 0;

    /// <summary>Produce only: time the sending thread waited for acknowledgements to make room; null for consumers.</summary>
    public double? SenderBlockedSeconds { get; init; }
}
