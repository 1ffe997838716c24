using System.Globalization;
using System.Text;
using Chronik.Cluster.Chaos.Checking;
using Chronik.Cluster.Chaos.Faults;

namespace Chronik.Cluster.Chaos.Run;

/// <summary>The figures a run prints: what was sent and acknowledged, which faults, how unavailable, how fast it recovered.</summary>
public sealed record ChaosFigures
{
    public required int Seed { get; init; }

    public required FaultRecord Faults { get; init; }

    public required IReadOnlyList<ProducerHistory> Producers { get; init; }

    public required long Consumed { get; init; }

    public required int Commits { get; init; }

    public required int FailedCommits { get; init; }

    public required AvailabilityFigures Availability { get; init; }

    /// <summary>From the last fault's end to the first complete produce+fetch round.</summary>
    public required TimeSpan TimeToServe { get; init; }

    public required ChaosVerdict Verdict { get; init; }

    public required TimeSpan Total { get; init; }

    public long Sent => Producers.Sum(p => p.Sent);

    public long Acknowledged => Producers.Sum(p => (long)p.Acknowledged.Count);

    public long Failed => Producers.Sum(p => p.Failed);

    public long Unresolved => Producers.Sum(p => p.Unresolved);

    /// <summary>One line, as scripts/chaos.sh prints per run.</summary>
    public string OneLine(bool passed) => string.Create(
        CultureInfo.InvariantCulture,
        $"{(passed ? "PASS" : "FAIL")} seed={Seed} faults={Faults.Total} ({Faults.Describe()}) fault-phase={Faults.Phase.TotalSeconds:F1}s "
        + $"sent={Sent} acked={Acknowledged} failed={Failed} unresolved={Unresolved} consumed={Consumed} commits={Commits} "
        + $"longest-unavailability={Availability.LongestGap.TotalSeconds:F1}s max-ack-latency={Availability.LongestLatency.TotalSeconds:F1}s "
        + $"slowest-clean-stop={Faults.SlowestCleanStop.TotalSeconds:F1}s serve-after-last-fault={TimeToServe.TotalSeconds:F2}s violations={Verdict.Summary().Replace(' ', '_')} total={Total.TotalSeconds:F0}s");

    /// <summary>The figures in full, one item per line.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"seed                      {Seed}");
        text.AppendLine(CultureInfo.InvariantCulture, $"faults                    {Faults.Total}: {Faults.Describe()} over {Faults.Phase.TotalSeconds:F1} s");
        foreach (ProducerHistory p in Producers)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"producer {p.ProducerId,-16} {(p.Idempotent ? "idempotent" : "plain     ")} sent {p.Sent}, acknowledged {p.Acknowledged.Count}, failed {p.Failed}, no report {p.Unresolved}");
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"records                   sent {Sent}, acknowledged {Acknowledged}, failed {Failed}, no report {Unresolved}; in the log {Verdict.RecordsInLog} (unacknowledged but stored {Verdict.UnacknowledgedPresent}, plain-producer duplicates {Verdict.NonIdempotentDuplicates})");
        text.AppendLine(CultureInfo.InvariantCulture, $"group consumer            read {Consumed}, commits {Commits} ({FailedCommits} failed)");
        text.AppendLine(CultureInfo.InvariantCulture, $"longest unavailability    {Availability.LongestGap.TotalSeconds:F1} s without an ack on partition {Availability.GapPartition} from t={Availability.GapStart.TotalSeconds:F1} s; slowest ack {Availability.LongestLatency.TotalSeconds:F1} s");
        text.AppendLine(CultureInfo.InvariantCulture, $"slowest clean stop        {Faults.SlowestCleanStop.TotalSeconds:F1} s from SIGTERM to exit");
        text.AppendLine(CultureInfo.InvariantCulture, $"serving after last fault  {TimeToServe.TotalSeconds:F2} s");
        text.AppendLine(CultureInfo.InvariantCulture, $"checker                   {Verdict.Summary()}");
        text.Append(CultureInfo.InvariantCulture, $"run time                  {Total.TotalSeconds:F0} s");
        return text.ToString();
    }
}
