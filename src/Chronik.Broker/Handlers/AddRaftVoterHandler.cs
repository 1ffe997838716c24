using Chronik.Broker.Requests;
using Chronik.Cluster.Controller;
using Chronik.Protocol.Messages;

namespace Chronik.Broker.Handlers;

/// <summary>
/// AddRaftVoter (key 80), v0 (KIP-853; Admin.addRaftVoter, kafka-metadata-quorum add-controller).
/// Behavior: the Raft leader adds node voter_id to the metadata quorum's voters at the address of its
/// listener named CONTROLLER (its raft_addr; DescribeQuorum lists every voter's the same way). The node
/// must be running, started to join (raft-cluster --join), and catch up with the leader before the new
/// configuration is committed; the reply comes once it is. Errors as Kafka: INCONSISTENT_CLUSTER_ID
/// (a non-null cluster id that is not this cluster's), INVALID_REQUEST (negative id, no CONTROLLER
/// listener, or an address that is already another voter's), DUPLICATE_VOTER, REQUEST_TIMED_OUT while
/// another voter change runs, when the node does not catch up, or when timeout_ms passes. Served on
/// every node and forwarded to the Raft leader. Chronik has no metadata directory ids: voter_directory_id
/// is not checked.
/// </summary>
public sealed class AddRaftVoterHandler(BrokerNode broker) : ApiHandler<AddRaftVoterRequest, AddRaftVoterResponse>
{
    public override ApiKey ApiKey => ApiKey.AddRaftVoter;

    public override short MinVersion => 0;

    public override short MaxVersion => 0;

    protected override async ValueTask<AddRaftVoterResponse?> HandleAsync(RequestContext context, AddRaftVoterRequest request)
    {
        var addition = new RaftVoterAddition(
            request.ClusterId,
            request.VoterId,
            request.VoterDirectoryId,
            request.Listeners.Select(l => new RaftVoterListener(l.Name, l.Host, l.Port)).ToList());
        using CancellationTokenSource deadline = AdminSupport.Deadline(context, request.TimeoutMs > 0 ? request.TimeoutMs : AdminSupport.DefaultForwardTimeoutMs);
        ApiError error;
        try
        {
            error = await broker.VoterControllerFor(context).AddRaftVoterAsync(addition, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
        {
            error = AdminSupport.TimedOut($"Adding voter {request.VoterId}");
        }

        return new AddRaftVoterResponse { ErrorCode = (short)error.Code, ErrorMessage = error.Message };
    }
}
