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

    /// <summary>Cancelled when the connection is gone or closes without further responses.</summary>
    public CancellationToken CancellationToken { get; }
}
