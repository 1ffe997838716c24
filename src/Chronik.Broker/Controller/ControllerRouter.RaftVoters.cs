using Chronik.Cluster.Controller;
using ApiKey = Chronik.Protocol.Messages.ApiKey;

namespace Chronik.Broker.Controller;

/// <summary>
/// AddRaftVoter / RemoveRaftVoter go to the Raft leader like the other controller operations (Kafka's
/// brokers forward them to the active controller): this node's <see cref="RaftVoterController"/> when it
/// leads, otherwise the request itself to the leader's Kafka listener, retried across elections.
/// </summary>
public sealed partial class ControllerRouter : IRaftVoterClient
{
    public Task<ApiError> AddRaftVoterAsync(RaftVoterAddition addition, CancellationToken cancellationToken) =>
        CallAsync<IRaftVoterClient, ApiError>(ApiKey.AddRaftVoter, _localVoters, Remote, (c, t) => c.AddRaftVoterAsync(addition, t), IsNotController, cancellationToken);

    public Task<ApiError> RemoveRaftVoterAsync(RaftVoterRemoval removal, CancellationToken cancellationToken) =>
        CallAsync<IRaftVoterClient, ApiError>(ApiKey.RemoveRaftVoter, _localVoters, Remote, (c, t) => c.RemoveRaftVoterAsync(removal, t), IsNotController, cancellationToken);
}
