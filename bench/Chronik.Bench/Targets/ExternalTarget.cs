namespace Chronik.Bench.Targets;

/// <summary>
/// A broker or cluster the harness did not start (e.g. a local 3-node Chronik cluster for S6), given
/// by its bootstrap list and optionally the PIDs to read /proc from. Never stopped by the harness.
/// </summary>
public sealed class ExternalTarget(string name, string bootstrapServers, IReadOnlyList<int> processIds, Action<string> note) : IBrokerTarget
{
    public string Name { get; } = name;

    public string BootstrapServers { get; } = Chronik.Testing.Loopback.Bootstrap(bootstrapServers);

    public IReadOnlyList<int> ProcessIds { get; } = processIds;

    public Task CreateTopicsAsync(IReadOnlyList<string> topics, int partitions, int replicationFactor, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? configs = null) =>
        TopicAdmin.CreateAsync(BootstrapServers, topics, partitions, replicationFactor, note, cancellationToken, configs);

    public string RecentOutput(int lines) => string.Empty;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
