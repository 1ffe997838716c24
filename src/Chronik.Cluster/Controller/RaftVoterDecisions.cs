using Chronik.Cluster.Quorum;
using Chronik.Protocol.Wire;

namespace Chronik.Cluster.Controller;

/// <summary>
/// Validation of AddRaftVoter / RemoveRaftVoter against the current voters, in Kafka's order
/// (KafkaRaftClient, AddVoterHandler, RemoveVoterHandler; KIP-853): a cluster id that is not this cluster's
/// → INCONSISTENT_CLUSTER_ID; no valid voter or no Raft listener → INVALID_REQUEST; a voter id already in
/// the set → DUPLICATE_VOTER; removing an id that is not a voter → VOTER_NOT_FOUND. Chronik additions:
/// a Raft address that is already another voter's is INVALID_REQUEST (DotNext identifies members by
/// address), and the last voter cannot be removed (INVALID_REQUEST; Kafka leaves this open).
/// "A change is pending" (REQUEST_TIMED_OUT) is the caller's state, not checked here. Pure.
/// </summary>
public static class RaftVoterDecisions
{
    /// <summary>
    /// The listener of AddRaftVoter that names the new voter's Raft address (Kafka: the quorum's controller
    /// listener, conventionally CONTROLLER). DescribeQuorum lists every voter's Raft address under this name.
    /// </summary>
    public const string ControllerListenerName = "CONTROLLER";

    /// <summary>None and the voter to add, or the error that refuses the request.</summary>
    public static (ApiError Error, QuorumPeer? Voter) CheckAdd(RaftVoterAddition addition, string? clusterId, IReadOnlyList<QuorumPeer> voters)
    {
        ArgumentNullException.ThrowIfNull(addition);
        if (ClusterIdMismatch(addition.ClusterId, clusterId) is { } mismatch)
        {
            return (mismatch, null);
        }

        if (addition.VoterId < 0)
        {
            return (new ApiError(ErrorCode.InvalidRequest, $"Add voter request didn't include a valid voter: id {addition.VoterId}."), null);
        }

        RaftVoterListener? listener = addition.Listeners.FirstOrDefault(l => string.Equals(l.Name, ControllerListenerName, StringComparison.OrdinalIgnoreCase));
        if (listener is null)
        {
            return (new ApiError(ErrorCode.InvalidRequest,
                $"Add voter request didn't include the endpoint for the default listener {ControllerListenerName} (the voter's Raft address, its raft_addr)."), null);
        }

        if (string.IsNullOrWhiteSpace(listener.Host) || listener.Port is < 1 or > 65535)
        {
            return (new ApiError(ErrorCode.InvalidRequest, $"The {ControllerListenerName} endpoint {listener.Host}:{listener.Port} is not a host and port."), null);
        }

        var voter = new QuorumPeer(addition.VoterId, listener.Host, listener.Port);
        if (voters.Any(v => v.NodeId == voter.NodeId))
        {
            return (new ApiError(ErrorCode.DuplicateVoter, $"The voter id {voter.NodeId} is already part of the set of voters {List(voters)}."), null);
        }

        string address = QuorumPeer.Key(voter.EndPoint);
        if (voters.FirstOrDefault(v => QuorumPeer.Key(v.EndPoint) == address) is { } owner)
        {
            return (new ApiError(ErrorCode.InvalidRequest, $"The Raft address {voter.Host}:{voter.Port} is already voter {owner.NodeId}'s."), null);
        }

        return (ApiError.None, voter);
    }

    /// <summary>None and the voter to remove, or the error that refuses the request.</summary>
    public static (ApiError Error, QuorumPeer? Voter) CheckRemove(RaftVoterRemoval removal, string? clusterId, IReadOnlyList<QuorumPeer> voters)
    {
        ArgumentNullException.ThrowIfNull(removal);
        if (ClusterIdMismatch(removal.ClusterId, clusterId) is { } mismatch)
        {
            return (mismatch, null);
        }

        if (voters.FirstOrDefault(v => v.NodeId == removal.VoterId) is not { } voter)
        {
            return (new ApiError(ErrorCode.VoterNotFound, $"Cannot remove voter {removal.VoterId} from the set of voters {List(voters)}."), null);
        }

        if (voters.Count == 1)
        {
            return (new ApiError(ErrorCode.InvalidRequest, $"Cannot remove voter {removal.VoterId}: it is the only voter of the metadata quorum."), null);
        }

        return (ApiError.None, voter);
    }

    private static ApiError? ClusterIdMismatch(string? requested, string? clusterId) =>
        requested is not null && requested != clusterId
            ? new ApiError(ErrorCode.InconsistentClusterId, $"The given id \"{requested}\" doesn't match the cluster id \"{clusterId}\".")
            : null;

    private static string List(IReadOnlyList<QuorumPeer> voters) => "[" + string.Join(", ", voters.Select(v => v.NodeId)) + "]";
}
