using Chronik.Protocol.Messages;

namespace Chronik.Cluster.Integration.Harness;

/// <summary>One partition as Metadata describes it.</summary>
public sealed record PartitionView(int Partition, int Leader, int LeaderEpoch, IReadOnlyList<int> Replicas, IReadOnlyList<int> Isr);

/// <summary>
/// What one node answered to Metadata (all topics), in a canonical form: nodes that agree on the
/// cluster produce equal <see cref="Canonical"/> strings.
/// </summary>
public sealed record MetadataSnapshot(
    string? ClusterId,
    int ControllerId,
    IReadOnlyList<(int Id, string Host, int Port)> Brokers,
    IReadOnlyDictionary<string, IReadOnlyList<PartitionView>> Topics)
{
    public IReadOnlyList<int> BrokerIds => [.. Brokers.Select(b => b.Id)];

    public string Canonical =>
        $"cluster={ClusterId} controller={ControllerId} brokers=[{string.Join(",", Brokers.Select(b => $"{b.Id}@{b.Host}:{b.Port}"))}] topics=[" +
        string.Join(";", Topics.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t =>
            $"{t.Key}:" + string.Join(",", t.Value.Select(p => $"{p.Partition}/l{p.Leader}/e{p.LeaderEpoch}/r{string.Join(".", p.Replicas)}/i{string.Join(".", p.Isr)}")))) + "]";

    public static MetadataSnapshot From(MetadataResponse response) => new(
        response.ClusterId,
        response.ControllerId,
        [.. response.Brokers.OrderBy(b => b.NodeId).Select(b => (b.NodeId, b.Host, b.Port))],
        response.Topics.Where(t => t.ErrorCode == 0 && t.Name is not null).ToDictionary(
            t => t.Name!,
            t => (IReadOnlyList<PartitionView>)[.. t.Partitions.OrderBy(p => p.PartitionIndex).Select(p =>
                new PartitionView(p.PartitionIndex, p.LeaderId, p.LeaderEpoch, [.. p.ReplicaNodes], [.. p.IsrNodes]))],
            StringComparer.Ordinal));

    public override string ToString() => Canonical;
}
