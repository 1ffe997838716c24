namespace Chronik.Cluster.Quorum;

/// <summary>One node's view of the metadata quorum, as DescribeQuorum reports it.</summary>
/// <param name="LeaderNodeId">The leader this node knows, or null during an election.</param>
/// <param name="Term">The current Raft term (Kafka's leader epoch of the metadata log).</param>
/// <param name="CommittedIndex">The last committed entry (the metadata log's high watermark).</param>
/// <param name="LastIndex">The last entry in this node's log (its log end).</param>
/// <param name="Voters">The voters of the configuration applied on this node.</param>
/// <param name="IsVoter">Whether this node is one of them (a node waiting to be added, or removed, is not: Kafka's observer).</param>
public sealed record QuorumDescription(int? LeaderNodeId, long Term, long CommittedIndex, long LastIndex, IReadOnlyList<QuorumPeer> Voters, bool IsVoter);
