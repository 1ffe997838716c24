using Chronik.Bench.Measure;
using Chronik.Bench.Profiling;

namespace Chronik.Bench.Scenarios;

/// <summary>One reported number: a key scenarios and targets refer to, a label, a value and its format.</summary>
public sealed record Figure(string Key, string Label, double Value, string Format);

/// <summary>A scenario measured on one target: its figures, or why it failed (figures taken before the failure are kept).</summary>
public sealed class TargetRun(string target)
{
    public string Target { get; } = target;

    public string? Failure { get; set; }

    public bool Ok => Failure is null;

    public List<Figure> Figures { get; } = [];

    /// <summary>The broker processes over the measured interval.</summary>
    public ResourceUsage? Broker { get; set; }

    /// <summary>CPU seconds of this harness (the clients) over the measured interval.</summary>
    public double ClientCpuSeconds { get; set; }

    public List<string> Notes { get; } = [];

    public ProfileReport? Profile { get; set; }

    public double? Value(string key) => Figures.FirstOrDefault(f => f.Key == key)?.Value;

    public void Add(string key, string label, double value, string format) => Figures.Add(new Figure(key, label, value, format));
}
