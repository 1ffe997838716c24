using System.Net;
using System.Text;
using Chronik.Broker.Coordinators;
using Chronik.Broker.Groups;
using Chronik.Broker.Network;
using Chronik.Broker.Producers;
using Chronik.Broker.Requests;
using Chronik.Broker.Tests.Admin;
using Chronik.Broker.Transactions;
using Chronik.Cluster.Quorum;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Records;
using Chronik.Protocol.Wire;
using Chronik.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Chronik.Broker.Tests.Transactions;

/// <summary>
/// A real single-node BrokerNode with the group and transaction coordinators registered as chronik-server does
/// (their metadata watches running), and every handler the transaction APIs involve. Requests go through the wire
/// format at the version under test, both ways.
/// </summary>
internal sealed class TransactionNodeHarness : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly TempDirectory _directory;
    private readonly ServiceProvider _services;
    private readonly List<IHostedService> _hosted;
    private readonly KafkaConnectionContext _connection;
    private int _correlationId;

    private TransactionNodeHarness(TempDirectory directory, BrokerNode node, ServiceProvider services)
    {
        _directory = directory;
        Node = node;
        _services = services;
        _hosted = [.. services.GetServices<IHostedService>()];
        _connection = new KafkaConnectionContext(1, node.Options.ListenerName, new IPEndPoint(IPAddress.Loopback, node.Options.AdvertisedPort), new IPEndPoint(IPAddress.Loopback, 50000));
    }

    public BrokerNode Node { get; }

    public TransactionCoordinator Coordinator => _services.GetRequiredService<TransactionCoordinator>();

    public T Handler<T>()
        where T : IApiHandler => _services.GetServices<IApiHandler>().OfType<T>().Single();

    /// <summary>Starts the node; <paramref name="produceVerifier"/> may wrap the transaction verifier the Produce handler uses.</summary>
    public static async Task<TransactionNodeHarness> StartAsync(Func<ITransactionVerifier, ITransactionVerifier>? produceVerifier = null)
    {
        var directory = new TempDirectory("transactions");
        var options = new BrokerOptions
        {
            NodeId = 1,
            DataDirectory = directory.Path,
            AdvertisedHost = Loopback.Host,
            AdvertisedPort = 9092,
            Voters = [new QuorumPeer(1, Loopback.Host, FreePort.Next())],
            RaftBindAddress = IPAddress.Loopback,
            Configs = TestBrokerConfigs.Create(new Dictionary<string, string>
            {
                ["transaction.state.log.num.partitions"] = "3",
                ["offsets.topic.num.partitions"] = "3",
            }),
        };
        var node = new BrokerNode(options, NullLoggerFactory.Instance);
        var services = new ServiceCollection()
            .AddSingleton(node)
            .AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance)
            .AddSingleton(typeof(ILogger<>), typeof(NullLogger<>))
            .AddMetrics();
        services.AddSingleton(provider => new ProducerIdManager(node.NodeId, () => node.Lifecycle.BrokerEpoch, node.ControllerClient, node.TimeProvider));
        services.AddChronikGroupCoordinator();
        services.AddChronikTransactionCoordinator();
        services.AddSingleton<IApiHandler>(provider => new Handlers.InitProducerIdHandler(provider.GetRequiredService<ProducerIdManager>(), provider.GetRequiredService<ITransactionCoordinator>()));
        services.AddSingleton<IApiHandler, Handlers.FindCoordinatorHandler>();
        services.AddSingleton<IApiHandler, Handlers.AddPartitionsToTxnHandler>();
        services.AddSingleton<IApiHandler, Handlers.AddOffsetsToTxnHandler>();
        services.AddSingleton<IApiHandler, Handlers.EndTxnHandler>();
        services.AddSingleton<IApiHandler, Handlers.WriteTxnMarkersHandler>();
        services.AddSingleton<IApiHandler, Handlers.TxnOffsetCommitHandler>();
        services.AddSingleton<IApiHandler, Handlers.OffsetFetchHandler>();
        services.AddSingleton<IApiHandler, Handlers.DescribeTransactionsHandler>();
        services.AddSingleton<IApiHandler, Handlers.ListTransactionsHandler>();
        services.AddSingleton<IApiHandler, Handlers.CreateTopicsHandler>();
        services.AddSingleton<IApiHandler>(provider => new Handlers.ProduceHandler(
            node.Replicas,
            new Chronik.Broker.Partitions.BrokerTopicMetrics(provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), node.Replicas),
            verifier: produceVerifier is null ? provider.GetRequiredService<ITransactionVerifier>() : produceVerifier(provider.GetRequiredService<ITransactionVerifier>())));
        services.AddSingleton<IApiHandler>(_ => new Handlers.DescribeProducersHandler(node.Replicas));
        services.AddSingleton<IApiHandler>(provider => new Handlers.FetchHandler(node.Replicas, new Chronik.Broker.Partitions.FetchSessions.FetchSessionCache(), new Chronik.Broker.Partitions.BrokerTopicMetrics(provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), node.Replicas), 1 << 26));
        services.AddSingleton<IApiHandler>(_ => new Handlers.ListOffsetsHandler(node.Replicas));
        ServiceProvider provider = services.BuildServiceProvider();
        var harness = new TransactionNodeHarness(directory, node, provider);
        try
        {
            await node.StartAsync(CancellationToken.None);
            await node.Gate.WhenOpen.WaitAsync(StartTimeout);
            foreach (IHostedService hosted in harness._hosted)
            {
                await hosted.StartAsync(CancellationToken.None);
            }

            return harness;
        }
        catch
        {
            await harness.DisposeAsync();
            throw;
        }
    }

    /// <summary>Sends <paramref name="request"/> at <paramref name="version"/> to the registered handler of its API, over the wire format both ways.</summary>
    public async Task<TResponse> SendAsync<TResponse>(IApiRequest request, short version)
        where TResponse : class, IApiResponse, new()
    {
        IApiHandler handler = _services.GetServices<IApiHandler>().Single(h => (short)h.ApiKey == request.ApiKey);
        IApiRequest decoded = ApiMessageTypes.CreateRequest(handler.ApiKey).ReadFrom(request.ToBytes(version), version);
        var header = new RequestHeader { RequestApiKey = request.ApiKey, RequestApiVersion = version, CorrelationId = Interlocked.Increment(ref _correlationId), ClientId = "txn-test" };
        IApiResponse? response = await handler.HandleAsync(new RequestContext(header, _connection, CancellationToken.None), decoded);
        Assert.NotNull(response);
        return new TResponse().ReadFrom(response.ToBytes(version), version);
    }

    public async Task CreateTopicAsync(string name, int partitions = 1)
    {
        var response = await SendAsync<CreateTopicsResponse>(new CreateTopicsRequest { TimeoutMs = 30_000, Topics = [new() { Name = name, NumPartitions = partitions, ReplicationFactor = 1 }] }, 7);
        Assert.Equal((short)ErrorCode.None, response.Topics[0].ErrorCode);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (Node.Replicas.GetPartition(new Storage.TopicPartition(name, partitions - 1)) is not { IsLeader: true })
        {
            await Task.Delay(10, cts.Token);
        }
    }

    /// <summary>FindCoordinator for the id (creates __transaction_state), waits until its partition is loaded, then InitProducerId.</summary>
    public async Task<(long ProducerId, short Epoch)> InitAsync(string transactionalId, short version = 4)
    {
        var found = await SendAsync<FindCoordinatorResponse>(new FindCoordinatorRequest { KeyType = 1, CoordinatorKeys = [transactionalId] }, 4);
        Assert.Equal((short)ErrorCode.None, found.Coordinators[0].ErrorCode);
        Assert.Equal(1, found.Coordinators[0].NodeId);
        int partition = Coordinator.PartitionFor(transactionalId);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (Coordinator.StateOf(partition) != CoordinatorPartitionState.Active)
        {
            await Task.Delay(10, cts.Token);
        }

        InitProducerIdResponse init;
        do
        {
            init = await SendAsync<InitProducerIdResponse>(new InitProducerIdRequest { TransactionalId = transactionalId, TransactionTimeoutMs = 60_000 }, version);
        }
        while (init.ErrorCode is (short)ErrorCode.CoordinatorLoadInProgress or (short)ErrorCode.ConcurrentTransactions);

        Assert.Equal((short)ErrorCode.None, init.ErrorCode);
        return (init.ProducerId, init.ProducerEpoch);
    }

    public static byte[] TransactionalBatch(long producerId, short epoch, int sequence, params string[] values)
    {
        using var builder = new RecordBatchBuilder { IsTransactional = true, ProducerId = producerId, ProducerEpoch = epoch, BaseSequence = sequence };
        foreach (string value in values)
        {
            builder.Append(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Encoding.UTF8.GetBytes("k"), Encoding.UTF8.GetBytes(value));
        }

        return builder.Build();
    }

    public static AddPartitionsToTxnRequest AddPartitions(string transactionalId, long producerId, short epoch, string topic, params int[] partitions) => new()
    {
        V3AndBelowTransactionalId = transactionalId,
        V3AndBelowProducerId = producerId,
        V3AndBelowProducerEpoch = epoch,
        V3AndBelowTopics = [new() { Name = topic, Partitions = [.. partitions] }],
    };

    public async ValueTask DisposeAsync()
    {
        foreach (IHostedService hosted in _hosted)
        {
            await hosted.StopAsync(CancellationToken.None);
        }

        await _services.DisposeAsync();
        await Node.StopAsync(CancellationToken.None);
        await Node.DisposeAsync();
        _directory.Dispose();
    }
}
