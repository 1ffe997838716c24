namespace Chronik.Server.Configuration;

/// <summary>What the command line said, before merging with the other sources.</summary>
public sealed class CommandLineValues
{
    public ServerMode Mode { get; init; } = ServerMode.Standalone;

    /// <summary>Explicitly given settings by TOML key ("kafka_port" → "9093").</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    /// <summary>--override KEY=VALUE arguments, in order.</summary>
    public IReadOnlyList<string> BrokerOverrides { get; init; } = [];

    /// <summary>--config FILE, if given.</summary>
    public string? ConfigFile { get; init; }
}
