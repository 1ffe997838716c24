namespace Chronik.Cluster.Metadata;

/// <summary>Kafka's ConfigResource.Type values for the resources whose configs live in the metadata log.</summary>
public enum ConfigResourceType : byte
{
    Topic = 2,
    Broker = 4,
}

/// <summary>
/// A resource that carries config overrides. A broker resource is named by the broker id in decimal,
/// or "" for the cluster-wide default (Kafka's convention).
/// </summary>
public readonly record struct ConfigResource(ConfigResourceType Type, string Name)
{
    public static ConfigResource ForTopic(string topic) => new(ConfigResourceType.Topic, topic);

    public static ConfigResource ForBroker(int brokerId) => new(ConfigResourceType.Broker, brokerId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static ConfigResource ClusterDefault => new(ConfigResourceType.Broker, "");
}
