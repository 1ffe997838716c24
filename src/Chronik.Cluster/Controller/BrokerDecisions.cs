using Chronik.Cluster.Metadata;
using Chronik.Protocol.Wire;

namespace Chronik.Cluster.Controller;

/// <summary>
/// Broker registration, heartbeats, session expiry and producer id blocks (Kafka's ClusterControlManager
/// and ProducerIdControlManager). A broker registers fenced; it is unfenced by a heartbeat once its
/// image has reached its own broker epoch (so it serves nothing older than its registration), and it
/// is fenced again when it asks to, when it shuts down, or when its session expires. Fencing moves
/// leadership away (<see cref="PartitionElections"/>); unfencing gives leaderless partitions back.
///
/// A new incarnation of a registered broker id is refused (DuplicateBrokerRegistration) only while the
/// old one holds a valid session, which as in Kafka's BrokerHeartbeatManager means unfenced and heard
/// from within broker.session.timeout.ms: a broker that shut down cleanly (fenced by its want-shutdown
/// heartbeat) re-registers at once, one killed with -9 waits for its session to expire. One exception:
/// the broker that runs in the controller's own process (<paramref name="localBroker"/>: the Raft
/// leader's node id and this process's incarnation) is accepted at once, because an older incarnation
/// of that node cannot be alive while this process holds the node's Raft identity.
/// </summary>
public sealed class BrokerDecisions(BrokerHeartbeatTracker tracker, ControllerOptions options, LocalBroker? localBroker = null)
{
    public BrokerHeartbeatTracker Tracker => tracker;

    public ControllerResult<BrokerRegistrationResult> Register(MetadataImage image, BrokerRegistrationRequest request)
    {
        if (request.BrokerId < 0)
        {
            return ControllerResult.Of(new BrokerRegistrationResult(new ApiError(ErrorCode.InvalidRequest, $"Invalid broker id {request.BrokerId}.")));
        }

        if (request.ClusterId is not null && image.ClusterId is not null && request.ClusterId != image.ClusterId)
        {
            return ControllerResult.Of(new BrokerRegistrationResult(new ApiError(ErrorCode.InconsistentClusterId,
                $"Expected cluster ID {image.ClusterId}, but got cluster ID {request.ClusterId}.")));
        }

        if (request.Endpoints.Count == 0)
        {
            return ControllerResult.Of(new BrokerRegistrationResult(new ApiError(ErrorCode.InvalidRequest, "A broker must register at least one listener.")));
        }

        BrokerRegistration? existing = image.GetBroker(request.BrokerId);
        if (existing is not null && existing.Incarnation != request.Incarnation && !existing.Fenced
            && tracker.HasActiveSession(request.BrokerId) && !IsLocal(request))
        {
            return ControllerResult.Of(new BrokerRegistrationResult(new ApiError(ErrorCode.DuplicateBrokerRegistration,
                $"Another broker is registered with that broker id ({request.BrokerId}) and its session has not expired.")));
        }

        long epoch = Math.Max(image.Version + 1, (existing?.BrokerEpoch ?? 0) + 1);
        var records = new List<MetadataRecord>();
        if (existing is { Fenced: false })
        {
            // The new registration starts fenced: move leadership off the old incarnation first.
            records.AddRange(PartitionElections.BrokerLeaving(image, request.BrokerId));
        }

        records.Add(new RegisterBrokerRecord(request.BrokerId, request.Incarnation, epoch, [.. request.Endpoints], request.Rack, request.HttpEndpoint, Fenced: true));
        tracker.Remove(request.BrokerId);
        tracker.Touch(request.BrokerId);
        return ControllerResult.Of(new BrokerRegistrationResult(ApiError.None, epoch), records);
    }

    public ControllerResult<BrokerHeartbeatResult> Heartbeat(MetadataImage image, BrokerHeartbeatRequest request)
    {
        BrokerRegistration? broker = image.GetBroker(request.BrokerId);
        if (broker is null)
        {
            return ControllerResult.Of(new BrokerHeartbeatResult(new ApiError(ErrorCode.BrokerIdNotRegistered, $"Broker {request.BrokerId} is not registered.")));
        }

        if (broker.BrokerEpoch != request.BrokerEpoch)
        {
            return ControllerResult.Of(new BrokerHeartbeatResult(new ApiError(ErrorCode.StaleBrokerEpoch,
                $"Broker {request.BrokerId} epoch {request.BrokerEpoch} is not the registered epoch {broker.BrokerEpoch}.")));
        }

        tracker.Touch(request.BrokerId);
        bool caughtUp = request.CurrentMetadataOffset >= broker.BrokerEpoch;
        if (request.WantShutdown || request.WantFence)
        {
            var records = broker.Fenced ? [] : Fence(image, broker);
            return ControllerResult.Of(new BrokerHeartbeatResult(ApiError.None, caughtUp, IsFenced: true, ShouldShutdown: request.WantShutdown), records);
        }

        if (broker.Fenced && caughtUp)
        {
            var records = new List<MetadataRecord> { new UnfenceBrokerRecord(broker.BrokerId, broker.BrokerEpoch) };
            records.AddRange(PartitionElections.BrokerReturning(image, broker.BrokerId));
            return ControllerResult.Of(new BrokerHeartbeatResult(ApiError.None, caughtUp, IsFenced: false), records);
        }

        return ControllerResult.Of(new BrokerHeartbeatResult(ApiError.None, caughtUp, IsFenced: broker.Fenced));
    }

    /// <summary>
    /// UnregisterBroker (KIP-631): removes the registration after taking the broker out of every ISR and
    /// moving its leaderships, as Kafka's handleBrokerUnregistered. Meant for a drained broker; one that
    /// still runs registers again with its next heartbeat (BROKER_ID_NOT_REGISTERED makes it re-register).
    /// </summary>
    public ControllerResult<ApiError> Unregister(MetadataImage image, int brokerId)
    {
        BrokerRegistration? broker = image.GetBroker(brokerId);
        if (broker is null)
        {
            return ControllerResult.Of(new ApiError(ErrorCode.BrokerIdNotRegistered, $"Broker ID {brokerId} is not currently registered"));
        }

        List<MetadataRecord> records = PartitionElections.BrokerLeaving(image, brokerId);
        records.Add(new UnregisterBrokerRecord(brokerId, broker.BrokerEpoch));
        tracker.Remove(brokerId);
        return ControllerResult.Of(ApiError.None, records);
    }

    /// <summary>Fences every unfenced broker whose session expired (one batch, brokers in id order).</summary>
    public List<MetadataRecord> ExpireSessions(MetadataImage image)
    {
        var records = new List<MetadataRecord>();
        MetadataImage working = image;
        foreach (BrokerRegistration broker in tracker.ExpiredUnfenced(image))
        {
            List<MetadataRecord> fence = Fence(working, broker);
            records.AddRange(fence);
            working = working.Apply(fence, working.Version);
        }

        return records;
    }

    public ControllerResult<ProducerIdsResult> AllocateProducerIds(MetadataImage image, int brokerId, long brokerEpoch)
    {
        BrokerRegistration? broker = image.GetBroker(brokerId);
        if (broker is null)
        {
            return ControllerResult.Of(new ProducerIdsResult(new ApiError(ErrorCode.BrokerIdNotRegistered, $"Broker {brokerId} is not registered.")));
        }

        if (broker.BrokerEpoch != brokerEpoch)
        {
            return ControllerResult.Of(new ProducerIdsResult(new ApiError(ErrorCode.StaleBrokerEpoch, $"Broker {brokerId} epoch {brokerEpoch} is not the registered epoch {broker.BrokerEpoch}.")));
        }

        long first = image.NextProducerId;
        int size = options.ProducerIdBlockSize;
        if (first > long.MaxValue - size)
        {
            return ControllerResult.Of(new ProducerIdsResult(new ApiError(ErrorCode.UnknownServerError, "Exhausted all producerIds as the next block's end producerId would exceed the int64 type limit.")));
        }

        return ControllerResult.Of(new ProducerIdsResult(ApiError.None, first, size), [new ProducerIdsRecord(brokerId, first, size)]);
    }

    private bool IsLocal(BrokerRegistrationRequest request) =>
        localBroker is { } local && local.BrokerId == request.BrokerId && local.Incarnation == request.Incarnation;

    private static List<MetadataRecord> Fence(MetadataImage image, BrokerRegistration broker)
    {
        List<MetadataRecord> records = PartitionElections.BrokerLeaving(image, broker.BrokerId);
        records.Add(new FenceBrokerRecord(broker.BrokerId, broker.BrokerEpoch));
        return records;
    }
}
