using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using Chronik.Broker.Handlers;
using Chronik.Broker.InterBroker;
using Chronik.Broker.Network;
using Chronik.Broker.Partitions;
using Chronik.Broker.Partitions.FetchSessions;
using Chronik.Broker.Replication;
using Chronik.Broker.Requests;
using Chronik.Broker.Tests.Partitions;
using Chronik.Cluster.Controller;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Messages;
using AlterPartitionRequest = Chronik.Cluster.Controller.AlterPartitionRequest;
using BrokerHeartbeatRequest = Chronik.Cluster.Controller.BrokerHeartbeatRequest;
using BrokerRegistrationRequest = Chronik.Cluster.Controller.BrokerRegistrationRequest;
using Chronik.Protocol.Wire;
using Chronik.Storage;
using Chronik.Storage.Cleaner;
using Chronik.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Chronik.Broker.Tests.Replication;

/// <summary>
/// Several brokers in one process, each a real <see cref="ReplicaManager"/> with its own data directory, sharing one
/// metadata image built from records. Replica fetchers reach their leader through <see cref="InProcessChannel"/>s
/// that run the leader's real handlers over the wire format (encode, decode) — and can be cut to simulate a network
/// partition or capped at older API versions; ISR changes go to a controller that runs the real
/// <see cref="AlterPartitionDecisions"/> on the shared image and publishes the result to every running broker.
/// </summary>
internal sealed class ReplicationCluster : IAsyncDisposable
{
    private readonly object _metadataLock = new();
    private readonly Dictionary<int, Node> _nodes = [];
    private readonly ConcurrentDictionary<(int From, int To), bool> _cut = new();
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly (string, string)[] _configs;

    public ReplicationCluster(int brokers, long replicaLagTimeMaxMs = 1_000, params (string Name, string Value)[] configs)
    {
        _configs = [("replica.lag.time.max.ms", replicaLagTimeMaxMs.ToString(System.Globalization.CultureInfo.InvariantCulture)), .. configs];
        Controller = new TestController(this);
        for (int id = 1; id <= brokers; id++)
        {
            Images.Broker(id, 9000 + id);
            _nodes[id] = new Node(id, new TempDirectory($"replication-{id}"));
        }

        foreach (var node in _nodes.Values)
        {
            Start(node.Id);
        }
    }

    public ImageBuilder Images { get; } = new();

    /// <summary>What every broker logged.</summary>
    public RecordingLoggerFactory Logs { get; } = new();

    public TestController Controller { get; }

    /// <summary>API versions the channels offer at most (e.g. Fetch 11: no divergence detection in Fetch).</summary>
    public ConcurrentDictionary<ApiKey, short> VersionCaps { get; } = new();

    public ReplicaFetcherOptions FetcherOptions { get; init; } = new()
    {
        MaxWaitMs = 100,
        Backoff = TimeSpan.FromMilliseconds(50),
        RequestTimeout = TimeSpan.FromSeconds(10),
        AlterPartitionRetryBackoff = TimeSpan.FromMilliseconds(20),
    };

    public ReplicaManager this[int id] => _nodes[id].Replicas ?? throw new InvalidOperationException($"broker {id} is stopped");

    public Partition Partition(int broker, string topic, int index = 0) =>
        this[broker].GetPartition(new TopicPartition(topic, index)) ?? throw new InvalidOperationException($"{topic}-{index} is not hosted by {broker}");

    public ProduceHandler Produce(int broker) => _nodes[broker].Produce!;

    public FetchHandler Fetch(int broker) => _nodes[broker].Fetch!;

    public bool IsRunning(int broker) => _nodes[broker].Replicas is not null;

    /// <summary>Creates a topic led by the first replica with every replica in the ISR, and publishes it.</summary>
    public Guid CreateTopic(string name, int[] replicas, int partitions = 1, params (string Key, string Value)[] configs)
    {
        lock (_metadataLock)
        {
            var id = Images.Topic(name, partitions, replicas, configs: configs);
            PublishLocked();
            return id;
        }
    }

    /// <summary>Applies records to the image and publishes it to every running broker (the metadata log in one step).</summary>
    public void Apply(params MetadataRecord[] records)
    {
        lock (_metadataLock)
        {
            Images.Apply(records);
            PublishLocked();
        }
    }

    /// <summary>Cuts (or restores) the link from <paramref name="from"/> to <paramref name="to"/>: requests fail with a network error.</summary>
    public void Cut(int from, int to, bool cut = true) => _cut[(from, to)] = cut;

    /// <summary>Stops a broker (clean shutdown of its logs); its data directory stays.</summary>
    public void Stop(int id)
    {
        var node = _nodes[id];
        var replicas = node.Replicas;
        node.Replicas = null;
        replicas?.Dispose();
    }

    /// <summary>Starts a broker on its data directory and gives it the current image.</summary>
    public void Start(int id)
    {
        var node = _nodes[id];
        var replicas = new ReplicaManager(
            new ReplicaManagerOptions
            {
                NodeId = id,
                DataDirectory = node.Directory.Path,
                Configs = TestConfigs.Create(_configs),
                ConfigureStorage = options => options with { RetentionCheckInterval = TimeSpan.FromDays(1), Cleaner = new LogCleanerOptions { Enabled = false } },
                LeaderChannels = new InProcessChannels(this, id),
                Controller = () => Controller,
                Fetcher = FetcherOptions,
            },
            () => Images.Image,
            Logs);
        replicas.Start();
        var metrics = new BrokerTopicMetrics(_services.GetRequiredService<IMeterFactory>(), replicas);
        node.Produce = new ProduceHandler(replicas, metrics);
        node.Fetch = new FetchHandler(replicas, new FetchSessionCache(), metrics, fetchMaxBytes: 57671680);
        node.Handlers = new Dictionary<ApiKey, IApiHandler>
        {
            [ApiKey.Fetch] = node.Fetch,
            [ApiKey.ListOffsets] = new ListOffsetsHandler(replicas),
            [ApiKey.OffsetForLeaderEpoch] = new OffsetForLeaderEpochHandler(replicas),
        };
        node.Replicas = replicas;
        lock (_metadataLock)
        {
            replicas.ApplyImage(Images.Image);
        }
    }

    /// <summary>Reads a partition's whole log on one broker, batch bytes as stored.</summary>
    public byte[] LogBytes(int broker, string topic, int index = 0)
    {
        var partition = Partition(broker, topic, index);
        using var buffer = new MemoryStream();
        long offset = partition.LogStartOffset;
        while (offset < partition.LogEndOffset)
        {
            var read = partition.Read(offset, 1 << 20, FetchIsolation.LogEnd, minOneBatch: true);
            if (read.IsEmpty)
            {
                break;
            }

            byte[] bytes = read.ToArray();
            buffer.Write(bytes);
            offset = LastOffset(bytes) + 1;
        }

        return buffer.ToArray();
    }

    /// <summary>Sends a request to a broker's handler through the wire format, as a client on its listener would.</summary>
    public async Task<TResponse> CallAsync<TResponse>(int broker, IApiHandler handler, IApiRequest request, short version, CancellationToken cancellationToken = default)
        where TResponse : IApiResponse, new()
    {
        var decoded = ApiMessageTypes.CreateRequest(handler.ApiKey).ReadFrom(request.ToBytes(version), version);
        var header = new RequestHeader { RequestApiKey = (short)handler.ApiKey, RequestApiVersion = version, CorrelationId = 1, ClientId = $"test-{broker}" };
        var response = await handler.HandleAsync(new RequestContext(header, Connection, cancellationToken), decoded);
        return new TResponse().ReadFrom(response!.ToBytes(version), version);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes.Values)
        {
            Stop(node.Id);
        }

        foreach (var node in _nodes.Values)
        {
            node.Directory.Dispose();
        }

        await _services.DisposeAsync();
    }

    private static long LastOffset(byte[] batches)
    {
        var enumerator = new Protocol.Records.RecordBatchEnumerator(batches);
        long last = -1;
        while (enumerator.MoveNext())
        {
            last = Protocol.Records.RecordBatchHeader.LastOffset(enumerator.Current.Span);
        }

        return last;
    }

    private void PublishLocked()
    {
        foreach (var node in _nodes.Values)
        {
            node.Replicas?.ApplyImage(Images.Image);
        }
    }

    private static readonly KafkaConnectionContext Connection =
        new(1, "PLAINTEXT", new IPEndPoint(IPAddress.Loopback, 9092), new IPEndPoint(IPAddress.Loopback, 50000));

    private sealed class Node(int id, TempDirectory directory)
    {
        public int Id { get; } = id;

        public TempDirectory Directory { get; } = directory;

        public ReplicaManager? Replicas { get; set; }

        public ProduceHandler? Produce { get; set; }

        public FetchHandler? Fetch { get; set; }

        public Dictionary<ApiKey, IApiHandler> Handlers { get; set; } = [];
    }

    private sealed class InProcessChannels(ReplicationCluster cluster, int from) : IReplicaChannelFactory
    {
        public Task<IReplicaChannel> ConnectAsync(int brokerId, CancellationToken cancellationToken)
        {
            if (!cluster._nodes.ContainsKey(brokerId))
            {
                throw new KafkaClientException(ErrorCode.BrokerNotAvailable, $"broker {brokerId} is not registered");
            }

            return Task.FromResult<IReplicaChannel>(new InProcessChannel(cluster, from, brokerId));
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class InProcessChannel(ReplicationCluster cluster, int from, int to) : IReplicaChannel
    {
        public short NegotiatedVersion(ApiKey apiKey, short ourMax)
        {
            if (!cluster._nodes[to].Handlers.TryGetValue(apiKey, out var handler))
            {
                return -1;
            }

            short version = Math.Min(ourMax, handler.MaxVersion);
            return cluster.VersionCaps.TryGetValue(apiKey, out short cap) ? Math.Min(version, cap) : version;
        }

        public async Task<TResponse> SendAsync<TResponse>(IApiRequest request, short version, CancellationToken cancellationToken)
            where TResponse : IApiResponse, new()
        {
            var node = cluster._nodes[to];
            if (cluster._cut.GetValueOrDefault((from, to)) || node.Replicas is null)
            {
                // A cut link: the request goes nowhere (as a connection that died after a while).
                await Task.Delay(10, cancellationToken);
                throw new KafkaClientException(ErrorCode.NetworkException, $"link {from}->{to} is cut");
            }

            return await cluster.CallAsync<TResponse>(to, node.Handlers[(ApiKey)request.ApiKey], request, version, cancellationToken);
        }

        public async Task<PooledResponse<TResponse>> SendPooledAsync<TResponse>(IApiRequest request, short version, CancellationToken cancellationToken)
            where TResponse : IApiResponse, new() => new(await SendAsync<TResponse>(request, version, cancellationToken), null);
    }

    /// <summary>The controller: AlterPartition through the real decisions on the shared image; can refuse with NOT_CONTROLLER a number of times.</summary>
    internal sealed class TestController(ReplicationCluster cluster) : IControllerClient
    {
        private int _notController;

        public int AlterPartitionCalls;

        /// <summary>Answer the next <paramref name="count"/> AlterPartition requests with NOT_CONTROLLER.</summary>
        public void RefuseAlterPartition(int count) => Volatile.Write(ref _notController, count);

        public Task<AlterPartitionResult> AlterPartitionAsync(AlterPartitionRequest request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref AlterPartitionCalls);
            if (Interlocked.Decrement(ref _notController) >= 0)
            {
                return Task.FromResult(new AlterPartitionResult(new ApiError(ErrorCode.NotController), []));
            }

            lock (cluster._metadataLock)
            {
                var result = AlterPartitionDecisions.Decide(cluster.Images.Image, request);
                if (result.Records.Length > 0)
                {
                    cluster.Images.Apply([.. result.Records]);
                    cluster.PublishLocked();
                }

                return Task.FromResult(result.Response);
            }
        }

        public Task<IReadOnlyList<CreateTopicResult>> CreateTopicsAsync(IReadOnlyList<CreatableTopic> topics, bool validateOnly, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<DeleteTopicResult>> DeleteTopicsAsync(IReadOnlyList<TopicReference> topics, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<CreatePartitionsResult>> CreatePartitionsAsync(IReadOnlyList<CreatePartitionsTopic> topics, bool validateOnly, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<AlterConfigsResult>> AlterConfigsAsync(IReadOnlyList<AlterConfigsResource> resources, bool validateOnly, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<BrokerRegistrationResult> RegisterBrokerAsync(BrokerRegistrationRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<BrokerHeartbeatResult> BrokerHeartbeatAsync(BrokerHeartbeatRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<ProducerIdsResult> AllocateProducerIdsAsync(int brokerId, long brokerEpoch, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<ElectLeadersOutcome> ElectLeadersAsync(ElectionType type, IReadOnlyList<TopicPartitionRef>? partitions, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<PartitionReassignmentResult>> AlterPartitionReassignmentsAsync(IReadOnlyList<PartitionReassignment> reassignments, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<ApiError> UnregisterBrokerAsync(int brokerId, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
