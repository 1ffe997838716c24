using Chronik.Broker.Requests;
using Chronik.Cluster.Controller;
using Chronik.Protocol.Messages;

namespace Chronik.Broker.Handlers;

/// <summary>
/// RemoveRaftVoter (key 81), v0 (KIP-853; Admin.removeRaftVoter, kafka-metadata-quorum remove-controller).
/// Behavior: the Raft leader removes node voter_id from the metadata quorum's voters; the reply comes once
/// the new configuration is committed. A leader that removes itself steps down afterwards. The removed
/// node stops counting at once; if it still runs it is no longer replicated to and reports itself not
/// ready: stop it, then unregister its broker (UnregisterBroker). Errors as Kafka: INCONSISTENT_CLUSTER_ID,
/// VOTER_NOT_FOUND, REQUEST_TIMED_OUT while another voter change runs or after 30 s; INVALID_REQUEST for
/// the only voter (Chronik). Served on every node and forwarded to the Raft leader. Chronik has no
/// metadata directory ids: voter_directory_id is not checked.
/// </summary>
public sealed class RemoveRaftVoterHandler(BrokerNode broker) : ApiHandler<RemoveRaftVoterRequest, RemoveRaftVoterResponse>
{
    public override ApiKey ApiKey => ApiKey.RemoveRaftVoter;

    public override short MinVersion => 0;

    public override short MaxVersion => 0;

    protected override async ValueTask<RemoveRaftVoterResponse?> HandleAsync(RequestContext context, RemoveRaftVoterRequest request)
    {
        var removal = new RaftVoterRemoval(request.ClusterId, request.VoterId, request.VoterDirectoryId);
        using CancellationTokenSource deadline = AdminSupport.Deadline(context, AdminSupport.DefaultForwardTimeoutMs);
        ApiError error;
        try
        {
            error = await broker.VoterControllerFor(context).RemoveRaftVoterAsync(removal, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
        {
            error = AdminSupport.TimedOut($"Removing voter {request.VoterId}");
        }

        return new RemoveRaftVoterResponse { ErrorCode = (short)error.Code, ErrorMessage = error.Message };
    }
}
