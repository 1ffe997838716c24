using Chronik.Broker.Controller;
using Chronik.Cluster.Controller;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;
using ClusterModel = Chronik.Cluster.Controller;

namespace Chronik.Broker.Tests.Controller;

/// <summary>The controller RPCs survive the wire both ways at every version the forwarding uses.</summary>
public class ControllerMessagesTests
{
    private static T Wire<T>(T message, short version)
        where T : IApiMessage, new() => new T().ReadFrom(message.ToBytes(version), version);

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    public void A_registration_carries_listeners_rack_cluster_id_and_the_http_endpoint(short version)
    {
        var request = new ClusterModel.BrokerRegistrationRequest(
            3, Guid.NewGuid(), [new BrokerEndpoint("PLAINTEXT", "h3", 9092), new BrokerEndpoint("SSL", "h3", 9093, 1)], "rack-b", "h3:9644", "q1Sh-9_ISia_zwGINzRvyQ");

        var decoded = ControllerMessages.FromMessage(Wire(ControllerMessages.ToMessage(request), version));

        Assert.Equal((request.BrokerId, request.Incarnation, request.Rack, request.HttpEndpoint, request.ClusterId),
            (decoded.BrokerId, decoded.Incarnation, decoded.Rack, decoded.HttpEndpoint, decoded.ClusterId));
        Assert.Equal(request.Endpoints, decoded.Endpoints);

        var result = ControllerMessages.FromMessage(Wire(ControllerMessages.ToMessage(new BrokerRegistrationResult(new ApiError(ErrorCode.DuplicateBrokerRegistration))), version));
        Assert.Equal((ErrorCode.DuplicateBrokerRegistration, -1L), (result.Error.Code, result.BrokerEpoch));
    }

    [Fact]
    public void Heartbeats_and_producer_id_blocks_round_trip()
    {
        var beat = new ClusterModel.BrokerHeartbeatRequest(2, 17, 40, WantFence: false, WantShutdown: true);
        Assert.Equal(beat, ControllerMessages.FromMessage(Wire(ControllerMessages.ToMessage(beat), 1)));
        var answer = new BrokerHeartbeatResult(ApiError.None, IsCaughtUp: true, IsFenced: false, ShouldShutdown: true);
        Assert.Equal(answer, ControllerMessages.FromMessage(Wire(ControllerMessages.ToMessage(answer), 0)));

        var ids = new ProducerIdsResult(ApiError.None, 5000, 1000);
        Assert.Equal(ids, ControllerMessages.FromMessage(Wire(ControllerMessages.ToMessage(ids), 0)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Alter_partition_names_or_ids_topics_and_keeps_broker_epochs_from_v3(short version)
    {
        Guid topicId = Guid.NewGuid();
        MetadataImage image = MetadataImage.Empty.Apply(
            [new TopicRecord("orders", topicId), new PartitionRecord(topicId, 0, [1, 2, 3], [1, 2], 1, 4, 9)], 1);
        var request = new ClusterModel.AlterPartitionRequest(1, 12, [new AlterPartitionItem(topicId, 0, 4, 9, [new IsrMember(1, 12), new IsrMember(3, 15)])]);

        var decoded = ControllerMessages.FromMessage(Wire(ControllerMessages.ToMessage(request, version, image), version), version, image);

        AlterPartitionItem item = Assert.Single(decoded.Partitions);
        Assert.Equal((topicId, 0, 4, 9), (item.TopicId, item.Partition, item.LeaderEpoch, item.PartitionEpoch));
        long[] expectedEpochs = version >= 3 ? [12, 15] : [-1, -1];
        Assert.Equal([1, 3], item.NewIsr.Select(m => m.BrokerId));
        Assert.Equal(expectedEpochs, item.NewIsr.Select(m => m.BrokerEpoch));

        var state = new PartitionRegistration(0, [1, 2, 3], [1, 3], 1, 4, 10);
        var result = new AlterPartitionResult(ApiError.None, [new AlterPartitionItemResult(topicId, 0, ApiError.None, state), new AlterPartitionItemResult(topicId, 1, new ApiError(ErrorCode.UnknownTopicOrPartition))]);
        var back = ControllerMessages.FromMessage(Wire(ControllerMessages.ToMessage(result, version, image), version), version, image);
        Assert.Equal(state, back.Partitions[0].State);
        Assert.Equal((ErrorCode.UnknownTopicOrPartition, (PartitionRegistration?)null), (back.Partitions[1].Error.Code, back.Partitions[1].State));
    }
}
