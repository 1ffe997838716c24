using Chronik.Broker.Requests;
using Chronik.Protocol.Messages;

namespace Chronik.Broker.Controller;

/// <summary>
/// AllocateProducerIds (key 67), v0, internal (Kafka: controller listener only).
/// Behavior: hands the requesting broker the next block of producer ids (KIP-730; blocks of 1000, never
/// overlapping, committed in the metadata log); STALE_BROKER_EPOCH / BROKER_ID_NOT_REGISTERED for a
/// requester that is not the registered incarnation; NOT_CONTROLLER when this node does not lead.
/// </summary>
public sealed class AllocateProducerIdsHandler(BrokerNode broker) : ApiHandler<AllocateProducerIdsRequest, AllocateProducerIdsResponse>
{
    public override ApiKey ApiKey => ApiKey.AllocateProducerIds;

    public override short MinVersion => 0;

    public override short MaxVersion => 0;

    public override bool IsInternal => true;

    protected override async ValueTask<AllocateProducerIdsResponse?> HandleAsync(RequestContext context, AllocateProducerIdsRequest request)
    {
        var result = await broker.Controller.AllocateProducerIdsAsync(request.BrokerId, request.BrokerEpoch, context.CancellationToken).ConfigureAwait(false);
        return ControllerMessages.ToMessage(result);
    }
}
