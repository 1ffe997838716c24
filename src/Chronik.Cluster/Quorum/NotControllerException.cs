namespace Chronik.Cluster.Quorum;

/// <summary>
/// A proposal reached a node that is not (or stopped being) the Raft leader, i.e. not the controller.
/// Kafka callers map it to NOT_CONTROLLER; <see cref="LeaderNodeId"/> says where to go, when known.
/// </summary>
public sealed class NotControllerException(int? leaderNodeId, string message) : Exception(message)
{
    public int? LeaderNodeId { get; } = leaderNodeId;
}
