using Chronik.Protocol.Messages;
using Chronik.Testing;

namespace Chronik.Cluster.Integration.Harness;

/// <summary>Settings and steps the cluster tests share.</summary>
public static class ClusterTestSupport
{
    /// <summary>
    /// Broker configs of every test node: heartbeats every 500 ms and a 4 s session so a killed broker is
    /// fenced within seconds (Kafka: 2 s / 9 s), and no automatic leader rebalance to move leaders under a test.
    /// </summary>
    public static readonly string[] FastFailureDetection =
    [
        "--override", "broker.heartbeat.interval.ms=500",
        "--override", "broker.session.timeout.ms=4000",
        "--override", "auto.leader.rebalance.enable=false",
    ];

    /// <summary>Runs <paramref name="body"/>; a failure carries every node's output.</summary>
    public static async Task WithDiagnosticsAsync(ClusterProcesses cluster, Func<Task> body)
    {
        try
        {
            await body();
        }
        catch (Exception e) when (e is not ClusterTestFailure)
        {
            throw new ClusterTestFailure($"{e.GetType().Name}: {e.Message}\n{cluster.Describe()}", e);
        }
    }

    /// <summary>CreateTopics sent to exactly the node listening on <paramref name="port"/>, as a client would send it.</summary>
    public static async Task<CreateTopicsResponse.CreatableTopicResult> CreateTopicAsync(
        int port, string name, int partitions, short replicationFactor, IReadOnlyList<int[]>? assignments = null, IReadOnlyDictionary<string, string>? configs = null)
    {
        await using TestKafkaClient client = await TestKafkaClient.ConnectAsync(port);
        var topic = new CreateTopicsRequest.CreatableTopic
        {
            Name = name,
            NumPartitions = assignments is null ? partitions : -1,
            ReplicationFactor = assignments is null ? replicationFactor : (short)-1,
        };
        for (int i = 0; assignments is not null && i < assignments.Count; i++)
        {
            topic.Assignments.Add(new CreateTopicsRequest.CreatableReplicaAssignment { PartitionIndex = i, BrokerIds = [.. assignments[i]] });
        }

        foreach (var (key, value) in configs ?? new Dictionary<string, string>())
        {
            topic.Configs.Add(new CreateTopicsRequest.CreatableTopicConfig { Name = key, Value = value });
        }

        CreateTopicsResponse response = await client.SendAsync<CreateTopicsResponse>(new CreateTopicsRequest { Topics = [topic], TimeoutMs = 30_000 }, 7);
        return Assert.Single(response.Topics);
    }

    /// <summary>
    /// ElectLeaders (preferred) for one partition, sent to the node listening on <paramref name="port"/>; succeeds
    /// when the preferred replica was elected or already leads (ELECTION_NOT_NEEDED).
    /// </summary>
    public static async Task ElectPreferredLeaderAsync(int port, string topic, int partition)
    {
        await using TestKafkaClient client = await TestKafkaClient.ConnectAsync(port);
        var request = new ElectLeadersRequest
        {
            ElectionType = 0,
            TopicPartitions = [new ElectLeadersRequest.TopicPartitionsData { Topic = topic, Partitions = [partition] }],
            TimeoutMs = 30_000,
        };
        ElectLeadersResponse response = await client.SendAsync<ElectLeadersResponse>(request, 2);
        Assert.Equal(0, response.ErrorCode);
        short error = Assert.Single(Assert.Single(response.ReplicaElectionResults).PartitionResult).ErrorCode;
        Assert.Contains(error, new short[] { 0, (short)Chronik.Protocol.Wire.ErrorCode.ElectionNotNeeded });
    }

    /// <summary>FindCoordinator(group) asked of the node listening on <paramref name="port"/>: (error, coordinator id).</summary>
    public static async Task<(short Error, int NodeId)> FindGroupCoordinatorAsync(int port, string group)
    {
        await using TestKafkaClient client = await TestKafkaClient.ConnectAsync(port);
        FindCoordinatorResponse response = await client.SendAsync<FindCoordinatorResponse>(new FindCoordinatorRequest { Key = group, KeyType = 0 }, 3);
        return (response.ErrorCode, response.NodeId);
    }

    /// <summary>FindCoordinator(transaction, key type 1) asked of the node listening on <paramref name="port"/>: (error, coordinator id).</summary>
    public static async Task<(short Error, int NodeId)> FindTransactionCoordinatorAsync(int port, string transactionalId)
    {
        await using TestKafkaClient client = await TestKafkaClient.ConnectAsync(port);
        FindCoordinatorResponse response = await client.SendAsync<FindCoordinatorResponse>(new FindCoordinatorRequest { Key = transactionalId, KeyType = 1 }, 3);
        return (response.ErrorCode, response.NodeId);
    }

    /// <summary>Metadata of every running node.</summary>
    public static async Task<Dictionary<int, MetadataSnapshot>> MetadataOfAsync(IEnumerable<ClusterNode> nodes)
    {
        var snapshots = new Dictionary<int, MetadataSnapshot>();
        foreach (ClusterNode node in nodes)
        {
            snapshots[node.NodeId] = await TestKafkaClient.MetadataAsync(node.KafkaPort);
        }

        return snapshots;
    }

    /// <summary>Waits until every node in <paramref name="nodes"/> answers the same Metadata and it satisfies <paramref name="condition"/>; returns it.</summary>
    public static async Task<MetadataSnapshot> AgreedMetadataAsync(IReadOnlyList<ClusterNode> nodes, Func<MetadataSnapshot, bool> condition, string what, TimeSpan? timeout = null)
    {
        MetadataSnapshot? agreed = null;
        string last = "";
        try
        {
            await Wait.UntilAsync(
                async () =>
                {
                    try
                    {
                        Dictionary<int, MetadataSnapshot> snapshots = await MetadataOfAsync(nodes);
                        last = string.Join("\n", snapshots.Select(s => $"  node {s.Key}: {s.Value}"));
                        MetadataSnapshot first = snapshots.Values.First();
                        bool same = snapshots.Values.All(s => s.Canonical == first.Canonical);
                        agreed = first;
                        return same && condition(first);
                    }
                    catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
                    {
                        last = e.Message;
                        return false;
                    }
                },
                what,
                timeout ?? TimeSpan.FromSeconds(60),
                TimeSpan.FromMilliseconds(200));
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; last answers:\n{last}", e);
        }

        return agreed!;
    }
}

/// <summary>A cluster test failed; the message carries every node's output.</summary>
public sealed class ClusterTestFailure(string message, Exception inner) : Exception(message, inner);
