using Chronik.Broker.Handlers;
using Chronik.Broker.InterBroker;
using Chronik.Broker.Network;
using Chronik.Protocol.Messages;

namespace Chronik.Broker.Requests;

/// <summary>What a handler knows about the request it serves besides the request body.</summary>
public sealed class RequestContext
{
    public RequestContext(RequestHeader header, KafkaConnectionContext connection, CancellationToken cancellationToken)
    {
        Header = header;
        Connection = connection;
        CancellationToken = cancellationToken;
    }

    public RequestHeader Header { get; }

    public ApiKey ApiKey => (ApiKey)Header.RequestApiKey;

    public short ApiVersion => Header.RequestApiVersion;

    public int CorrelationId => Header.CorrelationId;

    /// <summary>The client id of the request header; empty when the client sent null.</summary>
    public string ClientId => Header.ClientId ?? "";

    public KafkaConnectionContext Connection { get; }

    /// <summary>
    /// Whether the connection comes from another Chronik broker: it introduced itself in ApiVersions
    /// (KIP-511) with <see cref="KafkaClientConnection.SoftwareName"/>. Such connections see the internal
    /// APIs in ApiVersions, are served before this broker is ready, and get controller operations
    /// answered by this node's controller itself (never forwarded again). Until the listeners are split
    /// (the security work), this is the whole distinction between the broker and the controller listener.
    /// </summary>
    public bool IsInterBroker => ApiVersionsHandler.ClientSoftware(Connection)?.Name == KafkaClientConnection.SoftwareName;

    /// <summary>Cancelled when the connection is gone or closes without further responses.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>True once the handler asked for the connection to close after this request's response (if any).</summary>
    public bool CloseRequested { get; private set; }

    /// <summary>
    /// Close the connection after this request — Kafka's only way to tell a client that sent a request
    /// without a response (an acks=0 produce) that something failed, so it refreshes its metadata.
    /// </summary>
    public void RequestConnectionClose() => CloseRequested = true;
}
