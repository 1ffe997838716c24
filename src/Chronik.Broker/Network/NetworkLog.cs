using Microsoft.Extensions.Logging;

namespace Chronik.Broker.Network;

/// <summary>Log lines of the Kafka connection layer: one line per event, structured fields.</summary>
internal static partial class NetworkLog
{
    [LoggerMessage(1, LogLevel.Debug, "Kafka connection {ConnectionId} opened")]
    public static partial void ConnectionOpened(ILogger logger, string connectionId);

    [LoggerMessage(2, LogLevel.Debug, "Kafka connection {ConnectionId} closed: {Reason}")]
    public static partial void ConnectionClosed(ILogger logger, string connectionId, ConnectionCloseReason reason);

    [LoggerMessage(3, LogLevel.Warning, "Closing Kafka connection {ConnectionId}: request size {Size} is outside 0..{MaxSize} (socket.request.max.bytes)")]
    public static partial void InvalidFrameSize(ILogger logger, string connectionId, int size, int maxSize);

    [LoggerMessage(4, LogLevel.Warning, "Closing Kafka connection {ConnectionId}: processing api key {ApiKey} failed")]
    public static partial void ProcessorFailed(ILogger logger, string connectionId, short apiKey, Exception exception);

    [LoggerMessage(5, LogLevel.Warning, "Refused Kafka connection from {RemoteEndPoint}: {Open} connections are open (max.connections {MaxConnections})")]
    public static partial void ConnectionRejected(ILogger logger, string? remoteEndPoint, int open, int maxConnections);

    [LoggerMessage(6, LogLevel.Debug, "Kafka connection {ConnectionId} transport failed")]
    public static partial void TransportFailed(ILogger logger, string connectionId, Exception exception);

    [LoggerMessage(7, LogLevel.Error, "Kafka connection {ConnectionId}: writing responses failed")]
    public static partial void WriterFailed(ILogger logger, string connectionId, Exception exception);
}
