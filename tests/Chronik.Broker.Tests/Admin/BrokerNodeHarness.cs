using System.Net;
using Chronik.Broker.Configs;
using Chronik.Broker.Network;
using Chronik.Broker.Requests;
using Chronik.Cluster.Quorum;
using Chronik.Protocol.Messages;
using Chronik.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Chronik.Broker.Tests.Admin;

/// <summary>
/// A real single-node BrokerNode (single-voter metadata quorum, controller, lifecycle) in its own temp
/// directory, ready to serve. Handlers are driven the way the connection drives them: the request is
/// encoded and decoded at the version under test, and so is the response, so a field a version does not
/// carry can never slip through.
/// </summary>
public sealed class BrokerNodeHarness : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly TempDirectory _directory;
    private readonly KafkaConnectionContext _connection;
    private readonly KafkaConnectionContext _interBrokerConnection;

    private BrokerNodeHarness(TempDirectory directory, BrokerNode node)
    {
        _directory = directory;
        Node = node;
        _connection = new KafkaConnectionContext(1, node.Options.ListenerName, new IPEndPoint(IPAddress.Loopback, node.Options.AdvertisedPort), new IPEndPoint(IPAddress.Loopback, 50000));
        _interBrokerConnection = new KafkaConnectionContext(2, node.Options.ListenerName, new IPEndPoint(IPAddress.Loopback, node.Options.AdvertisedPort), new IPEndPoint(IPAddress.Loopback, 50001));

        // What another broker's connection says about itself in ApiVersions (KIP-511).
        _interBrokerConnection.Items[typeof(Handlers.ApiVersionsHandler)] = (InterBroker.KafkaClientConnection.SoftwareName, "1");
    }

    public BrokerNode Node { get; }

    public static async Task<BrokerNodeHarness> StartAsync(IReadOnlyDictionary<string, string>? brokerConfigs = null)
    {
        var directory = new TempDirectory("admin");
        var options = new BrokerOptions
        {
            NodeId = 1,
            DataDirectory = directory.Path,
            AdvertisedHost = Loopback.Host,
            AdvertisedPort = 9092,
            Voters = [new QuorumPeer(1, Loopback.Host, FreePort.Next())],
            RaftBindAddress = IPAddress.Loopback,
            Configs = TestBrokerConfigs.Create(brokerConfigs),
        };
        var node = new BrokerNode(options, NullLoggerFactory.Instance);
        var harness = new BrokerNodeHarness(directory, node);
        try
        {
            await node.StartAsync(CancellationToken.None);
            await node.Gate.WhenOpen.WaitAsync(StartTimeout);
            return harness;
        }
        catch
        {
            await harness.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Sends <paramref name="request"/> at <paramref name="version"/> through <paramref name="handler"/>, over the wire format both ways;
    /// <paramref name="interBroker"/> sends it on a connection that introduced itself as another Chronik broker.
    /// </summary>
    public async Task<TResponse> SendAsync<TRequest, TResponse>(ApiHandler<TRequest, TResponse> handler, TRequest request, short version, bool interBroker = false)
        where TRequest : IApiRequest, new()
        where TResponse : class, IApiResponse, new()
    {
        TRequest decoded = new TRequest().ReadFrom(request.ToBytes(version), version);
        var header = new RequestHeader { RequestApiKey = (short)handler.ApiKey, RequestApiVersion = version, CorrelationId = 1, ClientId = "admin-test" };
        IApiResponse? response = await ((IApiHandler)handler).HandleAsync(new RequestContext(header, interBroker ? _interBrokerConnection : _connection, CancellationToken.None), decoded);
        Assert.NotNull(response);
        return new TResponse().ReadFrom(response.ToBytes(version), version);
    }

    public async ValueTask DisposeAsync()
    {
        await Node.StopAsync(CancellationToken.None);
        await Node.DisposeAsync();
        _directory.Dispose();
    }
}
