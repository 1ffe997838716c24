using Chronik.Broker.InterBroker;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Replication;

/// <summary>A Kafka-protocol channel to one leader broker: versions negotiated on connect, requests pipelined.</summary>
public interface IReplicaChannel
{
    /// <summary>The highest version of <paramref name="apiKey"/> both sides speak, capped at <paramref name="ourMax"/>; -1 when the peer lacks it.</summary>
    short NegotiatedVersion(ApiKey apiKey, short ourMax);

    /// <summary>Sends <paramref name="request"/> at <paramref name="version"/>; throws <see cref="KafkaClientException"/> when the channel fails.</summary>
    Task<TResponse> SendAsync<TResponse>(IApiRequest request, short version, CancellationToken cancellationToken)
        where TResponse : IApiResponse, new();

    /// <summary>
    /// As <see cref="SendAsync{TResponse}"/>, with the response read into a pooled buffer that goes back to the pool when
    /// the result is disposed: for the fetches, whose records are appended at once and must not become large-object garbage.
    /// </summary>
    Task<PooledResponse<TResponse>> SendPooledAsync<TResponse>(IApiRequest request, short version, CancellationToken cancellationToken)
        where TResponse : IApiResponse, new();
}

/// <summary>Opens channels to the brokers this broker follows (one per leader, reused while healthy).</summary>
public interface IReplicaChannelFactory : IAsyncDisposable
{
    /// <summary>A healthy channel to broker <paramref name="brokerId"/>; throws <see cref="KafkaClientException"/> when it is unknown or unreachable.</summary>
    Task<IReplicaChannel> ConnectAsync(int brokerId, CancellationToken cancellationToken);
}

/// <summary>
/// The replica fetchers' channels: a <see cref="BrokerConnections"/> pool of their own, so a follower's long-polling
/// Fetch never holds up the controller requests and forwarded calls that share the broker's other connections
/// (responses on one connection come back in request order). Kafka likewise gives each fetcher its own connection.
/// </summary>
public sealed class BrokerReplicaChannels : IReplicaChannelFactory
{
    private readonly BrokerConnections _connections;

    public BrokerReplicaChannels(Func<MetadataImage> image, string listenerName, int localNodeId)
    {
        _connections = new BrokerConnections(image, listenerName, localNodeId);
    }

    public async Task<IReplicaChannel> ConnectAsync(int brokerId, CancellationToken cancellationToken) =>
        new Channel(await _connections.GetAsync(brokerId, cancellationToken).ConfigureAwait(false));

    public ValueTask DisposeAsync() => _connections.DisposeAsync();

    private sealed class Channel(KafkaClientConnection connection) : IReplicaChannel
    {
        public short NegotiatedVersion(ApiKey apiKey, short ourMax) => connection.NegotiatedVersion(apiKey, ourMax);

        public Task<TResponse> SendAsync<TResponse>(IApiRequest request, short version, CancellationToken cancellationToken)
            where TResponse : IApiResponse, new() => connection.SendAsync<TResponse>(request, version, cancellationToken);

        public Task<PooledResponse<TResponse>> SendPooledAsync<TResponse>(IApiRequest request, short version, CancellationToken cancellationToken)
            where TResponse : IApiResponse, new() => connection.SendPooledAsync<TResponse>(request, version, cancellationToken);
    }
}
