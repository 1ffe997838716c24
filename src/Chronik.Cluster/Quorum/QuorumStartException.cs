namespace Chronik.Cluster.Quorum;

/// <summary>The quorum could not start (e.g. its Raft port is taken); the message is one line naming the setting to change.</summary>
public sealed class QuorumStartException(string message, Exception? inner = null) : Exception(message, inner);
