namespace Chronik.Bench.Scenarios;

/// <summary>
/// A target to report against (never asserted): a description and a check of the Chronik run,
/// given the mock's run of the same scenario. Null from the check: not decidable (a run failed).
/// </summary>
public sealed record ScenarioTarget(string Description, Func<TargetRun, TargetRun?, bool?> IsMet);

/// <summary>What a scenario measures and how its headline figure is compared.</summary>
public sealed record ScenarioDefinition(
    string Id,
    string Title,
    string Setup,
    string PrimaryKey,
    string PrimaryLabel,
    bool HigherIsBetter,
    ScenarioTarget? Target);

/// <summary>All runs of one scenario (mock, then Chronik or the cluster), or why it was not run.</summary>
public sealed class ScenarioOutcome(ScenarioDefinition definition)
{
    public ScenarioDefinition Definition { get; } = definition;

    public List<TargetRun> Runs { get; } = [];

    public string? NotRun { get; set; }

    public TargetRun? Reference => Runs.FirstOrDefault(r => r.Target == "mock");

    public TargetRun? Subject => Runs.FirstOrDefault(r => r.Target != "mock");

    /// <summary>Subject / reference of the headline figure; null unless both runs have it.</summary>
    public double? Ratio =>
        Subject?.Ok == true && Reference?.Ok == true
        && Subject.Value(Definition.PrimaryKey) is { } s && Reference.Value(Definition.PrimaryKey) is { } r && r != 0
            ? s / r
            : null;

    public bool? TargetMet => Definition.Target is { } target && Subject is { } subject ? target.IsMet(subject, Reference) : null;
}
