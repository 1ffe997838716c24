namespace Chronik.Bench.Targets;

/// <summary>A broker (or cluster) under measurement, reachable on loopback.</summary>
public interface IBrokerTarget : IAsyncDisposable
{
    /// <summary>Short name in reports: "chronik", "mock", "cluster".</summary>
    string Name { get; }

    /// <summary>Loopback host:port list (checked by <see cref="Chronik.Testing.Loopback"/>).</summary>
    string BootstrapServers { get; }

    /// <summary>Processes whose CPU and memory count as the broker's; empty when unknown.</summary>
    IReadOnlyList<int> ProcessIds { get; }

    /// <summary>
    /// Creates topics (an existing one is fine) with the topic <paramref name="configs"/> given, if any; throws
    /// <see cref="ScenarioFailedException"/> with the reason otherwise.
    /// </summary>
    Task CreateTopicsAsync(IReadOnlyList<string> topics, int partitions, int replicationFactor, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? configs = null);

    /// <summary>The last lines the broker wrote, for a failure report; empty when not captured.</summary>
    string RecentOutput(int lines);
}

/// <summary>A scenario could not be measured on a target; the message is the reason printed in the report.</summary>
public sealed class ScenarioFailedException(string reason) : Exception(reason);
