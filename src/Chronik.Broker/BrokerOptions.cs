using System.Net;
using Chronik.Broker.Configs;
using Chronik.Cluster.Quorum;

namespace Chronik.Broker;

/// <summary>What a broker node needs to know to start; built by the server from its settings.</summary>
public sealed class BrokerOptions
{
    /// <summary>node.id: this broker's id and its id in the metadata quorum.</summary>
    public required int NodeId { get; init; }

    /// <summary>The data directory: meta/ (Raft log), logs/ (partitions).</summary>
    public required string DataDirectory { get; init; }

    /// <summary>The host and port Metadata tells clients to connect to.</summary>
    public required string AdvertisedHost { get; init; }

    public required int AdvertisedPort { get; init; }

    /// <summary>Kafka's listener name of the client listener.</summary>
    public string ListenerName { get; init; } = "PLAINTEXT";

    /// <summary>This node's HTTP endpoint (host:port), registered so other nodes and tools can find it.</summary>
    public string? HttpEndpoint { get; init; }

    /// <summary>
    /// The bootstrap voters of the metadata quorum, this node included unless it joins: they seed the voter
    /// configuration of a new metadata directory, which follows them until the first voter change commits
    /// and is persisted and authoritative from then on.
    /// </summary>
    public required IReadOnlyList<QuorumPeer> Voters { get; init; }

    /// <summary>
    /// Set when this node starts to join a running quorum (raft-cluster --join): its own id and Raft
    /// address; <see cref="Voters"/> are then the current voters. It becomes a voter through AddRaftVoter.
    /// </summary>
    public QuorumPeer? JoinQuorumAs { get; init; }

    /// <summary>The address the Raft listener binds; null binds the address of this node's voter entry.</summary>
    public IPAddress? RaftBindAddress { get; init; }

    /// <summary>The Kafka broker configs (Kafka's names), with their sources.</summary>
    public required BrokerConfigs Configs { get; init; }

    public string MetadataDirectory => Path.Combine(DataDirectory, "meta");

    public string LogDirectory => Path.Combine(DataDirectory, "logs");
}
