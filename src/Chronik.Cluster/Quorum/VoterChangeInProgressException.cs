namespace Chronik.Cluster.Quorum;

/// <summary>A voter change was asked for while another one is under way: voters change one at a time (Kafka answers REQUEST_TIMED_OUT).</summary>
public sealed class VoterChangeInProgressException(string message) : Exception(message);
