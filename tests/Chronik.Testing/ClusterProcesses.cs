using System.Globalization;
using System.Net;

namespace Chronik.Testing;

/// <summary>One node of a <see cref="ClusterProcesses"/>: fixed ports and data directory, and its current process (null while down).</summary>
public sealed class ClusterNode
{
    internal ClusterNode(int nodeId, int kafkaPort, int httpPort, int raftPort, string dataDirectory, string outputFile)
    {
        OutputFile = outputFile;
        NodeId = nodeId;
        KafkaPort = kafkaPort;
        HttpPort = httpPort;
        RaftPort = raftPort;
        DataDirectory = dataDirectory;
    }

    public int NodeId { get; }

    public int KafkaPort { get; }

    public int HttpPort { get; }

    public int RaftPort { get; }

    public string DataDirectory { get; }

    /// <summary>File every process of this node appends its output to (beside the data directory).</summary>
    public string OutputFile { get; }

    /// <summary>"127.0.0.1:port" of this node's Kafka listener.</summary>
    public string BootstrapServers => Loopback.Address(KafkaPort);

    /// <summary>The running process, or null when the node is down.</summary>
    public BrokerProcess? Process { get; internal set; }

    /// <summary>Output of every process this node has had, earliest first.</summary>
    public string AllOutput => string.Concat(PastOutput) + (Process?.Output ?? "");

    internal List<string> PastOutput { get; } = [];

    /// <summary>GET /health/ready: (status code, body); (0, reason) when the node does not answer.</summary>
    public async Task<(int Status, string Body)> ReadinessAsync()
    {
        if (Process is not { } process)
        {
            return (0, "not running");
        }

        try
        {
            using HttpResponseMessage response = await process.Http.GetAsync("health/ready");
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return (0, e.Message);
        }
    }
}

/// <summary>
/// An N-node chronik-server cluster of child processes on free loopback ports, each node with its own
/// data directory (kept across restarts of that node), all voters of one metadata quorum
/// (<c>raft-cluster --peers</c> with the other nodes). Nothing starts until asked: nodes can be started
/// one at a time, killed (-9), stopped (SIGTERM) and restarted. Each node's output also goes to
/// <c>node-N.log</c> in <see cref="RootDirectory"/>. Disposing kills every process by PID and deletes the
/// data and logs, unless <see cref="KeepFiles"/> was set (a failed run keeps them for diagnosis).
/// </summary>
public sealed class ClusterProcesses : IAsyncDisposable
{
    private readonly TempDirectory _root;
    private readonly IReadOnlyList<string> _extraArguments;

    private ClusterProcesses(TempDirectory root, IReadOnlyList<ClusterNode> nodes, IReadOnlyList<string> extraArguments)
    {
        _root = root;
        Nodes = nodes;
        _extraArguments = extraArguments;
    }

    public IReadOnlyList<ClusterNode> Nodes { get; }

    /// <summary>The folder holding every node's data directory and output file.</summary>
    public string RootDirectory => _root.Path;

    /// <summary>True: <see cref="DisposeAsync"/> still kills every process but leaves <see cref="RootDirectory"/> on disk.</summary>
    public bool KeepFiles { get; set; }

    /// <summary>Every node's Kafka address, comma-separated.</summary>
    public string AllBootstrapServers => string.Join(",", Nodes.Select(n => n.BootstrapServers));

    /// <summary>
    /// Allocates ports and directories for nodes 1..<paramref name="nodes"/>; <paramref name="extraArguments"/>
    /// (global flags such as <c>--override k=v</c>) go to every node.
    /// </summary>
    public static ClusterProcesses Create(int nodes, params string[] extraArguments)
    {
        int[] ports = FreePort.Next(nodes * 3);
        var root = new TempDirectory("cluster");
        var list = new List<ClusterNode>(nodes);
        for (int i = 0; i < nodes; i++)
        {
            string dir = Path.Combine(root.Path, $"node-{i + 1}");
            Directory.CreateDirectory(dir);
            list.Add(new ClusterNode(i + 1, ports[3 * i], ports[(3 * i) + 1], ports[(3 * i) + 2], dir, Path.Combine(root.Path, $"node-{i + 1}.log")));
        }

        return new ClusterProcesses(root, list, extraArguments);
    }

    public ClusterNode Node(int nodeId) => Nodes.Single(n => n.NodeId == nodeId);

    /// <summary>
    /// Starts a node and returns once it is live and its Kafka port accepts connections — or, with
    /// <paramref name="waitForReady"/>, once /health/ready says 200. <paramref name="voters"/> is the
    /// voter set the node is configured with (default: every node of this cluster); with
    /// <paramref name="join"/> the node starts to join (<c>--join</c>) the quorum of the other voters given.
    /// </summary>
    public async Task<BrokerProcess> StartAsync(int nodeId, bool waitForReady = false, TimeSpan? timeout = null, IReadOnlyCollection<int>? voters = null, bool join = false)
    {
        ClusterNode node = Node(nodeId);
        if (node.Process is { HasExited: false })
        {
            throw new InvalidOperationException($"node {nodeId} is already running");
        }

        await ForgetAsync(node);
        File.AppendAllText(node.OutputFile, $"===== node {nodeId}: process starting at {DateTime.UtcNow:O} =====\n");
        var options = new BrokerProcessOptions
        {
            NodeId = nodeId,
            KafkaPort = node.KafkaPort,
            HttpPort = node.HttpPort,
            RaftPort = node.RaftPort,
            DataDirectory = node.DataDirectory,
            WaitForReady = waitForReady,
            StartTimeout = timeout ?? TimeSpan.FromSeconds(90),
            OutputFile = node.OutputFile,
        };
        foreach (string argument in _extraArguments)
        {
            options.Arguments.Add(argument);
        }

        options.Arguments.Add("raft-cluster");
        if (join)
        {
            options.Arguments.Add("--join");
        }

        options.Arguments.Add("--peers");
        options.Arguments.Add(string.Join(",", Nodes.Where(n => n.NodeId != nodeId && (voters is null || voters.Contains(n.NodeId)))
            .Select(n => $"{n.NodeId.ToString(CultureInfo.InvariantCulture)}@{Loopback.Address(n.RaftPort)}")));
        node.Process = await BrokerProcess.StartAsync(options);
        return node.Process;
    }

    /// <summary>Starts every node that is down, all at once, and waits until each is ready.</summary>
    public async Task StartAllAsync(TimeSpan? timeout = null) =>
        await Task.WhenAll(Nodes.Where(n => n.Process is null or { HasExited: true }).Select(n => StartAsync(n.NodeId, waitForReady: true, timeout)));

    /// <summary>kill -9 of the node's process; returns once it is gone.</summary>
    public async Task KillAsync(int nodeId)
    {
        BrokerProcess process = Node(nodeId).Process ?? throw new InvalidOperationException($"node {nodeId} is not running");
        process.Send(Signal.Kill);
        await process.WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>SIGTERM (clean shutdown); returns the exit code once the process is gone.</summary>
    public async Task<int> StopAsync(int nodeId)
    {
        BrokerProcess process = Node(nodeId).Process ?? throw new InvalidOperationException($"node {nodeId} is not running");
        process.Send(Signal.Term);
        return await process.WaitForExitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>SIGSTOP: the node's process freezes (sockets stay open, nothing answers) until <see cref="Resume"/>.</summary>
    public void Pause(int nodeId) =>
        (Node(nodeId).Process ?? throw new InvalidOperationException($"node {nodeId} is not running")).Send(Signal.Stop);

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Resume(int nodeId) =>
        (Node(nodeId).Process ?? throw new InvalidOperationException($"node {nodeId} is not running")).Send(Signal.Continue);

    /// <summary>Waits until every running node answers /health/ready with 200.</summary>
    public async Task WaitUntilReadyAsync(TimeSpan? timeout = null)
    {
        foreach (ClusterNode node in Nodes.Where(n => n.Process is { HasExited: false }))
        {
            await Wait.UntilAsync(
                async () => (await node.ReadinessAsync()).Status == (int)HttpStatusCode.OK,
                $"node {node.NodeId} is ready",
                timeout ?? TimeSpan.FromSeconds(90),
                TimeSpan.FromMilliseconds(100));
        }
    }

    /// <summary>Everything every node wrote, for failure messages.</summary>
    public string Describe() =>
        string.Join("\n", Nodes.Select(n => $"===== node {n.NodeId} (kafka {n.KafkaPort}, raft {n.RaftPort}) =====\n{Tail(n.AllOutput)}"));

    public async ValueTask DisposeAsync()
    {
        foreach (ClusterNode node in Nodes)
        {
            if (node.Process is { } process)
            {
                await process.DisposeAsync();
            }
        }

        if (!KeepFiles)
        {
            _root.Dispose();
        }
    }

    private static async Task ForgetAsync(ClusterNode node)
    {
        if (node.Process is { } old)
        {
            node.PastOutput.Add(old.Output);
            await old.DisposeAsync();
            node.Process = null;
        }
    }

    private static string Tail(string text) => text.Length <= 200_000 ? text : "…" + text[^200_000..];
}
