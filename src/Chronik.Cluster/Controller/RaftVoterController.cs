using Chronik.Cluster.Quorum;
using Chronik.Protocol.Wire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Chronik.Cluster.Controller;

/// <summary>
/// The controller side of AddRaftVoter / RemoveRaftVoter: runs on every node and acts while its node is the
/// Raft leader (elsewhere NotController, which the broker layer's router retries at the leader).
///
/// One change at a time, as Kafka: a request that arrives while another change runs is answered
/// REQUEST_TIMED_OUT at once. Before changing anything the leader commits a barrier entry of its term and
/// waits until it is applied, so the configuration it starts from holds every earlier change — including one
/// a previous leader appended but had not committed (Kafka refuses with REQUEST_TIMED_OUT until its high
/// watermark covers the last VotersRecord; here the barrier waits for it instead). DotNext then catches the
/// new voter up and commits the new configuration (see <see cref="MetadataQuorum.AddVoterAsync"/>); a voter
/// that does not catch up is not added (REQUEST_TIMED_OUT, as Kafka's "lagging behind").
/// </summary>
public sealed class RaftVoterController(MetadataQuorum quorum, ILogger<RaftVoterController>? logger = null) : IRaftVoterClient
{
    private readonly SemaphoreSlim _change = new(1, 1);
    private readonly ILogger _logger = logger ?? NullLogger<RaftVoterController>.Instance;

    public Task<ApiError> AddRaftVoterAsync(RaftVoterAddition addition, CancellationToken cancellationToken) =>
        ChangeAsync(
            $"adding voter {addition.VoterId}",
            (clusterId, voters) => RaftVoterDecisions.CheckAdd(addition, clusterId, voters),
            async (voter, token) => await quorum.AddVoterAsync(voter, token).ConfigureAwait(false)
                ? ApiError.None
                : new ApiError(ErrorCode.RequestTimedOut,
                    $"Aborted add voter operation for {voter.NodeId} since it did not catch up with the leader: is node {voter.NodeId} running and started to join, with its Raft listener at {voter.Host}:{voter.Port}?"),
            cancellationToken);

    public Task<ApiError> RemoveRaftVoterAsync(RaftVoterRemoval removal, CancellationToken cancellationToken) =>
        ChangeAsync(
            $"removing voter {removal.VoterId}",
            (clusterId, voters) => RaftVoterDecisions.CheckRemove(removal, clusterId, voters),
            async (voter, token) => await quorum.RemoveVoterAsync(voter, token).ConfigureAwait(false)
                ? ApiError.None
                : new ApiError(ErrorCode.VoterNotFound, $"Voter {voter.NodeId} was no longer a member when the change was made."),
            cancellationToken);

    private async Task<ApiError> ChangeAsync(
        string what,
        Func<string?, IReadOnlyList<QuorumPeer>, (ApiError Error, QuorumPeer? Voter)> check,
        Func<QuorumPeer, CancellationToken, Task<ApiError>> change,
        CancellationToken cancellationToken)
    {
        if (!quorum.IsLeader)
        {
            return NotControllerError();
        }

        if (!await _change.WaitAsync(TimeSpan.Zero, cancellationToken).ConfigureAwait(false))
        {
            return new ApiError(ErrorCode.RequestTimedOut, "Request timed out waiting for leader to handle previous voter change request");
        }

        try
        {
            // Refuse what is refused anyway without writing to the log.
            if (check(quorum.Current.ClusterId, quorum.Voters).Error is { IsError: true } early)
            {
                return early;
            }

            await quorum.ProposeAsync([], cancellationToken).ConfigureAwait(false);
            var (error, voter) = check(quorum.Current.ClusterId, quorum.Voters);
            if (error.IsError)
            {
                return error;
            }

            _logger.LogInformation("Metadata quorum leader {NodeId}: {Change} ({Voter}); voters now {Voters}", quorum.NodeId, what, voter, string.Join(",", quorum.Voters));
            ApiError outcome = await change(voter!, cancellationToken).ConfigureAwait(false);
            _logger.LogInformation("Metadata quorum leader {NodeId}: {Change}: {Outcome}; voters now {Voters}",
                quorum.NodeId, what, outcome.IsError ? outcome.ToString() : "done", string.Join(",", quorum.Voters));
            return outcome;
        }
        catch (NotControllerException)
        {
            return NotControllerError();
        }
        catch (VoterChangeInProgressException e)
        {
            return new ApiError(ErrorCode.RequestTimedOut, e.Message);
        }
        finally
        {
            _change.Release();
        }
    }

    private ApiError NotControllerError()
    {
        int? leader = quorum.LeaderNodeId;
        return new ApiError(ErrorCode.NotController, leader is { } id && id != quorum.NodeId
            ? $"This node is not the Raft leader; node {id} is."
            : "No Raft leader is known yet.");
    }
}
