using Chronik.Broker.Configs;
using Microsoft.Extensions.Logging;

namespace Chronik.Server.Configuration;

/// <summary>
/// Everything chronik-server was told, after merging flags, CHRONIK_* variables, the TOML file and the
/// defaults (in that order of precedence) and validating the result. Immutable; built by
/// <see cref="SettingsLoader"/>. See src/Chronik.Server/README.md for every key.
/// </summary>
public sealed class ServerSettings
{
    public required ServerMode Mode { get; init; }

    /// <summary>node_id: this broker's id (Kafka's node.id), unique in the cluster.</summary>
    public required int NodeId { get; init; }

    /// <summary>data_dir as an absolute path.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>bind_addr + kafka_port: where the Kafka listener binds.</summary>
    public required HostPort KafkaListen { get; init; }

    /// <summary>advertised_addr: the address Metadata tells clients to connect to.</summary>
    public required HostPort AdvertisedKafka { get; init; }

    /// <summary>http_bind + http_port: health, metrics (later admin, search, console).</summary>
    public required HostPort HttpListen { get; init; }

    /// <summary>raft_addr: this node's address in the metadata quorum (bound and announced); port 0 in standalone mode without raft_addr = a free loopback port picked at start.</summary>
    public required HostPort RaftAddress { get; init; }

    /// <summary>peers: the other voters (empty in standalone mode); with <see cref="Join"/>, the voters of the quorum to join.</summary>
    public required IReadOnlyList<RaftPeer> Peers { get; init; }

    /// <summary>join: this node starts as a non-voter of the quorum of <see cref="Peers"/> and waits to be added (raft-cluster only).</summary>
    public bool Join { get; init; }

    public required LogLevel LogLevel { get; init; }

    public required LogFormat LogFormat { get; init; }

    /// <summary>max_inflight_requests: unanswered requests per Kafka connection before it stops reading.</summary>
    public required int MaxInFlightRequestsPerConnection { get; init; }

    /// <summary>shutdown_timeout_ms: how long SIGTERM waits for in-flight requests and flush hooks.</summary>
    public required TimeSpan ShutdownTimeout { get; init; }

    /// <summary>The TOML file that was read, if any (absolute path).</summary>
    public string? ConfigFile { get; init; }

    /// <summary>Kafka broker configs by Kafka's names, each with its value and source.</summary>
    public required BrokerConfigs Broker { get; init; }

    /// <summary>Things worth a warning line at startup (e.g. an unknown CHRONIK_* variable).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}
