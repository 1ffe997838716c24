using Microsoft.Extensions.Hosting;

namespace Chronik.Server.Http;

/// <summary>Not ready until the host (and so the Kafka listener) has started, and again once shutdown begins.</summary>
internal sealed class HostLifetimeReadinessProbe(IHostApplicationLifetime lifetime) : IReadinessProbe
{
    public Readiness Check() =>
        lifetime.ApplicationStopping.IsCancellationRequested ? Readiness.NotReady("shutting down")
        : !lifetime.ApplicationStarted.IsCancellationRequested ? Readiness.NotReady("starting")
        : Readiness.Ready;
}
