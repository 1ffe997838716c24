using System.Net;
using System.Net.Sockets;
using Chronik.Broker.Network;
using Chronik.Server.Configuration;
using Chronik.Broker.Configs;
using Chronik.Server.Http;
using Chronik.Server.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Chronik.Server.Hosting;

/// <summary>
/// Builds and runs the process: Kestrel with the Kafka listener and the HTTP endpoint, logging, metrics,
/// readiness, and the shutdown sequence (SIGTERM/SIGINT → stop accepting → answer in-flight requests →
/// flush hooks → exit 0).
/// </summary>
public static partial class ServerHost
{
    /// <summary>Exit code of a clean shutdown.</summary>
    public const int ExitOk = 0;

    /// <summary>Exit code when the node cannot start (port in use, data directory not writable) — as Kafka's 1.</summary>
    public const int ExitStartupFailure = 1;

    /// <summary>Exit code for bad usage or configuration.</summary>
    public const int ExitUsage = 2;

    /// <summary>
    /// Runs until SIGTERM/SIGINT. <paramref name="addBroker"/> registers the broker's services; it must
    /// register an <see cref="IKafkaRequestProcessor"/>. Fatal startup problems are written to
    /// <paramref name="error"/> as one line.
    /// </summary>
    public static async Task<int> RunAsync(ServerSettings settings, Action<IServiceCollection> addBroker, TextWriter error)
    {
        try
        {
            Directory.CreateDirectory(settings.DataDirectory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"chronik-server: cannot create data directory '{settings.DataDirectory}': {ex.Message}; set {StartupFailure.Spell(ServerSettingDefinitions.DataDir)}");
            return ExitStartupFailure;
        }

        IPAddress? kafkaAddress, httpAddress;
        try
        {
            kafkaAddress = await ResolveBindAddressAsync(settings.KafkaListen.Host).ConfigureAwait(false);
            httpAddress = await ResolveBindAddressAsync(settings.HttpListen.Host).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            error.WriteLine($"chronik-server: a bind address does not resolve: {ex.Message}; check {ServerSettingDefinitions.BindAddr.Flag} and {ServerSettingDefinitions.HttpBind.Flag}");
            return ExitUsage;
        }

        WebApplication app = Build(settings, kafkaAddress, httpAddress, addBroker);
        await using (app.ConfigureAwait(false))
        {
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Chronik.Server");
            try
            {
                await app.StartAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (StartupFailure.DescribeBindFailure(ex, settings) is { } message)
            {
                error.WriteLine($"chronik-server: {message}");
                return ExitStartupFailure;
            }

            foreach (string warning in settings.Warnings)
            {
                LogSettingWarning(logger, warning);
            }

            LogStarted(logger, settings.NodeId, settings.Mode, settings.KafkaListen.ToString(), settings.AdvertisedKafka.ToString(),
                settings.HttpListen.ToString(), settings.DataDirectory);
            await app.WaitForShutdownAsync().ConfigureAwait(false);
            LogStopped(logger);
        }

        return ExitOk;
    }

    /// <summary>Creates the (not yet started) web application; separate so tests can host it in-process.</summary>
    internal static WebApplication Build(ServerSettings settings, IPAddress? kafkaAddress, IPAddress? httpAddress, Action<IServiceCollection> addBroker)
    {
        // The empty builder reads no appsettings.json and no ASPNETCORE_* variables: CHRONIK_* settings are the only configuration.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "chronik-server" });
        ConfigureLogging(builder.Logging, settings);

        builder.WebHost.UseKestrelCore();
        builder.WebHost.UseSockets(sockets =>
        {
            // Receive straight into a buffer instead of first waiting for readability with a 1-byte peek:
            // one system call per receive instead of two. An idle connection holds one pooled block.
            sockets.WaitForDataBeforeAllocatingBuffer = false;
        });
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            Listen(kestrel, kafkaAddress, settings.KafkaListen.Port, listen => listen.UseKafka());
            Listen(kestrel, httpAddress, settings.HttpListen.Port, listen => listen.Protocols = HttpProtocols.Http1);
        });

        var services = builder.Services;
        // Kestrel takes the last registered pool factory: 64 KiB blocks, so large Kafka frames move in few system calls.
        services.AddSingleton<IMemoryPoolFactory<byte>, TransportMemoryPoolFactory>();
        services.AddRoutingCore();
        services.Configure<HostOptions>(options => options.ShutdownTimeout = settings.ShutdownTimeout);
        services.Configure<ConsoleLifetimeOptions>(options => options.SuppressStatusMessages = true);
        services.AddSingleton(settings);
        services.AddKafkaListener(new KafkaListenerOptions
        {
            MaxRequestSize = settings.Broker.GetInt32(BrokerConfigCatalog.SocketRequestMaxBytes),
            MaxConnections = settings.Broker.GetInt32(BrokerConfigCatalog.MaxConnections),
            IdleTimeout = TimeSpan.FromMilliseconds(settings.Broker.GetInt64(BrokerConfigCatalog.ConnectionsMaxIdleMs)),
            MaxInFlightRequestsPerConnection = settings.MaxInFlightRequestsPerConnection,
        });
        services.AddSingleton<PrometheusMetricsExporter>();
        services.AddSingleton<IReadinessProbe, HostLifetimeReadinessProbe>();
        services.AddHostedService<ShutdownFlushService>();
        addBroker(services);
        if (!services.Any(s => s.ServiceType == typeof(IKafkaRequestProcessor)))
        {
            throw new InvalidOperationException("No IKafkaRequestProcessor is registered.");
        }

        WebApplication app = builder.Build();
        app.MapHealthAndMetrics();
        // Created now, not at the first scrape, so it sees every measurement from the start.
        app.Services.GetRequiredService<PrometheusMetricsExporter>();
        return app;
    }

    private static void Listen(KestrelServerOptions kestrel, IPAddress? address, int port, Action<ListenOptions> configure)
    {
        if (address is null)
        {
            kestrel.ListenLocalhost(port, configure);
        }
        else
        {
            kestrel.Listen(address, port, configure);
        }
    }

    /// <summary>An IP literal as is; "localhost" as null (Kestrel binds both loopbacks); other names via DNS.</summary>
    private static async Task<IPAddress?> ResolveBindAddressAsync(string host)
    {
        if (IPAddress.TryParse(host, out var ip))
        {
            return ip;
        }

        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        IPAddress[] addresses = await Dns.GetHostAddressesAsync(host).ConfigureAwait(false);
        return addresses.Length > 0 ? addresses[0] : throw new SocketException((int)SocketError.HostNotFound);
    }

    private static void ConfigureLogging(ILoggingBuilder logging, ServerSettings settings)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(settings.LogLevel);
        // Framework chatter only when asked for with debug or trace.
        LogLevel framework = settings.LogLevel <= LogLevel.Debug ? settings.LogLevel : LogLevel.Warning;
        logging.AddFilter("Microsoft", framework);
        logging.AddFilter("System", framework);
        if (settings.LogFormat == LogFormat.Json)
        {
            logging.AddJsonConsole(options =>
            {
                options.UseUtcTimestamp = true;
                options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }
        else
        {
            logging.AddSimpleConsole(options =>
            {
                options.SingleLine = true;
                options.UseUtcTimestamp = true;
                options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            });
        }
    }

    [LoggerMessage(1, LogLevel.Information,
        "chronik-server node {NodeId} ({Mode}) started: Kafka on {KafkaListen} (advertised {Advertised}), HTTP on {HttpListen}, data in {DataDirectory}")]
    private static partial void LogStarted(ILogger logger, int nodeId, ServerMode mode, string kafkaListen, string advertised, string httpListen, string dataDirectory);

    [LoggerMessage(2, LogLevel.Information, "chronik-server stopped")]
    private static partial void LogStopped(ILogger logger);

    [LoggerMessage(3, LogLevel.Warning, "{Warning}")]
    private static partial void LogSettingWarning(ILogger logger, string warning);
}
