using Chronik.Broker.Requests;
using Chronik.Protocol.Messages;

namespace Chronik.Broker.Controller;

/// <summary>
/// BrokerHeartbeat (key 63), v0-1, internal (Kafka: controller listener only).
/// Behavior: liveness and catch-up of a registered broker, answered by this node's controller: the
/// broker is unfenced once its metadata offset reached its registration; want_fence / want_shut_down
/// fence it (its leaderships move; a clean restart can register again at once). NOT_CONTROLLER when
/// this node does not lead. Offline log dirs (v1) are ignored: one log dir per broker.
/// </summary>
public sealed class BrokerHeartbeatHandler(BrokerNode broker) : ApiHandler<BrokerHeartbeatRequest, BrokerHeartbeatResponse>
{
    public override ApiKey ApiKey => ApiKey.BrokerHeartbeat;

    public override short MinVersion => 0;

    public override short MaxVersion => 1;

    public override bool IsInternal => true;

    protected override async ValueTask<BrokerHeartbeatResponse?> HandleAsync(RequestContext context, BrokerHeartbeatRequest request)
    {
        var result = await broker.Controller.BrokerHeartbeatAsync(ControllerMessages.FromMessage(request), context.CancellationToken).ConfigureAwait(false);
        return ControllerMessages.ToMessage(result);
    }
}
