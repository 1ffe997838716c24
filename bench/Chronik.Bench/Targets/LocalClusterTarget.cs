using Chronik.Testing;

namespace Chronik.Bench.Targets;

/// <summary>
/// A fresh local chronik-server cluster for S6 when no --cluster-bootstrap is given: N processes on free
/// loopback ports, each a voter of one metadata quorum and a broker (tests/Chronik.Testing's
/// <see cref="ClusterProcesses"/>, the same `raft-cluster` nodes `chronik-server dev-cluster` starts).
/// Disposing kills the nodes and deletes their data.
/// </summary>
public sealed class LocalClusterTarget : IBrokerTarget
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly ClusterProcesses _cluster;
    private readonly Action<string> _note;

    private LocalClusterTarget(ClusterProcesses cluster, Action<string> note)
    {
        _cluster = cluster;
        _note = note;
    }

    public string Name => "cluster";

    public string BootstrapServers => _cluster.AllBootstrapServers;

    public IReadOnlyList<int> ProcessIds => [.. _cluster.Nodes.Where(n => n.Process is not null).Select(n => n.Process!.ProcessId)];

    /// <summary>Starts <paramref name="nodes"/> nodes and returns once every one answers /health/ready.</summary>
    public static async Task<LocalClusterTarget> StartAsync(int nodes, Action<string> note)
    {
        var cluster = ClusterProcesses.Create(nodes, "--log-level", "warn");
        try
        {
            await cluster.StartAllAsync(StartTimeout);
            return new LocalClusterTarget(cluster, note);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public Task CreateTopicsAsync(IReadOnlyList<string> topics, int partitions, int replicationFactor, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? configs = null) =>
        TopicAdmin.CreateAsync(BootstrapServers, topics, partitions, replicationFactor, _note, cancellationToken, configs);

    public string RecentOutput(int lines)
    {
        var tails = new List<string>();
        foreach (var node in _cluster.Nodes)
        {
            string[] all = node.AllOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            tails.AddRange(all[Math.Max(0, all.Length - lines)..].Select(line => $"node {node.NodeId}: {line}"));
        }

        return string.Join('\n', tails);
    }

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();
}
