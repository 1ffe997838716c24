using Chronik.Broker.Coordinators;
using Chronik.Broker.Groups.Runtime;
using Chronik.Cluster.Metadata;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Chronik.Broker.Groups;

/// <summary>Registers the group coordinator: its log access, the coordinator itself and the metadata watch that loads and unloads its partitions.</summary>
public static class GroupCoordinatorServiceCollectionExtensions
{
    public static IServiceCollection AddChronikGroupCoordinator(this IServiceCollection services)
    {
        services.AddSingleton(provider =>
        {
            BrokerNode node = provider.GetRequiredService<BrokerNode>();
            return new GroupCoordinator(
                GroupCoordinatorOptions.FromConfigs(node.Options.Configs),
                node.NodeId,
                new ReplicaManagerCoordinatorLogProvider(node.Replicas, InternalTopics.ConsumerOffsets),
                () => node.Image,
                node.TimeProvider,
                provider.GetRequiredService<ILogger<GroupCoordinator>>());
        });
        services.AddHostedService<GroupCoordinatorService>();
        return services;
    }

    /// <summary>Feeds every new metadata image to the coordinator (partition leadership decides what it serves).</summary>
    private sealed class GroupCoordinatorService(BrokerNode node, GroupCoordinator coordinator) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            try
            {
                await foreach (MetadataImage image in node.Quorum.WatchAsync(stoppingToken).ConfigureAwait(false))
                {
                    coordinator.OnMetadataUpdate(image);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
        }

        public override async Task StopAsync(CancellationToken cancellationToken)
        {
            await base.StopAsync(cancellationToken).ConfigureAwait(false);
            await coordinator.DisposeAsync().ConfigureAwait(false);
        }
    }
}
