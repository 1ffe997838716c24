using Chronik.Broker.Configs;
using Chronik.Storage;

namespace Chronik.Broker.Partitions;

/// <summary>What the <see cref="ReplicaManager"/> needs: who we are, where the logs live, the broker configs.</summary>
public sealed class ReplicaManagerOptions
{
    /// <summary>This broker's id: partitions whose replicas include it are hosted here.</summary>
    public required int NodeId { get; init; }

    /// <summary>The node's data directory; logs live in its logs/ subdirectory.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>The static broker configs (log.* defaults for topics, retention check interval).</summary>
    public required BrokerConfigs Configs { get; init; }

    /// <summary>Adjusts the storage options built from the broker configs (tests shorten intervals).</summary>
    public Func<LogManagerOptions, LogManagerOptions>? ConfigureStorage { get; init; }
}
