using System.Diagnostics.Metrics;
using Chronik.Broker.Configs;
using Chronik.Broker.Controller;

using Chronik.Broker.Groups;
using Chronik.Broker.Handlers;
using Chronik.Broker.Network;
using Chronik.Broker.Partitions;
using Chronik.Broker.Partitions.FetchSessions;
using Chronik.Broker.Producers;
using Chronik.Broker.Requests;
using Chronik.Broker.Transactions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Chronik.Broker;

/// <summary>Registers the broker: its node (quorum, controller, lifecycle), handlers and request processor.</summary>
public static class BrokerServiceCollectionExtensions
{
    public static IServiceCollection AddChronikBroker(this IServiceCollection services, Func<IServiceProvider, BrokerOptions> options)
    {
        services.AddSingleton(provider => new BrokerNode(options(provider), provider.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton(provider => provider.GetRequiredService<BrokerNode>().Gate);
        services.AddHostedService<BrokerNodeService>();

        // One line per API; ApiVersions advertises exactly this list.
        services.AddSingleton<IApiHandler>(provider => new ApiVersionsHandler(provider.GetRequiredService<ApiHandlerRegistry>));
        services.AddSingleton<IApiHandler, MetadataHandler>();

        // Admin: topics, configs, cluster.
        services.AddSingleton<IApiHandler, CreateTopicsHandler>();
        services.AddSingleton<IApiHandler, DeleteTopicsHandler>();
        services.AddSingleton<IApiHandler, CreatePartitionsHandler>();
        services.AddSingleton<IApiHandler, DescribeConfigsHandler>();
        services.AddSingleton<IApiHandler, AlterConfigsHandler>();
        services.AddSingleton<IApiHandler, IncrementalAlterConfigsHandler>();
        services.AddSingleton<IApiHandler, DescribeClusterHandler>();
        services.AddSingleton<IApiHandler, DescribeTopicPartitionsHandler>();

        // Cluster control: leader elections, reassignments, broker removal (served everywhere, forwarded to the controller).
        services.AddSingleton<IApiHandler, ElectLeadersHandler>();
        services.AddSingleton<IApiHandler, AlterPartitionReassignmentsHandler>();
        services.AddSingleton<IApiHandler, ListPartitionReassignmentsHandler>();
        services.AddSingleton<IApiHandler, UnregisterBrokerHandler>();
        services.AddSingleton<IApiHandler, DescribeQuorumHandler>();
        services.AddSingleton<IApiHandler, AddRaftVoterHandler>();
        services.AddSingleton<IApiHandler, RemoveRaftVoterHandler>();

        // The controller's RPCs from the other brokers (internal: not advertised to clients).
        services.AddSingleton<IApiHandler, BrokerRegistrationHandler>();
        services.AddSingleton<IApiHandler, BrokerHeartbeatHandler>();
        services.AddSingleton<IApiHandler, AlterPartitionHandler>();
        services.AddSingleton<IApiHandler, AllocateProducerIdsHandler>();

        // Data path: the hosted partitions and the log-facing APIs.
        services.AddMetrics();
        services.AddSingleton(provider => provider.GetRequiredService<BrokerNode>().Replicas);
        services.AddSingleton(provider => new BrokerTopicMetrics(provider.GetRequiredService<IMeterFactory>(), provider.GetRequiredService<ReplicaManager>()));
        services.AddSingleton(_ => new FetchSessionCache());
        services.AddSingleton<IApiHandler>(provider => new ProduceHandler(
            provider.GetRequiredService<ReplicaManager>(),
            provider.GetRequiredService<BrokerTopicMetrics>(),
            provider.GetRequiredService<BrokerNode>().TimeProvider,
            provider.GetService<ITransactionVerifier>()));
        services.AddSingleton<IApiHandler>(provider => new FetchHandler(
            provider.GetRequiredService<ReplicaManager>(),
            provider.GetRequiredService<FetchSessionCache>(),
            provider.GetRequiredService<BrokerTopicMetrics>(),
            provider.GetRequiredService<BrokerNode>().Options.Configs.GetInt32(BrokerConfigCatalog.FetchMaxBytes),
            provider.GetRequiredService<BrokerNode>().TimeProvider));
        services.AddSingleton<IApiHandler, ListOffsetsHandler>();
        services.AddSingleton<IApiHandler, DeleteRecordsHandler>();
        services.AddSingleton<IApiHandler, OffsetForLeaderEpochHandler>();
        services.AddSingleton<IApiHandler, DescribeLogDirsHandler>();

        // Producers (issue 9): producer ids from controller-allocated blocks, producer state per partition.
        services.AddSingleton(provider =>
        {
            var node = provider.GetRequiredService<BrokerNode>();
            return new ProducerIdManager(node.NodeId, () => node.Lifecycle.BrokerEpoch, node.ControllerClient, node.TimeProvider, provider.GetRequiredService<ILogger<ProducerIdManager>>());
        });
        services.AddSingleton<IApiHandler>(provider => new InitProducerIdHandler(provider.GetRequiredService<ProducerIdManager>(), provider.GetService<ITransactionCoordinator>()));
        services.AddSingleton<IApiHandler, DescribeProducersHandler>();

        // Groups (issue 6): the group coordinator and its APIs.
        services.AddChronikGroupCoordinator();
        services.AddSingleton<IApiHandler, FindCoordinatorHandler>();
        services.AddSingleton<IApiHandler, JoinGroupHandler>();
        services.AddSingleton<IApiHandler, SyncGroupHandler>();
        services.AddSingleton<IApiHandler, HeartbeatHandler>();
        services.AddSingleton<IApiHandler, LeaveGroupHandler>();
        services.AddSingleton<IApiHandler, OffsetCommitHandler>();
        services.AddSingleton<IApiHandler, OffsetFetchHandler>();
        services.AddSingleton<IApiHandler, ListGroupsHandler>();
        services.AddSingleton<IApiHandler, DescribeGroupsHandler>();
        services.AddSingleton<IApiHandler, DeleteGroupsHandler>();
        services.AddSingleton<IApiHandler, OffsetDeleteHandler>();
        services.AddSingleton<IApiHandler, ConsumerGroupHeartbeatHandler>();
        services.AddSingleton<IApiHandler, ConsumerGroupDescribeHandler>();

        // Transactions (issue 9): the transaction coordinator and its APIs.
        services.AddChronikTransactionCoordinator();
        services.AddSingleton<IApiHandler, AddPartitionsToTxnHandler>();
        services.AddSingleton<IApiHandler, AddOffsetsToTxnHandler>();
        services.AddSingleton<IApiHandler, EndTxnHandler>();
        services.AddSingleton<IApiHandler, WriteTxnMarkersHandler>();
        services.AddSingleton<IApiHandler, TxnOffsetCommitHandler>();
        services.AddSingleton<IApiHandler, DescribeTransactionsHandler>();
        services.AddSingleton<IApiHandler, ListTransactionsHandler>();

        services.AddSingleton<ApiHandlerRegistry>();
        services.AddSingleton<IKafkaRequestProcessor, KafkaRequestProcessor>();
        return services;
    }

    /// <summary>Starts the broker node with the host and stops it (fenced, quorum closed) on shutdown.</summary>
    /// <remarks>
    /// The controlled shutdown runs in <see cref="IHostedLifecycleService.StoppingAsync"/>, which the host calls
    /// before any service stops — the web host's Kafka listener included — so leaderships move while the
    /// listener still serves.
    /// </remarks>
    private sealed class BrokerNodeService(BrokerNode node) : IHostedLifecycleService
    {
        public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StartAsync(CancellationToken cancellationToken) => node.StartAsync(cancellationToken);

        public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StoppingAsync(CancellationToken cancellationToken) => node.ShutDownControlledAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => node.StopAsync(cancellationToken);

        public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
