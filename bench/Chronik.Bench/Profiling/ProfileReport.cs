namespace Chronik.Bench.Profiling;

/// <summary>One method from dotnet-trace's top-N (exclusive samples).</summary>
/// <param name="ExclusivePercent">Share of all thread samples.</param>
/// <param name="BusyPercent">Share of the samples not parked in a wait.</param>
public sealed record ProfileFrame(string Method, double ExclusivePercent, double BusyPercent);

/// <summary>One runtime counter over the profiled interval.</summary>
public sealed record CounterLine(string Name, string Mean, string Max);

/// <summary>Where chronik-server spent a repeat of a scenario: top methods and runtime counters.</summary>
public sealed record ProfileReport(
    string? NotTaken,
    TimeSpan Duration,
    IReadOnlyList<ProfileFrame> Frames,
    double WaitingPercent,
    IReadOnlyList<CounterLine> Counters,
    IReadOnlyList<string> Notes)
{
    public static ProfileReport Skipped(string reason) => new(reason, TimeSpan.Zero, [], 0, [], []);
}
