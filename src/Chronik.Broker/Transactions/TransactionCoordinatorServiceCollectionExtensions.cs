using Chronik.Broker.Coordinators;
using Chronik.Broker.Groups.Runtime;
using Chronik.Broker.InterBroker;
using Chronik.Broker.Producers;
using Chronik.Cluster.Metadata;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Chronik.Broker.Transactions;

/// <summary>
/// Registers the transaction coordinator: the marker writer (WriteTxnMarkers' local side), the marker channel
/// (local calls and WriteTxnMarkers to other brokers), the coordinator on __transaction_state and the metadata
/// watch that loads and unloads its partitions, the coordinator as InitProducerId's <see cref="ITransactionCoordinator"/>,
/// and the <see cref="ITransactionVerifier"/> partition leaders ask before a transactional write (KIP-890).
/// Producer ids come from the broker's <see cref="ProducerIdManager"/>.
/// </summary>
public static class TransactionCoordinatorServiceCollectionExtensions
{
    /// <summary>How long one WriteTxnMarkers or verification request may take (Kafka's request.timeout.ms).</summary>
    private static readonly TimeSpan MarkerRequestTimeout = TimeSpan.FromSeconds(30);

    public static IServiceCollection AddChronikTransactionCoordinator(this IServiceCollection services)
    {
        services.TryAddSingleton(provider =>
        {
            BrokerNode node = provider.GetRequiredService<BrokerNode>();
            return new BrokerConnections(() => node.Image, node.Options.ListenerName, node.NodeId);
        });
        services.AddSingleton(provider => new TransactionMarkerWriter(
            provider.GetRequiredService<BrokerNode>().Replicas,
            provider.GetRequiredService<GroupCoordinator>(),
            provider.GetRequiredService<BrokerNode>().TimeProvider));
        services.AddSingleton(provider =>
        {
            BrokerNode node = provider.GetRequiredService<BrokerNode>();
            var options = TransactionCoordinatorOptions.FromConfigs(node.Options.Configs);
            var sender = new BrokerTransactionMarkerSender(node.NodeId, provider.GetRequiredService<TransactionMarkerWriter>(), provider.GetRequiredService<BrokerConnections>(), MarkerRequestTimeout);
            return new TransactionMarkerChannel(
                () => node.Image,
                sender,
                provider.GetRequiredService<TransactionCoordinator>,
                options.MarkerRetryBackoff,
                node.TimeProvider,
                provider.GetRequiredService<ILogger<TransactionMarkerChannel>>());
        });
        services.AddSingleton(provider =>
        {
            BrokerNode node = provider.GetRequiredService<BrokerNode>();
            return new TransactionCoordinator(
                TransactionCoordinatorOptions.FromConfigs(node.Options.Configs),
                node.NodeId,
                new ReplicaManagerCoordinatorLogProvider(node.Replicas, InternalTopics.TransactionState),
                () => node.Image,
                new ProducerIdManagerSource(provider.GetRequiredService<ProducerIdManager>()),
                provider.GetRequiredService<TransactionMarkerChannel>(),
                node.TimeProvider,
                provider.GetRequiredService<ILogger<TransactionCoordinator>>());
        });
        services.AddSingleton<ITransactionCoordinator>(provider => provider.GetRequiredService<TransactionCoordinator>());
        services.AddSingleton<ITransactionVerifier>(provider =>
        {
            BrokerNode node = provider.GetRequiredService<BrokerNode>();
            return new TransactionVerifier(node.NodeId, () => node.Image, provider.GetRequiredService<TransactionCoordinator>(), provider.GetRequiredService<BrokerConnections>(), MarkerRequestTimeout);
        });
        services.AddSingleton<IHostedService>(provider =>
        {
            TransactionCoordinator coordinator = provider.GetRequiredService<TransactionCoordinator>();
            return new CoordinatorMetadataWatch(
                provider.GetRequiredService<BrokerNode>(), coordinator.OnMetadataUpdate, provider.GetRequiredService<TransactionMarkerChannel>(), coordinator);
        });
        return services;
    }
}
