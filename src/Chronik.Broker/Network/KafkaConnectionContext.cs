using System.Collections.Concurrent;
using System.Net;

namespace Chronik.Broker.Network;

/// <summary>
/// What a processor may know about the connection a request came in on: who is at the other end,
/// stable identifiers for logs and quotas, and a per-connection state bag (SASL state, client
/// software name and version from ApiVersions, ...).
/// </summary>
public sealed class KafkaConnectionContext
{
    private ConcurrentDictionary<object, object?>? _items;

    internal KafkaConnectionContext(long id, string listenerName, EndPoint? localEndPoint, EndPoint? remoteEndPoint)
    {
        Id = id;
        ListenerName = listenerName;
        LocalEndPoint = localEndPoint;
        RemoteEndPoint = remoteEndPoint;
        // Kafka's connection id format (Processor.connectionId): local-remote-index.
        ConnectionId = $"{Format(localEndPoint)}-{Format(remoteEndPoint)}-{id}";
    }

    /// <summary>Process-wide unique, increasing number of this connection.</summary>
    public long Id { get; }

    /// <summary>Kafka-style connection id, "localHost:localPort-remoteHost:remotePort-index".</summary>
    public string ConnectionId { get; }

    /// <summary>Name of the listener the connection came in on (Kafka's listener name, e.g. PLAINTEXT).</summary>
    public string ListenerName { get; }

    public EndPoint? LocalEndPoint { get; }

    public EndPoint? RemoteEndPoint { get; }

    /// <summary>
    /// Per-connection state, keyed by whatever the owner chooses (a type or a private key object).
    /// Thread-safe, because the asynchronous part of one request may run while the next one starts.
    /// </summary>
    public ConcurrentDictionary<object, object?> Items =>
        _items ?? Interlocked.CompareExchange(ref _items, new ConcurrentDictionary<object, object?>(), null) ?? _items;

    public override string ToString() => ConnectionId;

    private static string Format(EndPoint? endPoint) => endPoint switch
    {
        IPEndPoint ip => $"{ip.Address}:{ip.Port}",
        null => "unknown",
        _ => endPoint.ToString() ?? "unknown",
    };
}
