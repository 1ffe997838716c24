using System.Text;
using Chronik.Cluster.Controller;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;
using AlterPartitionRequest = Chronik.Protocol.Messages.AlterPartitionRequest;
using BrokerHeartbeatRequest = Chronik.Protocol.Messages.BrokerHeartbeatRequest;
using BrokerRegistrationRequest = Chronik.Protocol.Messages.BrokerRegistrationRequest;

namespace Chronik.Broker.Controller;

/// <summary>
/// The controller RPCs (BrokerRegistration 62, BrokerHeartbeat 63, AlterPartition 56,
/// AllocateProducerIds 67) both ways: the controller operation models ↔ the Kafka messages. The
/// forwarding client encodes requests and decodes responses with these, the controller's handlers the
/// other way round, so the two sides cannot drift apart.
/// </summary>
/// <remarks>
/// Kafka's BrokerRegistration has no field for a broker's HTTP endpoint; Chronik carries it in the
/// tagged field <see cref="HttpEndpointTag"/> (UTF-8), which Kafka's own code would skip as unknown.
/// Kafka's BrokerRegistration and BrokerHeartbeat responses carry no error message, so only the code
/// crosses the wire.
/// </remarks>
public static class ControllerMessages
{
    /// <summary>Chronik's tag for the HTTP endpoint in BrokerRegistrationRequest (far above any tag Kafka assigns).</summary>
    public const int HttpEndpointTag = 10_000;

    public static BrokerRegistrationRequest ToMessage(Cluster.Controller.BrokerRegistrationRequest request)
    {
        var message = new BrokerRegistrationRequest
        {
            BrokerId = request.BrokerId,
            ClusterId = request.ClusterId ?? "",
            IncarnationId = request.Incarnation,
            Rack = request.Rack,
            Listeners = request.Endpoints.Select(e => new BrokerRegistrationRequest.Listener
            {
                Name = e.Name,
                Host = e.Host,
                Port = checked((ushort)e.Port),
                SecurityProtocol = e.SecurityProtocol,
            }).ToList(),
        };
        if (request.HttpEndpoint is { } http)
        {
            message.UnknownTaggedFields = [new TaggedField(HttpEndpointTag, Encoding.UTF8.GetBytes(http))];
        }

        return message;
    }

    public static Cluster.Controller.BrokerRegistrationRequest FromMessage(BrokerRegistrationRequest message)
    {
        string? http = null;
        foreach (TaggedField field in message.UnknownTaggedFields)
        {
            if (field.Tag == HttpEndpointTag)
            {
                http = Encoding.UTF8.GetString(field.Data);
            }
        }

        return new Cluster.Controller.BrokerRegistrationRequest(
            message.BrokerId,
            message.IncarnationId,
            message.Listeners.Select(l => new BrokerEndpoint(l.Name, l.Host, l.Port, l.SecurityProtocol)).ToList(),
            message.Rack,
            http,
            message.ClusterId.Length == 0 ? null : message.ClusterId);
    }

    public static BrokerRegistrationResponse ToMessage(BrokerRegistrationResult result) =>
        new() { ErrorCode = (short)result.Error.Code, BrokerEpoch = result.BrokerEpoch };

    public static BrokerRegistrationResult FromMessage(BrokerRegistrationResponse message) =>
        new(Error(message.ErrorCode), message.BrokerEpoch);

    public static BrokerHeartbeatRequest ToMessage(Cluster.Controller.BrokerHeartbeatRequest request) => new()
    {
        BrokerId = request.BrokerId,
        BrokerEpoch = request.BrokerEpoch,
        CurrentMetadataOffset = request.CurrentMetadataOffset,
        WantFence = request.WantFence,
        WantShutDown = request.WantShutdown,
    };

    public static Cluster.Controller.BrokerHeartbeatRequest FromMessage(BrokerHeartbeatRequest message) =>
        new(message.BrokerId, message.BrokerEpoch, message.CurrentMetadataOffset, message.WantFence, message.WantShutDown);

    public static BrokerHeartbeatResponse ToMessage(BrokerHeartbeatResult result) => new()
    {
        ErrorCode = (short)result.Error.Code,
        IsCaughtUp = result.IsCaughtUp,
        IsFenced = result.IsFenced,
        ShouldShutDown = result.ShouldShutdown,
    };

    public static BrokerHeartbeatResult FromMessage(BrokerHeartbeatResponse message) =>
        new(Error(message.ErrorCode), message.IsCaughtUp, message.IsFenced, message.ShouldShutDown);

    public static AllocateProducerIdsResponse ToMessage(ProducerIdsResult result) => new()
    {
        ErrorCode = (short)result.Error.Code,
        ProducerIdStart = result.FirstProducerId,
        ProducerIdLen = result.Size,
    };

    public static ProducerIdsResult FromMessage(AllocateProducerIdsResponse message) =>
        new(Error(message.ErrorCode), message.ProducerIdStart, message.ProducerIdLen);

    /// <summary>AlterPartition at <paramref name="version"/>: v0-1 name topics, v2+ use ids; v0-2 plain ISR, v3 ISR with broker epochs (KIP-903).</summary>
    public static AlterPartitionRequest ToMessage(Cluster.Controller.AlterPartitionRequest request, short version, MetadataImage image)
    {
        var message = new AlterPartitionRequest { BrokerId = request.BrokerId, BrokerEpoch = request.BrokerEpoch };
        foreach (IGrouping<Guid, AlterPartitionItem> topic in request.Partitions.GroupBy(p => p.TopicId))
        {
            var data = new AlterPartitionRequest.TopicData { TopicId = topic.Key, TopicName = version < 2 ? image.GetTopic(topic.Key)?.Name ?? "" : "" };
            foreach (AlterPartitionItem item in topic)
            {
                data.Partitions.Add(new AlterPartitionRequest.PartitionData
                {
                    PartitionIndex = item.Partition,
                    LeaderEpoch = item.LeaderEpoch,
                    PartitionEpoch = item.PartitionEpoch,
                    NewIsr = version < 3 ? item.NewIsr.Select(m => m.BrokerId).ToList() : [],
                    NewIsrWithEpochs = version >= 3 ? item.NewIsr.Select(m => new AlterPartitionRequest.BrokerState { BrokerId = m.BrokerId, BrokerEpoch = m.BrokerEpoch }).ToList() : [],
                });
            }

            message.Topics.Add(data);
        }

        return message;
    }

    /// <summary>The request as the controller decides it; topics named (v0-1) but unknown get an empty id (answered UNKNOWN_TOPIC_ID).</summary>
    public static Cluster.Controller.AlterPartitionRequest FromMessage(AlterPartitionRequest message, short version, MetadataImage image)
    {
        var items = new List<AlterPartitionItem>();
        foreach (AlterPartitionRequest.TopicData topic in message.Topics)
        {
            Guid topicId = version >= 2 ? topic.TopicId : image.GetTopic(topic.TopicName)?.TopicId ?? Guid.Empty;
            foreach (AlterPartitionRequest.PartitionData p in topic.Partitions)
            {
                List<IsrMember> isr = version >= 3
                    ? p.NewIsrWithEpochs.ConvertAll(b => new IsrMember(b.BrokerId, b.BrokerEpoch))
                    : p.NewIsr.ConvertAll(b => new IsrMember(b));
                items.Add(new AlterPartitionItem(topicId, p.PartitionIndex, p.LeaderEpoch, p.PartitionEpoch, isr));
            }
        }

        return new Cluster.Controller.AlterPartitionRequest(message.BrokerId, message.BrokerEpoch, items);
    }

    public static AlterPartitionResponse ToMessage(AlterPartitionResult result, short version, MetadataImage image)
    {
        var message = new AlterPartitionResponse { ErrorCode = (short)result.Error.Code };
        foreach (IGrouping<Guid, AlterPartitionItemResult> topic in result.Partitions.GroupBy(p => p.TopicId))
        {
            var data = new AlterPartitionResponse.TopicData { TopicId = topic.Key, TopicName = version < 2 ? image.GetTopic(topic.Key)?.Name ?? "" : "" };
            foreach (AlterPartitionItemResult item in topic)
            {
                PartitionRegistration? state = item.State;
                data.Partitions.Add(new AlterPartitionResponse.PartitionData
                {
                    PartitionIndex = item.Partition,
                    ErrorCode = (short)item.Error.Code,
                    LeaderId = state?.Leader ?? -1,
                    LeaderEpoch = state?.LeaderEpoch ?? -1,
                    Isr = state is null ? [] : [.. state.Isr],
                    PartitionEpoch = state?.PartitionEpoch ?? -1,
                });
            }

            message.Topics.Add(data);
        }

        return message;
    }

    /// <summary>
    /// The controller's answer. The response carries leader, ISR and epochs but not the replicas, so the
    /// state's replicas (and reassignment) are taken from <paramref name="image"/> where it knows the partition.
    /// </summary>
    public static AlterPartitionResult FromMessage(AlterPartitionResponse message, short version, MetadataImage image)
    {
        var items = new List<AlterPartitionItemResult>();
        foreach (AlterPartitionResponse.TopicData topic in message.Topics)
        {
            Guid topicId = version >= 2 ? topic.TopicId : image.GetTopic(topic.TopicName)?.TopicId ?? Guid.Empty;
            foreach (AlterPartitionResponse.PartitionData p in topic.Partitions)
            {
                PartitionRegistration? state = null;
                if (p.ErrorCode == 0)
                {
                    PartitionRegistration? known = image.GetPartition(topicId, p.PartitionIndex);
                    state = new PartitionRegistration(p.PartitionIndex, known?.Replicas ?? [], [.. p.Isr], p.LeaderId, p.LeaderEpoch, p.PartitionEpoch);
                }

                items.Add(new AlterPartitionItemResult(topicId, p.PartitionIndex, Error(p.ErrorCode), state));
            }
        }

        return new AlterPartitionResult(Error(message.ErrorCode), items);
    }

    public static ApiError Error(short code, string? message = null) => new((ErrorCode)code, message);
}
