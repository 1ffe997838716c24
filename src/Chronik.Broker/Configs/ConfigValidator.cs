using System.Globalization;
using Chronik.Cluster.Controller;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Configs;

/// <summary>
/// The controller's config validator (plugged into ControllerService by BrokerNode): topic overrides
/// are checked against <see cref="TopicConfigCatalog"/> with Kafka's errors (INVALID_CONFIG "Unknown
/// topic config name: x", "Invalid value v for configuration x: ..."), the resulting set against Kafka's
/// cross-config rule; broker configs are not updated dynamically yet, so every change to a broker
/// resource is refused as Kafka refuses its read-only broker configs.
/// </summary>
public sealed class ConfigValidator : IConfigValidator
{
    private readonly ConfigResolver _resolver;

    /// <param name="staticConfigs">The broker's static configs: they supply topic values the overrides do not set (for cross-config rules).</param>
    public ConfigValidator(BrokerConfigs staticConfigs)
    {
        // The validator never sees dynamic broker configs (there are none yet), only the static ones.
        _resolver = new ConfigResolver(staticConfigs, brokerId: -1);
    }

    public ApiError Validate(ConfigResource resource, string name, string? value)
    {
        if (resource.Type == ConfigResourceType.Broker)
        {
            return BrokerConfigCatalog.TryGet(name, out _)
                ? new ApiError(ErrorCode.InvalidRequest, $"Cannot update these configs dynamically: Set({name})")
                : new ApiError(ErrorCode.InvalidConfig, $"Unknown broker config name: {name}");
        }

        // Deleting an override Kafka does not know is a no-op there too.
        if (value is null)
        {
            return ApiError.None;
        }

        if (!TopicConfigCatalog.TryGet(name, out TopicConfigDefinition definition))
        {
            return new ApiError(ErrorCode.InvalidConfig, TopicConfigCatalog.UnknownName(name));
        }

        return definition.TryParse(value, out _, out string error) ? ApiError.None : new ApiError(ErrorCode.InvalidConfig, error);
    }

    public ApiError ValidateResulting(ConfigResource resource, IReadOnlyDictionary<string, string> resulting)
    {
        if (resource.Type != ConfigResourceType.Topic)
        {
            return ApiError.None;
        }

        // Kafka's LogConfig.validateValues, over the effective values (override, else broker setting, else default).
        TopicConfigCatalog.TryGet(TopicConfigCatalog.MinCompactionLagMs, out TopicConfigDefinition minLag);
        TopicConfigCatalog.TryGet(TopicConfigCatalog.MaxCompactionLagMs, out TopicConfigDefinition maxLag);
        if (long.TryParse(_resolver.EffectiveStaticValue(resulting, minLag), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long min)
            && long.TryParse(_resolver.EffectiveStaticValue(resulting, maxLag), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long max)
            && min > max)
        {
            return new ApiError(ErrorCode.InvalidConfig,
                $"conflict topic config setting {TopicConfigCatalog.MinCompactionLagMs} ({min}) > {TopicConfigCatalog.MaxCompactionLagMs} ({max})");
        }

        return ApiError.None;
    }

    public bool IsListConfig(ConfigResource resource, string name, out string? defaultValue)
    {
        if (resource.Type == ConfigResourceType.Topic && TopicConfigCatalog.TryGet(name, out TopicConfigDefinition topic) && topic.IsList)
        {
            defaultValue = topic.Default;
            return true;
        }

        if (resource.Type == ConfigResourceType.Broker && BrokerConfigCatalog.TryGet(name, out BrokerConfigDefinition broker) && broker.Type == BrokerConfigType.List)
        {
            defaultValue = broker.Default;
            return true;
        }

        defaultValue = null;
        return false;
    }
}
