using Chronik.Cluster.Metadata;
using Chronik.Cluster.Quorum;

namespace Chronik.Cluster.Tests.Quorum;

/// <summary>Helpers for tests that run real quorum nodes on loopback ports in temp directories.</summary>
internal static class QuorumTestNode
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    public static IReadOnlyList<QuorumPeer> Voters(params int[] ports) =>
        ports.Select((port, i) => new QuorumPeer(i + 1, "127.0.0.1", port)).ToArray();

    /// <summary>Period of the WAL compaction the quorums made here run (on the given TimeProvider).</summary>
    public static readonly TimeSpan CompactionInterval = TimeSpan.FromSeconds(5);

    public static MetadataQuorum Create(int nodeId, IReadOnlyList<QuorumPeer> voters, string dataDir, int snapshotInterval = 1000, int walChunkSize = 1 << 20, TimeProvider? time = null) =>
        new(new MetadataQuorumOptions
            {
                NodeId = nodeId,
                Voters = voters,
                MetadataDirectory = Path.Combine(dataDir, "meta"),
                SnapshotInterval = snapshotInterval,
                WalChunkSize = walChunkSize,
                WalCompactionInterval = CompactionInterval,
            },
            timeProvider: time);

    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="what"/> after <see cref="Patience"/>.</summary>
    public static async Task Eventually(Func<bool> condition, string what)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (!condition())
        {
            if (timeout.IsCancellationRequested)
            {
                Assert.Fail($"timed out waiting until {what}");
            }

            await Task.Delay(50);
        }
    }

    public static MetadataRecord[] TopicWithConfig(string name, Guid id, string configValue) =>
    [
        new TopicRecord(name, id),
        new PartitionRecord(id, 0, [1], [1], 1, 0, 0),
        new ConfigRecord(ConfigResourceType.Topic, name, "retention.ms", configValue),
    ];
}
