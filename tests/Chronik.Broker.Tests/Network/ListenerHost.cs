using System.Net;
using Chronik.Broker.Network;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Chronik.Broker.Tests.Network;

/// <summary>Kestrel with only the Kafka listener, on 127.0.0.1 and a port chosen by the OS.</summary>
public sealed class ListenerHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ListenerHost(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    public KafkaConnectionRegistry Registry => _app.Services.GetRequiredService<KafkaConnectionRegistry>();

    public IServiceProvider Services => _app.Services;

    public static async Task<ListenerHost> StartAsync(IKafkaRequestProcessor processor, KafkaListenerOptions? options = null, TimeProvider? time = null)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseKafka()));
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        if (time is not null)
        {
            builder.Services.AddSingleton(time);
        }

        builder.Services.AddKafkaListener(options ?? new KafkaListenerOptions());
        builder.Services.AddSingleton(processor);
        var app = builder.Build();
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new ListenerHost(app, new Uri(address).Port);
    }

    /// <summary>Graceful stop, as on SIGTERM: stop accepting, let connections finish, then return.</summary>
    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
