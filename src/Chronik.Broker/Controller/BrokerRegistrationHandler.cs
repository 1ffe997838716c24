using Chronik.Broker.Requests;
using Chronik.Protocol.Messages;

namespace Chronik.Broker.Controller;

/// <summary>
/// BrokerRegistration (key 62), v0-4, internal (Kafka: controller listener only).
/// Behavior: a broker registers with this node's controller (<see cref="Cluster.Controller.ControllerService"/>);
/// NOT_CONTROLLER when this node does not lead the metadata quorum, and the sender retries at the
/// leader. The HTTP endpoint travels in Chronik's tagged field (<see cref="ControllerMessages.HttpEndpointTag"/>).
/// Features, log dirs and the previous broker epoch are not used (no feature levels, one log dir,
/// clean restarts are recognised by the want-shutdown fence instead).
/// Version notes: v1 is_migrating_zk_broker; v2 log dirs (KIP-858); v3 previous broker epoch (KIP-966);
/// v4 features with min version 0 (KIP-1022).
/// </summary>
public sealed class BrokerRegistrationHandler(BrokerNode broker) : ApiHandler<BrokerRegistrationRequest, BrokerRegistrationResponse>
{
    public override ApiKey ApiKey => ApiKey.BrokerRegistration;

    public override short MinVersion => 0;

    public override short MaxVersion => 4;

    public override bool IsInternal => true;

    protected override async ValueTask<BrokerRegistrationResponse?> HandleAsync(RequestContext context, BrokerRegistrationRequest request)
    {
        var result = await broker.Controller.RegisterBrokerAsync(ControllerMessages.FromMessage(request), context.CancellationToken).ConfigureAwait(false);
        return ControllerMessages.ToMessage(result);
    }
}
