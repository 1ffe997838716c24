namespace Chronik.Broker.Configs;

/// <summary>One place a config's value is set, as DescribeConfigs lists synonyms (highest precedence first).</summary>
public readonly record struct ConfigSynonym(string Name, string? Value, ConfigSource Source);

/// <summary>
/// A config's effective value with what DescribeConfigs and CreateTopics (v5+) report about it: where it
/// comes from, whether it can be altered, whether it is secret, its type and description, and every
/// place it is set (synonyms).
/// </summary>
public sealed record DescribedConfig(
    string Name,
    string? Value,
    ConfigSource Source,
    bool ReadOnly,
    bool IsSensitive,
    BrokerConfigType Type,
    string? Documentation,
    IReadOnlyList<ConfigSynonym> Synonyms);
