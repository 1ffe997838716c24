using Chronik.Cluster.Metadata;
using Microsoft.Extensions.Hosting;

namespace Chronik.Broker.Coordinators;

/// <summary>
/// Feeds every new metadata image to a coordinator (partition leadership decides which of its partitions this broker
/// serves) and, when the host stops, disposes what the coordinator owns in the order given. One per coordinator
/// (groups, transactions); register it as an <see cref="IHostedService"/> singleton, not with AddHostedService, which
/// keeps only one registration per implementation type.
/// </summary>
internal sealed class CoordinatorMetadataWatch(BrokerNode node, Action<MetadataImage> onMetadataUpdate, params IAsyncDisposable[] disposeOnStop) : BackgroundService
{
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        foreach (IAsyncDisposable owned in disposeOnStop)
        {
            await owned.DisposeAsync().ConfigureAwait(false);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (MetadataImage image in node.Quorum.WatchAsync(stoppingToken).ConfigureAwait(false))
            {
                onMetadataUpdate(image);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
