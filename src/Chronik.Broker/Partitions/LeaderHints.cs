using Chronik.Cluster.Metadata;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Partitions;

/// <summary>
/// KIP-951: a produce or fetch answered NOT_LEADER_OR_FOLLOWER or FENCED_LEADER_EPOCH also tells the client who
/// leads now (CurrentLeader) and how to reach that broker (NodeEndpoints), so it need not wait for a metadata refresh.
/// </summary>
internal static class LeaderHints
{
    public static bool Applies(ErrorCode error) => error is ErrorCode.NotLeaderOrFollower or ErrorCode.FencedLeaderEpoch;

    /// <summary>The current leader and leader epoch of the partition, or null when the image has no leader for it.</summary>
    public static (int LeaderId, int LeaderEpoch)? CurrentLeader(MetadataImage image, string topic, int partition) =>
        image.GetPartition(topic, partition) is { HasLeader: true } registration ? (registration.Leader, registration.LeaderEpoch) : null;

    /// <summary>The broker's endpoint on <paramref name="listener"/> and its rack, or null when unknown.</summary>
    public static (BrokerEndpoint Endpoint, string? Rack)? Endpoint(MetadataImage image, int brokerId, string listener) =>
        image.GetBroker(brokerId) is { } broker && broker.GetEndpoint(listener) is { } endpoint ? (endpoint, broker.Rack) : null;
}
