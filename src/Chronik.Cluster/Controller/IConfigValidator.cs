using Chronik.Cluster.Metadata;
using Chronik.Protocol.Wire;

namespace Chronik.Cluster.Controller;

/// <summary>
/// Validates one config override before the controller commits it. The broker layer owns the
/// config definitions (names, types, ranges) and supplies the validator; the controller only asks.
/// </summary>
public interface IConfigValidator
{
    /// <summary>None, or the error for setting <paramref name="name"/> to <paramref name="value"/> (null = delete) on <paramref name="resource"/>.</summary>
    ApiError Validate(ConfigResource resource, string name, string? value);

    /// <summary>
    /// None, or the error for the whole set of overrides <paramref name="resource"/> would have after a
    /// change: Kafka validates the resulting set, which catches rules across configs
    /// (min.compaction.lag.ms must not exceed max.compaction.lag.ms).
    /// </summary>
    ApiError ValidateResulting(ConfigResource resource, IReadOnlyDictionary<string, string> resulting) => ApiError.None;

    /// <summary>
    /// Whether APPEND / SUBTRACT apply to <paramref name="name"/> (only LIST configs, as in Kafka), and the
    /// value they start from when the resource does not set it (Kafka starts from the config's default).
    /// </summary>
    bool IsListConfig(ConfigResource resource, string name, out string? defaultValue)
    {
        defaultValue = null;
        return true;
    }
}

/// <summary>Accepts any config name and value (Kafka's behaviour for unknown keys is the supplied validator's business).</summary>
public sealed class AcceptAllConfigValidator : IConfigValidator
{
    public static readonly AcceptAllConfigValidator Instance = new();

    public ApiError Validate(ConfigResource resource, string name, string? value) => ApiError.None;
}

/// <summary>Accepts only known config names per resource type, as Kafka does ("Unknown topic config name: x").</summary>
public sealed class KnownConfigNamesValidator(IReadOnlySet<string> topicConfigs, IReadOnlySet<string> brokerConfigs) : IConfigValidator
{
    public ApiError Validate(ConfigResource resource, string name, string? value)
    {
        bool topic = resource.Type == ConfigResourceType.Topic;
        return (topic ? topicConfigs : brokerConfigs).Contains(name)
            ? ApiError.None
            : new ApiError(ErrorCode.InvalidConfig, $"Unknown {(topic ? "topic" : "broker")} config name: {name}");
    }
}
