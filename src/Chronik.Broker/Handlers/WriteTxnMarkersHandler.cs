using Chronik.Broker.Requests;
using Chronik.Broker.Transactions;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Handlers;

/// <summary>
/// WriteTxnMarkers (key 27), v0-1.
/// Behavior: sent by transaction coordinators to partition leaders: each marker is appended to each of its
/// partitions as a control batch (COMMIT or ABORT, the producer's id and epoch, the coordinator epoch), with
/// acks=all, and each partition answers once its marker is replicated: NONE, UNKNOWN_TOPIC_OR_PARTITION,
/// NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS(_AFTER_APPEND), KAFKA_STORAGE_ERROR, and the producer-state
/// fencing errors (INVALID_PRODUCER_EPOCH, TRANSACTION_COORDINATOR_FENCED) — the coordinator retries the
/// retriable ones. Markers for __consumer_offsets go through the group coordinator, which commits or drops
/// the producer's pending transactional offsets.
/// Simplified: no authorization (Kafka requires CLUSTER_ACTION).
/// Version notes: v1 flexible.
/// </summary>
public sealed class WriteTxnMarkersHandler(TransactionMarkerWriter writer) : ApiHandler<WriteTxnMarkersRequest, WriteTxnMarkersResponse>
{
    public override ApiKey ApiKey => ApiKey.WriteTxnMarkers;

    public override short MinVersion => 0;

    public override short MaxVersion => 1;

    protected override async ValueTask<WriteTxnMarkersResponse?> HandleAsync(RequestContext context, WriteTxnMarkersRequest request)
    {
        var pending = request.Markers.Select(marker => writer.WriteAsync(marker, context.CancellationToken)).ToList();
        var response = new WriteTxnMarkersResponse();
        foreach (var marker in pending)
        {
            response.Markers.Add(await marker.ConfigureAwait(false));
        }

        return response;
    }
}
