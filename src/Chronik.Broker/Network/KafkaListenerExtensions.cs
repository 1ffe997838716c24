using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Chronik.Broker.Network;

/// <summary>Wiring of the Kafka listener into a Kestrel host.</summary>
public static class KafkaListenerExtensions
{
    /// <summary>
    /// Registers the connection layer's services: <paramref name="options"/>, the connection registry,
    /// <see cref="KafkaNetworkMetrics"/> and <see cref="TimeProvider.System"/> (unless one is registered).
    /// An <see cref="IKafkaRequestProcessor"/> must be registered separately.
    /// </summary>
    public static IServiceCollection AddKafkaListener(this IServiceCollection services, KafkaListenerOptions options)
    {
        options.Validate();
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        services.AddSingleton<KafkaConnectionRegistry>();
        services.AddSingleton<KafkaNetworkMetrics>();
        return services;
    }

    /// <summary>Serves the Kafka protocol on this Kestrel endpoint.</summary>
    public static IConnectionBuilder UseKafka(this IConnectionBuilder builder) =>
        builder.UseConnectionHandler<KafkaConnectionHandler>();
}
