namespace Chronik.Cluster.Controller;

/// <summary>
/// KIP-853's voter changes of the metadata quorum (AddRaftVoter, RemoveRaftVoter), made by the Raft
/// leader. <see cref="RaftVoterController"/> is the in-process implementation; the broker layer routes
/// calls to the leader as it does the other controller operations. Errors come back as
/// <see cref="ApiError"/>; NotController means "ask again, elsewhere / later".
/// </summary>
public interface IRaftVoterClient
{
    Task<ApiError> AddRaftVoterAsync(RaftVoterAddition addition, CancellationToken cancellationToken);

    Task<ApiError> RemoveRaftVoterAsync(RaftVoterRemoval removal, CancellationToken cancellationToken);
}

/// <summary>One listener of AddRaftVoter: the Raft address is the one named <see cref="RaftVoterDecisions.ControllerListenerName"/>.</summary>
public sealed record RaftVoterListener(string Name, string Host, int Port);

/// <summary>
/// AddRaftVoter: add node <paramref name="VoterId"/> at its Raft listener. A non-null cluster id must be
/// this cluster's. Chronik has no metadata directory ids: <paramref name="VoterDirectoryId"/> is carried, not checked.
/// </summary>
public sealed record RaftVoterAddition(string? ClusterId, int VoterId, Guid VoterDirectoryId, IReadOnlyList<RaftVoterListener> Listeners);

/// <summary>RemoveRaftVoter: remove node <paramref name="VoterId"/> from the voters.</summary>
public sealed record RaftVoterRemoval(string? ClusterId, int VoterId, Guid VoterDirectoryId);
