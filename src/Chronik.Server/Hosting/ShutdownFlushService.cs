using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Chronik.Server.Hosting;

/// <summary>
/// Runs the <see cref="ShutdownFlushHook"/>s in StoppedAsync, i.e. after every hosted service — Kestrel
/// with its Kafka connections included — has stopped, so no request can write after the flush.
/// </summary>
internal sealed partial class ShutdownFlushService(IEnumerable<ShutdownFlushHook> hooks, IServiceProvider services, ILogger<ShutdownFlushService> logger) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        foreach (var hook in hooks)
        {
            try
            {
                await hook.FlushAsync(services, cancellationToken).ConfigureAwait(false);
                LogFlushed(hook.Name);
            }
            catch (Exception ex)
            {
                // One failing hook must not keep the others from flushing.
                LogFlushFailed(hook.Name, ex);
            }
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Shutdown flush '{Hook}' done")]
    private partial void LogFlushed(string hook);

    [LoggerMessage(2, LogLevel.Error, "Shutdown flush '{Hook}' failed")]
    private partial void LogFlushFailed(string hook, Exception exception);
}

/// <summary>Registration of shutdown flush hooks.</summary>
public static class ShutdownFlushServiceCollectionExtensions
{
    /// <summary>Adds a hook that runs after the Kafka listener has drained at shutdown.</summary>
    public static IServiceCollection AddShutdownFlushHook(this IServiceCollection services, string name, Func<IServiceProvider, CancellationToken, ValueTask> flushAsync)
    {
        services.AddSingleton(new ShutdownFlushHook(name, flushAsync));
        return services;
    }
}
