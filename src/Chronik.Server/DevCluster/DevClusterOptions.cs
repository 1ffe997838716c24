namespace Chronik.Server.DevCluster;

/// <summary>What `chronik-server dev-cluster` was asked for.</summary>
public sealed class DevClusterOptions
{
    /// <summary>--nodes: how many nodes (each a voter of the metadata quorum and a broker).</summary>
    public required int Nodes { get; init; }

    /// <summary>--base-port: the first port of the block the nodes' ports come from; null picks free ports.</summary>
    public int? BasePort { get; init; }

    /// <summary>--data-dir: the cluster's directory; node i keeps its data in node-i below it.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Flags passed to every node as given (log level and format, --override, --config, ...).</summary>
    public IReadOnlyList<string> NodeArguments { get; init; } = [];

    /// <summary>Kafka configs every node gets unless NodeArguments overrides them (replication sized to the cluster).</summary>
    public IReadOnlyList<string> DefaultOverrides => Nodes == 1
        ? []
        :
        [
            $"default.replication.factor={Math.Min(Nodes, 3)}",
            $"offsets.topic.replication.factor={Math.Min(Nodes, 3)}",
            $"transaction.state.log.replication.factor={Math.Min(Nodes, 3)}",
            $"transaction.state.log.min.isr={Math.Min(Nodes, 2)}",
        ];
}
