using System.CommandLine;
using Chronik.Server.Configuration;

namespace Chronik.Server.Cli;

/// <summary>
/// The command line of chronik-server: global flags (one per server setting, plus --config and
/// --override) that work before and after the subcommand, and one subcommand per
/// <see cref="ServerMode"/>. A new mode is a new <see cref="ModeCommand"/> with its own options in
/// <see cref="CreateModeCommands"/>. `dev-cluster` is not a mode of this process but a launcher of N
/// node processes (<see cref="DevCluster.DevClusterRunner"/>).
/// </summary>
public sealed class ServerCommandLine
{
    private readonly RootCommand _root;
    private readonly Dictionary<string, Option<string>> _settingOptions = new(StringComparer.Ordinal);
    private readonly HashSet<string> _switches = new(StringComparer.Ordinal);
    private readonly Option<string> _config;
    private readonly Option<string[]> _overrides;

    public ServerCommandLine()
    {
        _root = new RootCommand("chronik-server: a Kafka-compatible streaming broker. Without a subcommand it runs standalone.");
        // The root itself is the standalone mode; an action marks it runnable without a subcommand.
        _root.SetAction(_ => 0);

        foreach (var definition in ServerSettingDefinitions.All.Where(d => d.OnlyIn is null))
        {
            _root.Options.Add(CreateOption(definition));
        }

        _config = new Option<string>("--config")
        {
            Description = $"TOML config file with the same keys as the flags, Kafka broker configs in [broker] [env {ServerSettingDefinitions.ConfigFileVariable}]",
            HelpName = "FILE",
            Recursive = true,
        };
        _root.Options.Add(_config);

        _overrides = new Option<string[]>("--override")
        {
            Description = "Set a Kafka broker config by its Kafka name, e.g. --override num.partitions=3 (repeatable) [env CHRONIK_BROKER_<NAME>, file [broker]]",
            HelpName = "KEY=VALUE",
            Recursive = true,
            AllowMultipleArgumentsPerToken = false,
        };
        _root.Options.Add(_overrides);

        foreach (var command in CreateModeCommands())
        {
            _root.Subcommands.Add(command);
        }

        _nodes = new Option<int>("--nodes")
        {
            Description = "Number of nodes, each a voter of the metadata quorum and a broker (1-9; 1, 3 or 5 make sense)",
            HelpName = "N",
            DefaultValueFactory = _ => 3,
        };
        _basePort = new Option<int?>("--base-port")
        {
            Description = "First port of the block B..B+3N-1 the nodes take (node i: Kafka B+3(i-1), HTTP +1, Raft +2); default: free ports, printed",
            HelpName = "B",
        };
        _devCluster = new Command("dev-cluster", "Start a local cluster of N chronik-server processes on loopback (data in --data-dir, default ./dev-cluster) and stop them on Ctrl+C.");
        _devCluster.Options.Add(_nodes);
        _devCluster.Options.Add(_basePort);
        _devCluster.SetAction(_ => 0);
        _root.Subcommands.Add(_devCluster);
    }

    /// <summary>Settings dev-cluster decides per node; giving one is refused.</summary>
    private static readonly string[] DevClusterOwnSettings =
    [
        ServerSettingDefinitions.NodeId.Key, ServerSettingDefinitions.BindAddr.Key, ServerSettingDefinitions.KafkaPort.Key,
        ServerSettingDefinitions.AdvertisedAddr.Key, ServerSettingDefinitions.HttpBind.Key, ServerSettingDefinitions.HttpPort.Key,
        ServerSettingDefinitions.RaftAddr.Key,
    ];

    private readonly Command _devCluster;
    private readonly Option<int> _nodes;
    private readonly Option<int?> _basePort;

    /// <summary>Whether the parse selected `dev-cluster`.</summary>
    public bool IsDevCluster(ParseResult result) => result.CommandResult.Command == _devCluster;

    /// <summary>
    /// The dev-cluster request of a successful parse. The per-node settings (node id, ports, addresses) are
    /// dev-cluster's to choose and refused here; the other global flags are passed to every node as given.
    /// </summary>
    public DevCluster.DevClusterOptions ToDevClusterOptions(ParseResult result, string currentDirectory)
    {
        CommandLineValues values = ToValues(result);
        foreach (string key in DevClusterOwnSettings)
        {
            if (values.Settings.ContainsKey(key))
            {
                throw new ConfigurationException($"--{key.Replace('_', '-')}: dev-cluster chooses every node's id, addresses and ports itself (see --base-port)");
            }
        }

        int nodes = result.GetValue(_nodes);
        if (nodes is < 1 or > 9)
        {
            throw new ConfigurationException($"--nodes: {nodes} is not a node count (1-9)");
        }

        var forwarded = new List<string>();
        foreach (var (key, value) in values.Settings)
        {
            if (key != ServerSettingDefinitions.DataDir.Key)
            {
                forwarded.Add("--" + key.Replace('_', '-'));
                forwarded.Add(value);
            }
        }

        foreach (string setting in values.BrokerOverrides)
        {
            forwarded.Add("--override");
            forwarded.Add(setting);
        }

        if (values.ConfigFile is { } file)
        {
            forwarded.Add("--config");
            forwarded.Add(Path.GetFullPath(file, currentDirectory));
        }

        string dataDir = values.Settings.TryGetValue(ServerSettingDefinitions.DataDir.Key, out string? dir) ? dir : "./dev-cluster";
        return new DevCluster.DevClusterOptions
        {
            Nodes = nodes,
            BasePort = result.GetValue(_basePort),
            DataDirectory = Path.GetFullPath(dataDir, currentDirectory),
            NodeArguments = forwarded,
        };
    }

    /// <summary>Parses <paramref name="args"/>; check <see cref="ParseResult.Errors"/> and help/version actions before <see cref="ToValues"/>.</summary>
    public ParseResult Parse(IReadOnlyList<string> args) => _root.Parse(args);

    /// <summary>The explicitly given values of a successful parse.</summary>
    public CommandLineValues ToValues(ParseResult result)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, option) in _settingOptions)
        {
            if (result.GetResult(option) is { Implicit: false })
            {
                if (result.GetValue(option) is { } value)
                {
                    settings[key] = value;
                }
                else if (_switches.Contains(key))
                {
                    settings[key] = "true";
                }
            }
        }

        return new CommandLineValues
        {
            Mode = result.CommandResult.Command is ModeCommand mode ? mode.Mode : ServerMode.Standalone,
            Settings = settings,
            BrokerOverrides = result.GetValue(_overrides) ?? [],
            ConfigFile = result.GetValue(_config),
        };
    }

    private IEnumerable<Command> CreateModeCommands()
    {
        yield return new ModeCommand("standalone", "Run a single node: a cluster of one (the default).", ServerMode.Standalone);

        var raftCluster = new ModeCommand(
            "raft-cluster",
            "Run as one node of a metadata quorum: a voter seeded from --peers, or with --join a node that waits to be added (AddRaftVoter).",
            ServerMode.RaftCluster);
        foreach (var definition in ServerSettingDefinitions.All.Where(d => d.OnlyIn == ServerMode.RaftCluster))
        {
            raftCluster.Options.Add(CreateOption(definition));
        }

        yield return raftCluster;
    }

    private Option<string> CreateOption(ServerSettingDefinition definition)
    {
        // Values stay strings here: one validator per setting (SettingsLoader) serves flags, variables
        // and the file alike, so every bad value gets the same one-line message.
        var option = new Option<string>(definition.Flag)
        {
            Description = $"{definition.Description} [env {definition.EnvironmentVariable}, file {definition.Key}, default {definition.DefaultText}]",
            HelpName = definition.HelpName,
            Recursive = definition.OnlyIn is null,
        };
        if (definition.IsSwitch)
        {
            option.Arity = ArgumentArity.ZeroOrOne;
            _switches.Add(definition.Key);
        }

        _settingOptions[definition.Key] = option;
        return option;
    }

    /// <summary>A subcommand that selects a <see cref="ServerMode"/>.</summary>
    private sealed class ModeCommand : Command
    {
        public ModeCommand(string name, string description, ServerMode mode)
            : base(name, description)
        {
            Mode = mode;
            SetAction(_ => 0);
        }

        public ServerMode Mode { get; }
    }
}
