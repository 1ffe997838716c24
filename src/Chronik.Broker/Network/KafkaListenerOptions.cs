namespace Chronik.Broker.Network;

/// <summary>Limits of the Kafka listener. Names in the remarks are the Kafka broker configs they come from.</summary>
public sealed class KafkaListenerOptions
{
    /// <summary>Kafka's socket.request.max.bytes default (100 MiB).</summary>
    public const int DefaultMaxRequestSize = 104_857_600;

    /// <summary>Kafka's connections.max.idle.ms default (10 minutes).</summary>
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromMilliseconds(600_000);

    /// <summary>Kafka listener name reported to processors.</summary>
    public string ListenerName { get; init; } = "PLAINTEXT";

    /// <summary>socket.request.max.bytes: a request frame larger than this (or negative) closes the connection.</summary>
    public int MaxRequestSize { get; init; } = DefaultMaxRequestSize;

    /// <summary>max.connections: connections beyond this many open ones are closed right after accept.</summary>
    public int MaxConnections { get; init; } = int.MaxValue;

    /// <summary>connections.max.idle.ms: a connection with nothing in flight and no traffic for this long is closed; zero or negative disables.</summary>
    public TimeSpan IdleTimeout { get; init; } = DefaultIdleTimeout;

    /// <summary>
    /// Requests read from one connection but not yet answered. At the bound the connection stops reading
    /// (TCP backpressure), so one client cannot pile up unbounded work. Not a Kafka config: Kafka reads one
    /// request per connection at a time; pipelining is Chronik's (and Redpanda's) extension.
    /// </summary>
    public int MaxInFlightRequestsPerConnection { get; init; } = 100;

    /// <summary>Throws when a limit is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(MaxRequestSize);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxConnections);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxInFlightRequestsPerConnection, 1);
        ArgumentException.ThrowIfNullOrWhiteSpace(ListenerName);
    }
}
