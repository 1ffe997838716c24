namespace Chronik.Bench.Profiling;

/// <summary>A method and its share of the profile's busy (non-waiting) thread time, in percent.</summary>
public sealed record ProfileFrame(string Method, double Percent);

/// <summary>One runtime counter over the profiled interval.</summary>
public sealed record CounterLine(string Name, string Mean, string Max);

/// <summary>Where chronik-server spent a repeat of a scenario: top methods and runtime counters.</summary>
public sealed record ProfileReport(
    string? NotTaken,
    TimeSpan Duration,
    ProfileSummary? Summary,
    IReadOnlyList<CounterLine> Counters,
    IReadOnlyList<string> Notes)
{
    public static ProfileReport Skipped(string reason) => new(reason, TimeSpan.Zero, null, [], []);
}
