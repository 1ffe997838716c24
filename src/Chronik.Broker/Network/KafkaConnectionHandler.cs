using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Chronik.Broker.Network;

/// <summary>
/// Kestrel's entry point for the Kafka port (bind it with <c>listenOptions.UseKafka()</c>): admits the
/// connection against max.connections and serves it until it closes.
/// </summary>
public sealed class KafkaConnectionHandler : ConnectionHandler
{
    private static readonly TimeSpan RejectionLogInterval = TimeSpan.FromSeconds(10);

    private readonly IKafkaRequestProcessor _processor;
    private readonly KafkaListenerOptions _options;
    private readonly KafkaConnectionRegistry _registry;
    private readonly KafkaNetworkMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private long _lastRejectionLog = long.MinValue;

    public KafkaConnectionHandler(
        IKafkaRequestProcessor processor,
        KafkaListenerOptions options,
        KafkaConnectionRegistry registry,
        KafkaNetworkMetrics metrics,
        ILogger<KafkaConnectionHandler> logger,
        TimeProvider time)
    {
        _processor = processor;
        _options = options;
        _registry = registry;
        _metrics = metrics;
        _logger = logger;
        _time = time;
    }

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        if (!_registry.TryAdmit())
        {
            // Kafka's acceptor waits for a free slot instead; closing at once lets the client back off
            // and retry (librdkafka and the Java client reconnect with backoff) without holding sockets.
            _metrics.ConnectionRejected();
            LogRejection(connection);
            return;
        }

        var context = new KafkaConnectionContext(
            _registry.NextConnectionId(), _options.ListenerName, connection.LocalEndPoint, connection.RemoteEndPoint);
        var kafkaConnection = new KafkaConnection(connection, context, _processor, _options, _metrics, _logger, _time);
        _registry.Add(kafkaConnection);
        _metrics.ConnectionOpened();
        try
        {
            await kafkaConnection.RunAsync().ConfigureAwait(false);
        }
        finally
        {
            _registry.Remove(kafkaConnection);
        }
    }

    private void LogRejection(ConnectionContext connection)
    {
        // One line per interval at most: a reconnect storm must not flood the log.
        long now = _time.GetTimestamp();
        long last = Volatile.Read(ref _lastRejectionLog);
        if ((last == long.MinValue || _time.GetElapsedTime(last, now) >= RejectionLogInterval) &&
            Interlocked.CompareExchange(ref _lastRejectionLog, now, last) == last)
        {
            NetworkLog.ConnectionRejected(_logger, connection.RemoteEndPoint?.ToString(), _registry.OpenConnections, _options.MaxConnections);
        }
    }
}
