namespace Chronik.Broker.Configs;

/// <summary>
/// Where an effective config value comes from, numbered as Kafka's ConfigSource (DescribeConfigs v1+,
/// CreateTopics v5+). The order of the members below TOPIC is the order of precedence: a topic override
/// beats a dynamic per-broker value, which beats the dynamic cluster default, then the broker's static
/// settings, then the default.
/// </summary>
public enum ConfigSource : sbyte
{
    /// <summary>A topic's own override (Kafka's TOPIC_CONFIG / DYNAMIC_TOPIC_CONFIG).</summary>
    DynamicTopicConfig = 1,

    /// <summary>A per-broker override in the metadata log (broker resource named by its id).</summary>
    DynamicBrokerConfig = 2,

    /// <summary>The cluster-wide override in the metadata log (broker resource named "").</summary>
    DynamicDefaultBrokerConfig = 3,

    /// <summary>Set at startup: --override, CHRONIK_BROKER_* or the [broker] table of the config file.</summary>
    StaticBrokerConfig = 4,

    /// <summary>Nothing set: the default.</summary>
    DefaultConfig = 5,
}
