using Chronik.Cluster.Controller;
using Chronik.Protocol.Messages;

namespace Chronik.Broker.Controller;

/// <summary>AddRaftVoter (80) and RemoveRaftVoter (81) resent as they are to the leader, which answers from its own voter controller.</summary>
public sealed partial class RemoteController : IRaftVoterClient
{
    public async Task<ApiError> AddRaftVoterAsync(RaftVoterAddition addition, CancellationToken cancellationToken)
    {
        var request = new AddRaftVoterRequest
        {
            ClusterId = addition.ClusterId,
            TimeoutMs = ForwardedTimeoutMs,
            VoterId = addition.VoterId,
            VoterDirectoryId = addition.VoterDirectoryId,
            Listeners = addition.Listeners.Select(l => new AddRaftVoterRequest.Listener { Name = l.Name, Host = l.Host, Port = checked((ushort)l.Port) }).ToList(),
        };
        AddRaftVoterResponse response = await SendAsync<AddRaftVoterResponse>(request, ApiKey.AddRaftVoter, minVersion: 0, maxVersion: 0, cancellationToken).ConfigureAwait(false);
        return ControllerMessages.Error(response.ErrorCode, response.ErrorMessage);
    }

    public async Task<ApiError> RemoveRaftVoterAsync(RaftVoterRemoval removal, CancellationToken cancellationToken)
    {
        var request = new RemoveRaftVoterRequest { ClusterId = removal.ClusterId, VoterId = removal.VoterId, VoterDirectoryId = removal.VoterDirectoryId };
        RemoveRaftVoterResponse response = await SendAsync<RemoveRaftVoterResponse>(request, ApiKey.RemoveRaftVoter, minVersion: 0, maxVersion: 0, cancellationToken).ConfigureAwait(false);
        return ControllerMessages.Error(response.ErrorCode, response.ErrorMessage);
    }
}
