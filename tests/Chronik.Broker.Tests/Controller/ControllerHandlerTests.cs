using Chronik.Broker.Controller;
using Chronik.Broker.Handlers;
using Chronik.Broker.InterBroker;
using Chronik.Broker.Requests;
using Chronik.Broker.Tests.Admin;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;
using Chronik.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Chronik.Broker.Tests.Controller;

/// <summary>
/// The controller's RPC handlers and the cluster-control APIs against a real single-node BrokerNode (it
/// is the controller), and what ApiVersions shows to clients versus other brokers.
/// </summary>
public class ControllerHandlerTests(AdminNodeFixture fixture) : IClassFixture<AdminNodeFixture>
{
    private static readonly ApiKey[] InternalApis = [ApiKey.AlterPartition, ApiKey.BrokerRegistration, ApiKey.BrokerHeartbeat, ApiKey.AllocateProducerIds];

    private BrokerNodeHarness Harness => fixture.Harness;

    private BrokerNode Node => fixture.Harness.Node;

    [Fact]
    public async Task ApiVersions_hides_the_controller_rpcs_from_clients_and_shows_them_to_brokers()
    {
        ApiHandlerRegistry registry = await RegistryAsync();
        var handler = new ApiVersionsHandler(() => registry);
        var request = new ApiVersionsRequest { ClientSoftwareName = "librdkafka", ClientSoftwareVersion = "2.0.2" };

        var client = await Harness.SendAsync(handler, request, 3);
        var broker = await Harness.SendAsync(handler, new ApiVersionsRequest { ClientSoftwareName = KafkaClientConnection.SoftwareName, ClientSoftwareVersion = "1" }, 3, interBroker: true);

        var clientKeys = client.ApiKeys.Select(k => (ApiKey)k.ApiKey).ToHashSet();
        var brokerKeys = broker.ApiKeys.Select(k => (ApiKey)k.ApiKey).ToHashSet();
        Assert.All(InternalApis, key => Assert.DoesNotContain(key, clientKeys));
        Assert.All(InternalApis, key => Assert.Contains(key, brokerKeys));
        Assert.Contains(ApiKey.ElectLeaders, clientKeys);
        Assert.Contains(ApiKey.UnregisterBroker, clientKeys);
        Assert.Contains(ApiKey.AlterPartitionReassignments, clientKeys);
    }

    [Fact]
    public async Task A_handler_is_internal_exactly_when_Kafka_serves_its_api_only_on_the_controller_listener()
    {
        foreach (IApiHandler handler in (await RegistryAsync()).Handlers)
        {
            bool controllerOnly = !ApiMessageTypes.Get(handler.ApiKey).Listeners.HasFlag(ApiListeners.Broker);
            Assert.True(controllerOnly == handler.IsInternal, $"{handler.ApiKey}: internal {handler.IsInternal}, controller-only in the specs {controllerOnly}");
        }
    }

    [Fact]
    public async Task Another_broker_registers_heartbeats_and_gets_producer_ids_through_the_controller_rpcs()
    {
        BrokerRegistrationRequest Registration(Guid incarnation) => new()
        {
            BrokerId = 7,
            ClusterId = Node.Image.ClusterId!,
            IncarnationId = incarnation,
            Listeners = [new BrokerRegistrationRequest.Listener { Name = "PLAINTEXT", Host = "127.0.0.1", Port = 19097, SecurityProtocol = 0 }],
            Rack = null,
        };
        var registered = await Harness.SendAsync(new BrokerRegistrationHandler(Node), Registration(Guid.NewGuid()), 4, interBroker: true);
        Assert.Equal(0, registered.ErrorCode);
        Assert.True(registered.BrokerEpoch > 0);

        var again = await Harness.SendAsync(new BrokerRegistrationHandler(Node), Registration(Guid.NewGuid()), 4, interBroker: true);
        Assert.Equal(0, again.ErrorCode);

        // The second incarnation replaced the first (still fenced, so no session to wait for); the first's epoch is stale now.
        var stale = await Harness.SendAsync(new BrokerHeartbeatHandler(Node),
            new BrokerHeartbeatRequest { BrokerId = 7, BrokerEpoch = registered.BrokerEpoch, CurrentMetadataOffset = Node.Image.Version }, 1, interBroker: true);
        Assert.Equal((short)ErrorCode.StaleBrokerEpoch, stale.ErrorCode);

        var beat = await Harness.SendAsync(new BrokerHeartbeatHandler(Node),
            new BrokerHeartbeatRequest { BrokerId = 7, BrokerEpoch = again.BrokerEpoch, CurrentMetadataOffset = Node.Image.Version }, 1, interBroker: true);
        Assert.Equal((0, false), (beat.ErrorCode, beat.IsFenced));
        await Wait.UntilAsync(() => Node.Image.IsBrokerActive(7), "broker 7 is unfenced in the image");

        var ids = await Harness.SendAsync(new AllocateProducerIdsHandler(Node), new AllocateProducerIdsRequest { BrokerId = 7, BrokerEpoch = again.BrokerEpoch }, 0, interBroker: true);
        Assert.Equal((0, 1000), (ids.ErrorCode, ids.ProducerIdLen));

        var unregistered = await Harness.SendAsync(new UnregisterBrokerHandler(Node), new UnregisterBrokerRequest { BrokerId = 7 }, 0);
        Assert.Equal(0, unregistered.ErrorCode);
        Assert.Null(Node.Image.GetBroker(7));
        var unknown = await Harness.SendAsync(new UnregisterBrokerHandler(Node), new UnregisterBrokerRequest { BrokerId = 7 }, 0);
        Assert.Equal((short)ErrorCode.BrokerIdNotRegistered, unknown.ErrorCode);
    }

    [Fact]
    public async Task Elect_leaders_and_reassignments_answer_per_partition()
    {
        var created = await Harness.SendAsync(new CreateTopicsHandler(Node), new CreateTopicsRequest
        {
            Topics = [new CreateTopicsRequest.CreatableTopic { Name = "ctl-elect", NumPartitions = 2, ReplicationFactor = 1 }],
            TimeoutMs = 10_000,
        }, 7);
        Assert.Equal(0, created.Topics.Single().ErrorCode);

        var preferred = await Harness.SendAsync(new ElectLeadersHandler(Node), new ElectLeadersRequest
        {
            ElectionType = 0,
            TopicPartitions = [new ElectLeadersRequest.TopicPartitionsData { Topic = "ctl-elect", Partitions = [0, 5] }],
            TimeoutMs = 10_000,
        }, 2);
        Assert.Equal(0, preferred.ErrorCode);
        Assert.Equal(
            [(0, (short)ErrorCode.ElectionNotNeeded), (5, (short)ErrorCode.UnknownTopicOrPartition)],
            preferred.ReplicaElectionResults.Single().PartitionResult.Select(p => (p.PartitionId, p.ErrorCode)));

        var badType = await Harness.SendAsync(new ElectLeadersHandler(Node), new ElectLeadersRequest { ElectionType = 5, TopicPartitions = null }, 1);
        Assert.Equal((short)ErrorCode.InvalidRequest, badType.ErrorCode);

        var reassign = await Harness.SendAsync(new AlterPartitionReassignmentsHandler(Node), new AlterPartitionReassignmentsRequest
        {
            Topics =
            [
                new AlterPartitionReassignmentsRequest.ReassignableTopic
                {
                    Name = "ctl-elect",
                    Partitions =
                    [
                        new AlterPartitionReassignmentsRequest.ReassignablePartition { PartitionIndex = 0, Replicas = [1] },
                        new AlterPartitionReassignmentsRequest.ReassignablePartition { PartitionIndex = 1, Replicas = [1, 42] },
                        new AlterPartitionReassignmentsRequest.ReassignablePartition { PartitionIndex = 1, Replicas = null },
                    ],
                },
            ],
        }, 0);
        Assert.Equal(
            [(0, (short)ErrorCode.None), (1, (short)ErrorCode.InvalidReplicaAssignment), (1, (short)ErrorCode.NoReassignmentInProgress)],
            reassign.Responses.Single().Partitions.Select(p => (p.PartitionIndex, p.ErrorCode)));

        var listed = await Harness.SendAsync(new ListPartitionReassignmentsHandler(Node), new ListPartitionReassignmentsRequest { Topics = null }, 0);
        Assert.Empty(listed.Topics);
    }

    /// <summary>Every handler the broker registers, from a provider of its own (nothing is started).</summary>
    [Fact]
    public async Task DescribeQuorum_reports_the_leader_term_high_watermark_and_voters_of_the_metadata_log()
    {
        var response = await Harness.SendAsync(new DescribeQuorumHandler(Node), new DescribeQuorumRequest
        {
            Topics =
            [
                new DescribeQuorumRequest.TopicData { TopicName = "__cluster_metadata", Partitions = [new DescribeQuorumRequest.PartitionData { PartitionIndex = 0 }] },
                new DescribeQuorumRequest.TopicData { TopicName = "other", Partitions = [new DescribeQuorumRequest.PartitionData { PartitionIndex = 0 }] },
            ],
        }, 2);

        var metadataLog = response.Topics[0].Partitions.Single();
        Assert.Equal((0, 1), (metadataLog.ErrorCode, metadataLog.LeaderId));
        Assert.True(metadataLog.LeaderEpoch >= 0);
        Assert.True(metadataLog.HighWatermark >= Node.Image.Version - 1, $"high watermark {metadataLog.HighWatermark}, image at {Node.Image.Version}");
        var voter = Assert.Single(metadataLog.CurrentVoters);
        Assert.Equal(1, voter.ReplicaId);
        Assert.True(voter.LogEndOffset >= metadataLog.HighWatermark);
        Assert.Empty(metadataLog.Observers);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, response.Topics[1].Partitions.Single().ErrorCode);
        Assert.Equal(1, Assert.Single(response.Nodes).NodeId);
    }

    private static async Task<ApiHandlerRegistry> RegistryAsync()
    {
        using var directory = new TempDirectory("registry");
        await using ServiceProvider provider = Admin.TestBrokerServices.Build(directory.Path);
        return provider.GetRequiredService<ApiHandlerRegistry>();
    }
}
