using Chronik.Broker.Requests;
using Chronik.Protocol.Messages;

namespace Chronik.Broker.Handlers;

/// <summary>
/// UnregisterBroker (key 64), v0 (KIP-631; Admin.unregisterBroker).
/// Behavior: the controller takes the broker out of every ISR, moves its leaderships and removes its
/// registration (BROKER_ID_NOT_REGISTERED when it has none). Meant for a drained broker: one that still
/// runs registers again with its next heartbeat. Served on every node and forwarded to the controller.
/// </summary>
public sealed class UnregisterBrokerHandler(BrokerNode broker) : ApiHandler<UnregisterBrokerRequest, UnregisterBrokerResponse>
{
    public override ApiKey ApiKey => ApiKey.UnregisterBroker;

    public override short MinVersion => 0;

    public override short MaxVersion => 0;

    protected override async ValueTask<UnregisterBrokerResponse?> HandleAsync(RequestContext context, UnregisterBrokerRequest request)
    {
        using CancellationTokenSource deadline = AdminSupport.Deadline(context, AdminSupport.DefaultForwardTimeoutMs);
        try
        {
            var error = await broker.ControllerFor(context).UnregisterBrokerAsync(request.BrokerId, deadline.Token).ConfigureAwait(false);
            return new UnregisterBrokerResponse { ErrorCode = (short)error.Code, ErrorMessage = error.Message };
        }
        catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
        {
            var timedOut = AdminSupport.TimedOut("Unregistering the broker");
            return new UnregisterBrokerResponse { ErrorCode = (short)timedOut.Code, ErrorMessage = timedOut.Message };
        }
    }
}
