using Chronik.Broker.Configs;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Chronik.Server.Configuration;

/// <summary>
/// Merges the four sources of every setting — flag, then CHRONIK_* environment variable, then the TOML
/// file, then the default — validates the result and builds <see cref="ServerSettings"/>. Every
/// problem becomes a <see cref="ConfigurationException"/> naming the flag, variable or file key.
/// </summary>
public static class SettingsLoader
{
    private const int DefaultNodeId = 1;
    private const string DefaultDataDir = "./data";
    private const string WildcardBind = "0.0.0.0";
    private const int DefaultKafkaPort = 9092;
    private const int DefaultHttpPort = 9644;
    private const string DefaultRaftAddr = "localhost:9093";
    private const int DefaultMaxInFlightRequests = 100;
    private const int DefaultShutdownTimeoutMs = 30_000;

    /// <summary>Builds the settings; <paramref name="environment"/> holds the process environment.</summary>
    public static ServerSettings Load(CommandLineValues commandLine, IReadOnlyDictionary<string, string> environment, string currentDirectory)
    {
        var warnings = new List<string>();
        CheckEnvironmentNames(environment, warnings);

        ConfigFile file = LoadFile(commandLine, environment, currentDirectory);
        var sources = new Sources(commandLine, environment, file);

        int nodeId = ResolveInt(sources, ServerSettingDefinitions.NodeId, DefaultNodeId, 0, int.MaxValue, "is not a node id (0-2147483647)", out bool nodeIdGiven);
        string dataDir = ResolveDataDir(sources, currentDirectory);
        string bindHost = ResolveHost(sources, ServerSettingDefinitions.BindAddr, WildcardBind, out _);
        int kafkaPort = ResolvePort(sources, ServerSettingDefinitions.KafkaPort, DefaultKafkaPort, out RawSetting? kafkaPortRaw);
        HostPort advertised = ResolveAdvertised(sources, bindHost, kafkaPort);
        string httpHost = ResolveHost(sources, ServerSettingDefinitions.HttpBind, WildcardBind, out _);
        int httpPort = ResolvePort(sources, ServerSettingDefinitions.HttpPort, DefaultHttpPort, out RawSetting? httpPortRaw);
        HostPort raftAddress = ResolveAddress(sources, ServerSettingDefinitions.RaftAddr, DefaultRaftAddr, out RawSetting? raftRaw);
        LogLevel logLevel = ResolveLogLevel(sources);
        LogFormat logFormat = ResolveLogFormat(sources);
        int maxInFlight = ResolveInt(sources, ServerSettingDefinitions.MaxInFlightRequests, DefaultMaxInFlightRequests, 1, 100_000, "is not a request count (1-100000)", out _);
        int shutdownMs = ResolveInt(sources, ServerSettingDefinitions.ShutdownTimeoutMs, DefaultShutdownTimeoutMs, 0, int.MaxValue, "is not a duration in milliseconds (0-2147483647)", out _);

        // The default raft_addr only counts in raft-cluster mode: a standalone node may never bind it.
        bool raftPortInUse = commandLine.Mode == ServerMode.RaftCluster || raftRaw is not null;
        CheckDistinctPorts(
            (ServerSettingDefinitions.KafkaPort, kafkaPort, kafkaPortRaw),
            (ServerSettingDefinitions.HttpPort, httpPort, httpPortRaw),
            raftPortInUse ? (ServerSettingDefinitions.RaftAddr, raftAddress.Port, raftRaw) : default);

        IReadOnlyList<RaftPeer> peers = ResolvePeers(sources, commandLine.Mode, nodeId, nodeIdGiven, raftAddress);
        bool join = ResolveJoin(sources, commandLine.Mode);
        if (!raftPortInUse)
        {
            // A standalone node's quorum of one listens on a loopback port the OS picks at start: nothing
            // to configure and nothing that can collide with another node's ports.
            raftAddress = new HostPort("127.0.0.1", 0);
        }

        return new ServerSettings
        {
            Mode = commandLine.Mode,
            NodeId = nodeId,
            DataDirectory = dataDir,
            KafkaListen = new HostPort(bindHost, kafkaPort),
            AdvertisedKafka = advertised,
            HttpListen = new HostPort(httpHost, httpPort),
            RaftAddress = raftAddress,
            Peers = peers,
            Join = join,
            LogLevel = logLevel,
            LogFormat = logFormat,
            MaxInFlightRequestsPerConnection = maxInFlight,
            ShutdownTimeout = TimeSpan.FromMilliseconds(shutdownMs),
            ConfigFile = file.Path,
            Broker = ResolveBrokerConfigs(sources, commandLine),
            Warnings = warnings,
        };
    }

    private static void CheckEnvironmentNames(IReadOnlyDictionary<string, string> environment, List<string> warnings)
    {
        foreach (string name in environment.Keys)
        {
            if (!name.StartsWith("CHRONIK_", StringComparison.Ordinal) || name == ServerSettingDefinitions.ConfigFileVariable)
            {
                continue;
            }

            if (name.StartsWith(ServerSettingDefinitions.BrokerVariablePrefix, StringComparison.Ordinal))
            {
                if (!BrokerConfigCatalog.All.Any(d => d.EnvironmentVariable == name))
                {
                    string hint = ConfigFile.Suggest(name, BrokerConfigCatalog.All.Select(d => d.EnvironmentVariable));
                    throw new ConfigurationException($"{name}: not a Kafka broker config Chronik knows{hint}");
                }
            }
            else if (!ServerSettingDefinitions.All.Any(d => d.EnvironmentVariable == name))
            {
                // Other tools may share the prefix, so this is a warning, not an error.
                string hint = ConfigFile.Suggest(name, ServerSettingDefinitions.All.Select(d => d.EnvironmentVariable));
                warnings.Add($"environment variable {name} is not a chronik-server setting and is ignored{hint}");
            }
        }
    }

    private static ConfigFile LoadFile(CommandLineValues commandLine, IReadOnlyDictionary<string, string> environment, string currentDirectory)
    {
        (string? path, string origin) = commandLine.ConfigFile is { } flag
            ? (flag, "--config")
            : environment.TryGetValue(ServerSettingDefinitions.ConfigFileVariable, out string? env) ? (env, ServerSettingDefinitions.ConfigFileVariable) : (null, "");
        if (path is null)
        {
            return ConfigFile.Empty;
        }

        if (path.Length == 0)
        {
            throw new ConfigurationException($"{origin}: the config file path is empty");
        }

        string full = Path.GetFullPath(path, currentDirectory);
        if (!File.Exists(full))
        {
            throw new ConfigurationException($"{origin}: config file '{full}' does not exist");
        }

        return ConfigFile.Load(full, origin);
    }

    private static ConfigurationException Bad(RawSetting raw, string problem) => new($"{raw.Origin}: '{raw.Text}' {problem}");

    private static int ResolveInt(Sources sources, ServerSettingDefinition definition, int defaultValue, int min, int max, string problem, out bool given)
    {
        RawSetting? raw = sources.Find(definition);
        given = raw is not null;
        if (raw is not { } r)
        {
            return defaultValue;
        }

        if (!int.TryParse(r.Text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
        {
            throw Bad(r, problem);
        }

        return value;
    }

    private static int ResolvePort(Sources sources, ServerSettingDefinition definition, int defaultValue, out RawSetting? raw)
    {
        raw = sources.Find(definition);
        if (raw is not { } r)
        {
            return defaultValue;
        }

        return HostPort.TryParsePort(r.Text.Trim(), out int port) ? port : throw Bad(r, "is not a port number (1-65535)");
    }

    private static string ResolveHost(Sources sources, ServerSettingDefinition definition, string defaultValue, out RawSetting? raw)
    {
        raw = sources.Find(definition);
        if (raw is not { } r)
        {
            return defaultValue;
        }

        string host = r.Text.Trim().Trim('[', ']');
        return HostPort.IsValidHost(host) ? host : throw Bad(r, "is not a host name or IP address");
    }

    private static HostPort ResolveAddress(Sources sources, ServerSettingDefinition definition, string defaultValue, out RawSetting? raw)
    {
        raw = sources.Find(definition);
        if (raw is not { } r)
        {
            return HostPort.TryParse(defaultValue, null, out _)!.Value;
        }

        HostPort address = HostPort.TryParse(r.Text.Trim(), null, out string problem) ?? throw Bad(r, problem);
        return HostPort.IsWildcard(address.Host) ? throw Bad(r, "is a wildcard address; other nodes cannot connect to it") : address;
    }

    private static HostPort ResolveAdvertised(Sources sources, string bindHost, int kafkaPort)
    {
        if (sources.Find(ServerSettingDefinitions.AdvertisedAddr) is not { } r)
        {
            // Like Kafka's advertised.listeners falling back to listeners, with a wildcard bind replaced by
            // localhost: the zero-configuration node is reachable from its own machine.
            return new HostPort(HostPort.IsWildcard(bindHost) ? "localhost" : bindHost, kafkaPort);
        }

        HostPort advertised = HostPort.TryParse(r.Text.Trim(), kafkaPort, out string problem) ?? throw Bad(r, problem);
        return HostPort.IsWildcard(advertised.Host) ? throw Bad(r, "is a wildcard address; clients cannot connect to it") : advertised;
    }

    private static string ResolveDataDir(Sources sources, string currentDirectory)
    {
        if (sources.Find(ServerSettingDefinitions.DataDir) is not { } r)
        {
            return Path.GetFullPath(DefaultDataDir, currentDirectory);
        }

        if (string.IsNullOrWhiteSpace(r.Text))
        {
            throw Bad(r, "is not a directory path");
        }

        try
        {
            return Path.GetFullPath(r.Text, currentDirectory);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw Bad(r, "is not a directory path");
        }
    }

    private static LogLevel ResolveLogLevel(Sources sources)
    {
        if (sources.Find(ServerSettingDefinitions.LogLevel) is not { } r)
        {
            return LogLevel.Information;
        }

        return r.Text.Trim().ToLowerInvariant() switch
        {
            "trace" => LogLevel.Trace,
            "debug" => LogLevel.Debug,
            "info" or "information" => LogLevel.Information,
            "warn" or "warning" => LogLevel.Warning,
            "error" => LogLevel.Error,
            "critical" => LogLevel.Critical,
            "none" => LogLevel.None,
            _ => throw Bad(r, "is not a log level (trace, debug, info, warn, error, critical, none)"),
        };
    }

    private static LogFormat ResolveLogFormat(Sources sources)
    {
        if (sources.Find(ServerSettingDefinitions.LogFormat) is not { } r)
        {
            return LogFormat.Text;
        }

        return r.Text.Trim().ToLowerInvariant() switch
        {
            "text" => LogFormat.Text,
            "json" => LogFormat.Json,
            _ => throw Bad(r, "is not a log format (text, json)"),
        };
    }

    private static void CheckDistinctPorts(params (ServerSettingDefinition? Definition, int Port, RawSetting? Raw)[] ports)
    {
        for (int i = 0; i < ports.Length; i++)
        {
            for (int j = i + 1; j < ports.Length; j++)
            {
                if (ports[i].Definition is not null && ports[j].Definition is not null && ports[i].Port == ports[j].Port)
                {
                    // Name the setting that was given explicitly (the other one is then its default).
                    var (culprit, other) = ports[j].Raw is not null || ports[i].Raw is null ? (ports[j], ports[i]) : (ports[i], ports[j]);
                    string origin = culprit.Raw?.Origin ?? $"{culprit.Definition!.Key} (default)";
                    throw new ConfigurationException(
                        $"{origin}: port {culprit.Port} is also the {other.Definition!.Key} port; every port needs its own value");
                }
            }
        }
    }

    private static IReadOnlyList<RaftPeer> ResolvePeers(Sources sources, ServerMode mode, int nodeId, bool nodeIdGiven, HostPort raftAddress)
    {
        RawSetting? raw = sources.Find(ServerSettingDefinitions.Peers);
        if (mode != ServerMode.RaftCluster)
        {
            if (raw is { } stray && stray.Text.Trim().Length > 0)
            {
                throw new ConfigurationException($"{stray.Origin}: peers are only used by the raft-cluster subcommand (chronik-server raft-cluster --peers ...)");
            }

            return [];
        }

        if (!nodeIdGiven)
        {
            throw new ConfigurationException(
                $"raft-cluster needs this node's id: set {ServerSettingDefinitions.NodeId.Flag} (or {ServerSettingDefinitions.NodeId.EnvironmentVariable} / node_id in the config file)");
        }

        if (raw is not { } r || r.Text.Trim().Length == 0)
        {
            throw new ConfigurationException(
                $"raft-cluster needs the other voters: set {ServerSettingDefinitions.Peers.Flag} \"ID@HOST:PORT,...\" (or {ServerSettingDefinitions.Peers.EnvironmentVariable} / peers in the config file)");
        }

        var peers = new List<RaftPeer>();
        foreach (string entry in r.Text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int at = entry.IndexOf('@', StringComparison.Ordinal);
            if (at <= 0 || !int.TryParse(entry[..at], NumberStyles.None, CultureInfo.InvariantCulture, out int id))
            {
                throw new ConfigurationException($"{r.Origin}: '{entry}' is not ID@HOST:PORT");
            }

            HostPort address = HostPort.TryParse(entry[(at + 1)..], null, out string problem)
                ?? throw new ConfigurationException($"{r.Origin}: '{entry}' {problem}");
            if (id == nodeId)
            {
                // Listing every voter, this node included, is accepted when the entry matches raft_addr.
                if (address == raftAddress)
                {
                    continue;
                }

                throw new ConfigurationException($"{r.Origin}: '{entry}' has this node's id {nodeId} but not its raft_addr {raftAddress}");
            }

            if (peers.Exists(p => p.NodeId == id))
            {
                throw new ConfigurationException($"{r.Origin}: node id {id} is listed twice");
            }

            if (peers.Exists(p => p.Address == address) || address == raftAddress)
            {
                throw new ConfigurationException($"{r.Origin}: address {address} is listed for two nodes");
            }

            peers.Add(new RaftPeer(id, address));
        }

        if (peers.Count == 0)
        {
            throw new ConfigurationException($"{r.Origin}: lists no other voter; for a single node use the standalone mode");
        }

        return peers;
    }

    private static bool ResolveJoin(Sources sources, ServerMode mode)
    {
        if (sources.Find(ServerSettingDefinitions.Join) is not { } r)
        {
            return false;
        }

        bool join = r.Text.Trim().ToLowerInvariant() switch
        {
            "true" => true,
            "false" => false,
            _ => throw Bad(r, "is not true or false"),
        };
        if (join && mode != ServerMode.RaftCluster)
        {
            throw new ConfigurationException($"{r.Origin}: join is only used by the raft-cluster subcommand (chronik-server raft-cluster --join --peers ...)");
        }

        return join;
    }

    private static BrokerConfigs ResolveBrokerConfigs(Sources sources, CommandLineValues commandLine)
    {
        var overrides = new Dictionary<string, RawSetting>(StringComparer.Ordinal);
        foreach (string item in commandLine.BrokerOverrides)
        {
            int equals = item.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new ConfigurationException($"--override: '{item}' is not KEY=VALUE");
            }

            string name = item[..equals].Trim();
            if (!BrokerConfigCatalog.TryGet(name, out _))
            {
                string hint = ConfigFile.Suggest(name, BrokerConfigCatalog.All.Select(d => d.Name));
                throw new ConfigurationException($"--override: '{name}' is not a Kafka broker config Chronik knows{hint}");
            }

            overrides[name] = new RawSetting(item[(equals + 1)..], $"--override {name}");
        }

        var entries = new List<BrokerConfigEntry>(BrokerConfigCatalog.All.Count);
        foreach (var definition in BrokerConfigCatalog.All)
        {
            RawSetting? raw = overrides.TryGetValue(definition.Name, out var flag) ? flag
                : sources.Environment.TryGetValue(definition.EnvironmentVariable, out string? env) ? new RawSetting(env, definition.EnvironmentVariable)
                : sources.File.Broker.TryGetValue(definition.Name, out var fromFile) ? fromFile
                : null;

            if (raw is { } r)
            {
                if (!definition.TryParse(r.Text, out object? typed, out string problem))
                {
                    throw Bad(r, problem);
                }

                entries.Add(new BrokerConfigEntry(definition, Normalize(definition, typed), typed, BrokerConfigSource.StaticBrokerConfig));
                continue;
            }

            string? defaultText = commandLine.Mode == ServerMode.Standalone && BrokerConfigCatalog.StandaloneDefaults.TryGetValue(definition.Name, out string? standalone)
                ? standalone
                : definition.Default;
            object? defaultTyped = null;
            if (defaultText is not null && !definition.TryParse(defaultText, out defaultTyped, out string defaultProblem))
            {
                throw new InvalidOperationException($"default of {definition.Name} '{defaultText}' {defaultProblem}");
            }

            entries.Add(new BrokerConfigEntry(definition, defaultText, defaultTyped, BrokerConfigSource.DefaultConfig));
        }

        return new BrokerConfigs(entries);
    }

    /// <summary>The value as Kafka prints it: lists comma-joined, numbers invariant, booleans lower case.</summary>
    private static string? Normalize(BrokerConfigDefinition definition, object? typed) => typed switch
    {
        null => null,
        bool b => b ? "true" : "false",
        string[] list => string.Join(",", list),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => typed.ToString() ?? definition.Default,
    };

    /// <summary>Looks a setting up in precedence order: flag, environment, file.</summary>
    private sealed class Sources(CommandLineValues commandLine, IReadOnlyDictionary<string, string> environment, ConfigFile file)
    {
        public IReadOnlyDictionary<string, string> Environment { get; } = environment;

        public ConfigFile File { get; } = file;

        public RawSetting? Find(ServerSettingDefinition definition)
        {
            if (commandLine.Settings.TryGetValue(definition.Key, out string? flag))
            {
                return new RawSetting(flag, definition.Flag);
            }

            if (Environment.TryGetValue(definition.EnvironmentVariable, out string? env))
            {
                return new RawSetting(env, definition.EnvironmentVariable);
            }

            return File.Settings.TryGetValue(definition.Key, out var fromFile) ? fromFile : null;
        }
    }
}
