using System.Net;

namespace Chronik.Cluster.Quorum;

/// <summary>Settings of one node of the metadata quorum.</summary>
public sealed class MetadataQuorumOptions
{
    /// <summary>This node's id; must be one of <see cref="Voters"/>.</summary>
    public required int NodeId { get; init; }

    /// <summary>All voters, this node included, identical on every node. A single node is a list of one.</summary>
    public required IReadOnlyList<QuorumPeer> Voters { get; init; }

    /// <summary>Directory of the Raft log and snapshots (data-dir/meta).</summary>
    public required string MetadataDirectory { get; init; }

    /// <summary>Address the Raft listener binds; default: this voter's host if it is an IP literal, else any address.</summary>
    public IPAddress? BindAddress { get; init; }

    /// <summary>Lower bound of the randomized election timeout. DotNext's 150 ms default lost leadership under load here; 1 s holds.</summary>
    public TimeSpan ElectionTimeoutLower { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan ElectionTimeoutUpper { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How often the leader sends AppendEntries when it has nothing new. A follower learns that an entry
    /// committed only from the leader's next AppendEntries, so this bounds how far a follower's image lags
    /// the controller's (DotNext's default, half the lower election timeout, let followers answer Metadata
    /// without a just-created topic for half a second).
    /// </summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Take a snapshot of the image after this many log entries (the log before it is then compacted).</summary>
    public int SnapshotInterval { get; init; } = 1000;

    /// <summary>Size of one WAL chunk file; DotNext's 4 KiB default caps throughput, so 1 MiB.</summary>
    public int WalChunkSize { get; init; } = 1 << 20;

    /// <summary>
    /// How often the quorum asks the WAL to drop the chunks the newest snapshot covers. DotNext only
    /// compacts when its flusher wakes up (see <see cref="MetadataQuorum"/>), which a quiet node never does.
    /// </summary>
    public TimeSpan WalCompactionInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Key/value pairs DotNext exchanges between members (e.g. advertised Kafka and HTTP endpoints); informational only.</summary>
    public IReadOnlyDictionary<string, string>? MemberMetadata { get; init; }

    internal QuorumPeer Self => Voters.First(v => v.NodeId == NodeId);

    /// <summary>Throws <see cref="ArgumentException"/> with one line naming the problem.</summary>
    public void Validate()
    {
        if (Voters is null || Voters.Count == 0)
        {
            throw new ArgumentException("the metadata quorum needs at least one voter");
        }

        if (!Voters.Any(v => v.NodeId == NodeId))
        {
            throw new ArgumentException($"node id {NodeId} is not among the voters ({string.Join(",", Voters)}); every node must be given the full voter list including itself");
        }

        var ids = new HashSet<int>();
        var endPoints = new HashSet<string>(StringComparer.Ordinal);
        foreach (QuorumPeer v in Voters)
        {
            if (!ids.Add(v.NodeId))
            {
                throw new ArgumentException($"voter id {v.NodeId} appears twice");
            }

            if (!endPoints.Add(QuorumPeer.Key(v.EndPoint)))
            {
                throw new ArgumentException($"voter address {v.Host}:{v.Port} appears twice");
            }
        }

        if (string.IsNullOrWhiteSpace(MetadataDirectory))
        {
            throw new ArgumentException("the metadata directory is not set");
        }

        if (ElectionTimeoutLower <= TimeSpan.Zero || ElectionTimeoutUpper <= ElectionTimeoutLower)
        {
            throw new ArgumentException($"election timeouts must satisfy 0 < lower ({ElectionTimeoutLower}) < upper ({ElectionTimeoutUpper})");
        }

        if (HeartbeatInterval <= TimeSpan.Zero || HeartbeatInterval >= ElectionTimeoutLower)
        {
            throw new ArgumentException($"the heartbeat interval must satisfy 0 < {HeartbeatInterval} < the lower election timeout ({ElectionTimeoutLower})");
        }

        if (SnapshotInterval < 1)
        {
            throw new ArgumentException($"snapshot interval must be at least 1 entry, not {SnapshotInterval}");
        }

        if (WalCompactionInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException($"WAL compaction interval must be positive, not {WalCompactionInterval}");
        }

        if (WalChunkSize < 4096)
        {
            throw new ArgumentException($"WAL chunk size must be at least 4096 bytes, not {WalChunkSize}");
        }
    }
}
