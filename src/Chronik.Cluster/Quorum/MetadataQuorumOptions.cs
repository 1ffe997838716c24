using System.Net;

namespace Chronik.Cluster.Quorum;

/// <summary>Settings of one node of the metadata quorum.</summary>
public sealed class MetadataQuorumOptions
{
    /// <summary>This node's id; one of <see cref="Voters"/> unless it joins (<see cref="JoinAs"/>).</summary>
    public required int NodeId { get; init; }

    /// <summary>
    /// The bootstrap voters, this node included unless it joins (a single node is a list of one). They seed
    /// the voter configuration of a metadata directory and it follows them until a voter change (AddRaftVoter /
    /// RemoveRaftVoter) commits; from then on the persisted, replicated configuration wins (see <see cref="VoterBootstrap"/>).
    /// </summary>
    public required IReadOnlyList<QuorumPeer> Voters { get; init; }

    /// <summary>
    /// Set when this node starts to join a running quorum (Kafka: a controller that is not one of the
    /// bootstrap voters): its own id and Raft address, which <see cref="Voters"/> — the current voters —
    /// must not contain. It starts as a non-voter and counts once the leader added it (AddRaftVoter).
    /// </summary>
    public QuorumPeer? JoinAs { get; init; }

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

    /// <summary>
    /// Replication rounds in which a voter being added must catch up with the entries committed when the
    /// change began (DotNext's WarmupRounds, default 10); a node that does not is not added.
    /// </summary>
    public int CatchUpRounds { get; init; } = 10;

    /// <summary>Key/value pairs DotNext exchanges between members (e.g. advertised Kafka and HTTP endpoints); informational only.</summary>
    public IReadOnlyDictionary<string, string>? MemberMetadata { get; init; }

    /// <summary>This node's id and Raft address.</summary>
    internal QuorumPeer Self => JoinAs ?? Voters.First(v => v.NodeId == NodeId);

    /// <summary>Throws <see cref="ArgumentException"/> with one line naming the problem.</summary>
    public void Validate()
    {
        if (Voters is null || Voters.Count == 0)
        {
            throw new ArgumentException("the metadata quorum needs at least one voter");
        }

        if (JoinAs is { } joining)
        {
            if (joining.NodeId != NodeId)
            {
                throw new ArgumentException($"node {NodeId} cannot join as node {joining.NodeId}");
            }

            if (Voters.Any(v => v.NodeId == NodeId))
            {
                throw new ArgumentException($"node {NodeId} joins the quorum, so it must not be one of the given voters ({string.Join(",", Voters)})");
            }
        }
        else if (!Voters.Any(v => v.NodeId == NodeId))
        {
            throw new ArgumentException($"node id {NodeId} is not among the voters ({string.Join(",", Voters)}); every node must be given the full voter list including itself, or join");
        }

        var ids = new HashSet<int>();
        var endPoints = new HashSet<string>(StringComparer.Ordinal);
        foreach (QuorumPeer v in JoinAs is null ? Voters : Voters.Append(JoinAs))
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

        if (CatchUpRounds < 1)
        {
            throw new ArgumentException($"catch-up rounds must be at least 1, not {CatchUpRounds}");
        }

        if (WalChunkSize < 4096)
        {
            throw new ArgumentException($"WAL chunk size must be at least 4096 bytes, not {WalChunkSize}");
        }
    }
}
