using Chronik.Broker.Requests;
using Chronik.Protocol.Messages;

namespace Chronik.Broker.Controller;

/// <summary>
/// AlterPartition (key 56), v0-3, internal (Kafka: controller listener only).
/// Behavior: a partition leader asks this node's controller to change the ISR
/// (<see cref="Cluster.Controller.AlterPartitionDecisions"/>: Kafka's validation order; an ISR that
/// holds every target replica of a reassignment completes it). NOT_CONTROLLER at the top level when
/// this node does not lead. Leader recovery state is not tracked (always 0, recovered).
/// Version notes: v1 leader recovery state (KIP-704); v2 topic ids instead of names (KIP-841);
/// v3 ISR members with broker epochs (KIP-903).
/// </summary>
public sealed class AlterPartitionHandler(BrokerNode broker) : ApiHandler<AlterPartitionRequest, AlterPartitionResponse>
{
    public override ApiKey ApiKey => ApiKey.AlterPartition;

    public override short MinVersion => 0;

    public override short MaxVersion => 3;

    public override bool IsInternal => true;

    protected override async ValueTask<AlterPartitionResponse?> HandleAsync(RequestContext context, AlterPartitionRequest request)
    {
        short version = context.ApiVersion;
        var decided = ControllerMessages.FromMessage(request, version, broker.Image);
        var result = await broker.Controller.AlterPartitionAsync(decided, context.CancellationToken).ConfigureAwait(false);
        return ControllerMessages.ToMessage(result, version, broker.Image);
    }
}
