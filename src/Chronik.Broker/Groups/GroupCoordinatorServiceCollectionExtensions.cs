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
        services.AddSingleton<IHostedService>(provider =>
        {
            GroupCoordinator coordinator = provider.GetRequiredService<GroupCoordinator>();
            return new CoordinatorMetadataWatch(provider.GetRequiredService<BrokerNode>(), coordinator.OnMetadataUpdate, coordinator);
        });
        return services;
    }
}
