using System.Collections.Concurrent;
using Chronik.Cluster.Metadata;

namespace Chronik.Broker.InterBroker;

/// <summary>
/// Connections from this broker to the others, one per peer, found through the metadata image (the
/// peer's registered endpoint on this broker's listener). A failed connection is replaced on next use.
/// </summary>
public sealed class BrokerConnections : IAsyncDisposable
{
    private readonly Func<MetadataImage> _image;
    private readonly string _listenerName;
    private readonly string _clientId;
    private readonly ConcurrentDictionary<int, Lazy<Task<KafkaClientConnection>>> _connections = new();

    public BrokerConnections(Func<MetadataImage> image, string listenerName, int localNodeId)
    {
        _image = image;
        _listenerName = listenerName;
        _clientId = $"chronik-broker-{localNodeId}";
    }

    /// <summary>A healthy connection to broker <paramref name="nodeId"/>; throws <see cref="KafkaClientException"/> when it is unknown or unreachable.</summary>
    public async Task<KafkaClientConnection> GetAsync(int nodeId, CancellationToken cancellationToken)
    {
        while (true)
        {
            Lazy<Task<KafkaClientConnection>> entry = _connections.GetOrAdd(nodeId, id => new Lazy<Task<KafkaClientConnection>>(() => ConnectAsync(id)));
            KafkaClientConnection connection;
            try
            {
                connection = await entry.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _connections.TryRemove(new KeyValuePair<int, Lazy<Task<KafkaClientConnection>>>(nodeId, entry));
                throw ex as KafkaClientException ?? new KafkaClientException(Protocol.Wire.ErrorCode.NetworkException, $"cannot connect to broker {nodeId}: {ex.Message}", ex);
            }

            if (connection.IsHealthy)
            {
                return connection;
            }

            if (_connections.TryRemove(new KeyValuePair<int, Lazy<Task<KafkaClientConnection>>>(nodeId, entry)))
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var entry in _connections.Values)
        {
            if (entry.IsValueCreated && entry.Value.IsCompletedSuccessfully)
            {
                await entry.Value.Result.DisposeAsync().ConfigureAwait(false);
            }
        }

        _connections.Clear();
    }

    private Task<KafkaClientConnection> ConnectAsync(int nodeId)
    {
        BrokerRegistration broker = _image().GetBroker(nodeId)
            ?? throw new KafkaClientException(Protocol.Wire.ErrorCode.BrokerNotAvailable, $"broker {nodeId} is not registered");
        BrokerEndpoint endpoint = broker.GetEndpoint(_listenerName)
            ?? throw new KafkaClientException(Protocol.Wire.ErrorCode.ListenerNotFound, $"broker {nodeId} has no {_listenerName} listener");
        return ConnectWithTimeoutAsync(endpoint);
    }

    /// <summary>Connects and negotiates versions within 10 s: a peer that accepts but never answers (SIGSTOP) must not hold the slot forever.</summary>
    private async Task<KafkaClientConnection> ConnectWithTimeoutAsync(BrokerEndpoint endpoint)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            return await KafkaClientConnection.ConnectAsync(endpoint.Host, endpoint.Port, _clientId, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (timeout.IsCancellationRequested)
        {
            throw new KafkaClientException(Protocol.Wire.ErrorCode.NetworkException, $"{endpoint.Host}:{endpoint.Port} did not answer within 10 s", e);
        }
    }
}
