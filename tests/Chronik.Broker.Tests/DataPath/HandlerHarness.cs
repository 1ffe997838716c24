using System.Diagnostics.Metrics;
using System.Net;
using Chronik.Broker.Handlers;
using Chronik.Broker.Network;
using Chronik.Broker.Partitions;
using Chronik.Broker.Partitions.FetchSessions;
using Chronik.Broker.Requests;
using Chronik.Broker.Tests.Partitions;
using Chronik.Protocol.Messages;
using Chronik.Storage;
using Chronik.Storage.Cleaner;
using Chronik.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Chronik.Broker.Tests.DataPath;

/// <summary>
/// The data-path handlers over a real <see cref="ReplicaManager"/> (and LogManager) in a temp directory, fed
/// metadata images built from records. <see cref="CallAsync{TResponse}"/> sends a request through the wire
/// format at the given version (encode, decode) and decodes the response the same way, so a field a version
/// cannot carry fails the test as it would fail a client.
/// </summary>
internal sealed class HandlerHarness : IAsyncDisposable
{
    private readonly TempDirectory _directory = new("datapath");
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private int _correlationId;

    public HandlerHarness(params (string Name, string Value)[] brokerConfigs)
    {
        Images.Broker(1);
        Replicas = new ReplicaManager(
            new ReplicaManagerOptions
            {
                NodeId = 1,
                DataDirectory = _directory.Path,
                Configs = TestConfigs.Create(brokerConfigs),
                ConfigureStorage = options => options with
                {
                    RetentionCheckInterval = TimeSpan.FromDays(1),
                    Cleaner = new LogCleanerOptions { Enabled = false },
                },
            },
            () => Images.Image,
            NullLoggerFactory.Instance);
        Replicas.Start();
        Metrics = new BrokerTopicMetrics(_services.GetRequiredService<IMeterFactory>(), Replicas);
        Produce = new ProduceHandler(Replicas, Metrics);
        Fetch = new FetchHandler(Replicas, Sessions, Metrics, fetchMaxBytes: 57671680);
        ListOffsets = new ListOffsetsHandler(Replicas);
        DeleteRecords = new DeleteRecordsHandler(Replicas);
        OffsetForLeaderEpoch = new OffsetForLeaderEpochHandler(Replicas);
        DescribeLogDirs = new DescribeLogDirsHandler(Replicas);
    }

    public ImageBuilder Images { get; } = new();

    public ReplicaManager Replicas { get; }

    public BrokerTopicMetrics Metrics { get; }

    public FetchSessionCache Sessions { get; } = new(random: new Random(42));

    public ProduceHandler Produce { get; }

    public FetchHandler Fetch { get; }

    public ListOffsetsHandler ListOffsets { get; }

    public DeleteRecordsHandler DeleteRecords { get; }

    public OffsetForLeaderEpochHandler OffsetForLeaderEpoch { get; }

    public DescribeLogDirsHandler DescribeLogDirs { get; }

    public string DataDirectory => _directory.Path;

    /// <summary>Adds a topic led by broker 1 and applies the image.</summary>
    public Guid CreateTopic(string name, int partitions = 1, params (string Key, string Value)[] configs)
    {
        var id = Images.Topic(name, partitions, configs: configs);
        Publish();
        return id;
    }

    public void Publish() => Replicas.ApplyImage(Images.Image);

    public Partition Partition(string topic, int index = 0) => Replicas.GetPartition(new TopicPartition(topic, index)) ?? throw new InvalidOperationException($"{topic}-{index} is not hosted");

    /// <summary>Starts a request (its synchronous part runs now, as on a connection); the task completes with the decoded response.</summary>
    public Task<TResponse?> StartAsync<TResponse>(IApiHandler handler, IApiRequest request, short version, string clientId = "test", CancellationToken cancellationToken = default)
        where TResponse : class, IApiResponse, new()
    {
        var decoded = ApiMessageTypes.CreateRequest(handler.ApiKey).ReadFrom(request.ToBytes(version), version);
        var header = new RequestHeader { RequestApiKey = (short)handler.ApiKey, RequestApiVersion = version, CorrelationId = ++_correlationId, ClientId = clientId };
        var context = new RequestContext(header, Connection, cancellationToken);
        LastContext = context;
        var pending = handler.HandleAsync(context, decoded);
        return Decode<TResponse>(pending, version);
    }

    /// <summary>The context of the last request started, to see what the handler asked of the connection.</summary>
    public RequestContext? LastContext { get; private set; }

    public Task<TResponse?> CallAsync<TResponse>(IApiHandler handler, IApiRequest request, short version, string clientId = "test")
        where TResponse : class, IApiResponse, new() => StartAsync<TResponse>(handler, request, version, clientId);

    public async ValueTask DisposeAsync()
    {
        Replicas.Dispose();
        await _services.DisposeAsync();
        _directory.Dispose();
    }

    private static async Task<TResponse?> Decode<TResponse>(ValueTask<IApiResponse?> pending, short version)
        where TResponse : class, IApiResponse, new()
    {
        var response = await pending;
        return response is null ? null : new TResponse().ReadFrom(response.ToBytes(version), version);
    }

    private static readonly KafkaConnectionContext Connection =
        new(1, "PLAINTEXT", new IPEndPoint(IPAddress.Loopback, 9092), new IPEndPoint(IPAddress.Loopback, 50000));
}
