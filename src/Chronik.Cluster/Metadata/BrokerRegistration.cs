using System.Collections.Immutable;

namespace Chronik.Cluster.Metadata;

/// <summary>A registered broker as the image holds it.</summary>
public sealed record BrokerRegistration(
    int BrokerId,
    Guid Incarnation,
    long BrokerEpoch,
    ImmutableArray<BrokerEndpoint> Endpoints,
    string? Rack,
    string? HttpEndpoint,
    bool Fenced)
{
    /// <summary>The endpoint of the listener named <paramref name="listenerName"/> (ordinal, case-insensitive as Kafka's), or null.</summary>
    public BrokerEndpoint? GetEndpoint(string listenerName)
    {
        foreach (BrokerEndpoint e in Endpoints)
        {
            if (string.Equals(e.Name, listenerName, StringComparison.OrdinalIgnoreCase))
            {
                return e;
            }
        }

        return null;
    }

    public bool Equals(BrokerRegistration? other) =>
        other is not null && BrokerId == other.BrokerId && Incarnation == other.Incarnation && BrokerEpoch == other.BrokerEpoch
        && Endpoints.SequenceEqual(other.Endpoints) && Rack == other.Rack && HttpEndpoint == other.HttpEndpoint && Fenced == other.Fenced;

    public override int GetHashCode() => HashCode.Combine(BrokerId, Incarnation, BrokerEpoch, Fenced);

    internal RegisterBrokerRecord ToRecord() => new(BrokerId, Incarnation, BrokerEpoch, Endpoints, Rack, HttpEndpoint, Fenced);
}
