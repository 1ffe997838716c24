using Chronik.Broker.Configs;
namespace Chronik.Server.Configuration;

/// <summary>
/// One server setting and its three spellings: the TOML key (<see cref="Key"/>, snake_case), the flag
/// (--kebab-case) and the environment variable (CHRONIK_UPPER_CASE). A switch is a boolean whose flag
/// may stand alone (<c>--join</c> means <c>--join true</c>).
/// </summary>
public sealed class ServerSettingDefinition(string key, string helpName, string description, string defaultText, ServerMode? onlyIn = null, bool isSwitch = false)
{
    public string Key { get; } = key;

    public string Flag => "--" + Key.Replace('_', '-');

    public string EnvironmentVariable => "CHRONIK_" + Key.ToUpperInvariant();

    /// <summary>Placeholder for the value in help ("P", "HOST:PORT").</summary>
    public string HelpName { get; } = helpName;

    public string Description { get; } = description;

    /// <summary>The default as the help and README state it.</summary>
    public string DefaultText { get; } = defaultText;

    /// <summary>The only mode the setting belongs to (its flag lives on that subcommand); null for global settings.</summary>
    public ServerMode? OnlyIn { get; } = onlyIn;

    /// <summary>A boolean (true / false) whose flag alone means true.</summary>
    public bool IsSwitch { get; } = isSwitch;
}

/// <summary>Every server setting (the Kafka broker configs are in <see cref="BrokerConfigCatalog"/>).</summary>
public static class ServerSettingDefinitions
{
    public static readonly ServerSettingDefinition NodeId = new(
        "node_id", "N", "This broker's node id (Kafka node.id), unique in the cluster; required by raft-cluster", "1");

    public static readonly ServerSettingDefinition DataDir = new(
        "data_dir", "DIR", "Directory for the metadata log and partition data", "./data");

    public static readonly ServerSettingDefinition BindAddr = new(
        "bind_addr", "HOST", "Interface the Kafka listener binds (0.0.0.0 or :: for all)", "0.0.0.0");

    public static readonly ServerSettingDefinition KafkaPort = new(
        "kafka_port", "P", "Kafka listener port", "9092");

    public static readonly ServerSettingDefinition AdvertisedAddr = new(
        "advertised_addr", "HOST[:PORT]", "Address clients are told to connect to", "bind_addr (localhost if it is a wildcard) and kafka_port");

    public static readonly ServerSettingDefinition HttpBind = new(
        "http_bind", "HOST", "Interface the HTTP endpoint binds", "0.0.0.0");

    public static readonly ServerSettingDefinition HttpPort = new(
        "http_port", "P", "HTTP port (health, metrics)", "9644");

    public static readonly ServerSettingDefinition RaftAddr = new(
        "raft_addr", "HOST:PORT", "This node's address in the metadata quorum", "localhost:9093");

    public static readonly ServerSettingDefinition Peers = new(
        "peers", "ID@HOST:PORT,...", "The other voters of the metadata quorum (bootstrap voters: they seed a new metadata directory; with join, the current voters)", "none", ServerMode.RaftCluster);

    public static readonly ServerSettingDefinition Join = new(
        "join", "true|false", "Start as a non-voter that joins the running quorum of peers, to be added with AddRaftVoter", "false", ServerMode.RaftCluster, isSwitch: true);

    public static readonly ServerSettingDefinition LogLevel = new(
        "log_level", "LEVEL", "trace, debug, info, warn, error, critical or none", "info");

    public static readonly ServerSettingDefinition LogFormat = new(
        "log_format", "FORMAT", "Console log format: text or json", "text");

    public static readonly ServerSettingDefinition MaxInFlightRequests = new(
        "max_inflight_requests", "N", "Unanswered requests per Kafka connection before it stops reading", "100");

    public static readonly ServerSettingDefinition ShutdownTimeoutMs = new(
        "shutdown_timeout_ms", "MS", "How long shutdown waits for in-flight requests and flushes", "30000");

    public static IReadOnlyList<ServerSettingDefinition> All { get; } =
    [
        NodeId, DataDir, BindAddr, KafkaPort, AdvertisedAddr, HttpBind, HttpPort, RaftAddr, Peers, Join,
        LogLevel, LogFormat, MaxInFlightRequests, ShutdownTimeoutMs,
    ];

    /// <summary>CHRONIK_CONFIG: path of the TOML file when --config is not given.</summary>
    public const string ConfigFileVariable = "CHRONIK_CONFIG";

    /// <summary>Prefix of the variables that set Kafka broker configs.</summary>
    public const string BrokerVariablePrefix = "CHRONIK_BROKER_";
}
