using Chronik.Broker.Configs;
using Chronik.Broker.Replication;
using Chronik.Cluster.Controller;
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

    /// <summary>
    /// How this broker reaches the leaders of the partitions it follows (owned and disposed by the replica manager);
    /// null: followers do not fetch (a broker without peers, or a test of one broker).
    /// </summary>
    public IReplicaChannelFactory? LeaderChannels { get; init; }

    /// <summary>How this broker reaches the controller for ISR changes (AlterPartition); null: leaders propose none.</summary>
    public Func<IControllerClient>? Controller { get; init; }

    /// <summary>Replica fetcher settings; replica.fetch.max.bytes and replica.lag.time.max.ms come from <see cref="Configs"/>.</summary>
    public ReplicaFetcherOptions Fetcher { get; init; } = new();
}
