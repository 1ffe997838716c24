namespace Chronik.Broker.Configs;

/// <summary>Kafka's config data types, numbered as DescribeConfigsResponse ConfigType (v3+) numbers them.</summary>
public enum BrokerConfigType : sbyte
{
    Boolean = 1,
    String = 2,
    Int = 3,
    Short = 4,
    Long = 5,
    Double = 6,
    List = 7,
    Class = 8,
    Password = 9,
}

/// <summary>Where a broker config's value came from, numbered as DescribeConfigs ConfigSource numbers them.</summary>
public enum BrokerConfigSource : sbyte
{
    /// <summary>Set by a flag (--override), a CHRONIK_BROKER_* variable or the [broker] table of the config file.</summary>
    StaticBrokerConfig = 4,

    /// <summary>Not set: the default applies.</summary>
    DefaultConfig = 5,
}
