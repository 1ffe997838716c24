using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Chronik.Testing;

/// <summary>How to start a chronik-server child process.</summary>
public sealed class BrokerProcessOptions
{
    /// <summary>Arguments after the harness's own flags, e.g. a subcommand and its options.</summary>
    public IList<string> Arguments { get; } = [];

    /// <summary>Variables to set (a null value unsets one); inherited CHRONIK_* variables are always removed.</summary>
    public IDictionary<string, string?> Environment { get; } = new Dictionary<string, string?>();

    /// <summary>--node-id; omitted when null.</summary>
    public int? NodeId { get; set; }

    /// <summary>Fixed ports; a free loopback port is chosen for each one left null.</summary>
    public int? KafkaPort { get; set; }

    public int? HttpPort { get; set; }

    public int? RaftPort { get; set; }

    /// <summary>--data-dir; by default a fresh temp directory deleted on dispose.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>
    /// True: wait for GET /health/ready = 200 (the node serves Kafka requests). False: wait until
    /// /health/live answers and the Kafka port accepts connections.
    /// </summary>
    public bool WaitForReady { get; set; } = true;

    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Also append every output line to this file as it arrives (created if missing), so the output
    /// survives the test process and can be kept for diagnosis; null: in memory only.
    /// </summary>
    public string? OutputFile { get; set; }
}

/// <summary>
/// A chronik-server child process on free loopback ports with its own data directory: started with
/// <see cref="StartAsync"/>, its output captured, and killed by PID on dispose. Compat and chaos tests
/// build on it (signals: <see cref="Send"/>).
/// </summary>
public sealed class BrokerProcess : IAsyncDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    private readonly Process _process;
    private readonly TempDirectory? _ownDataDirectory;
    private readonly StringBuilder _output = new();
    private StreamWriter? _outputFile;

    private BrokerProcess(Process process, int kafkaPort, int httpPort, int raftPort, string dataDirectory, TempDirectory? ownDataDirectory, string? outputFile)
    {
        _process = process;
        _outputFile = outputFile is null ? null : new StreamWriter(outputFile, append: true, Encoding.UTF8) { AutoFlush = true };
        KafkaPort = kafkaPort;
        HttpPort = httpPort;
        RaftPort = raftPort;
        DataDirectory = dataDirectory;
        _ownDataDirectory = ownDataDirectory;
        Http = new HttpClient { BaseAddress = new Uri($"http://{Loopback.Host}:{httpPort}/"), Timeout = TimeSpan.FromSeconds(10) };
    }

    public int KafkaPort { get; }

    public int HttpPort { get; }

    public int RaftPort { get; }

    /// <summary>"127.0.0.1:port" of the Kafka listener (checked by <see cref="Loopback"/>).</summary>
    public string BootstrapServers => Loopback.Address(KafkaPort);

    /// <summary>"127.0.0.1:port" of the metadata quorum, for other nodes' --peers.</summary>
    public string RaftAddress => Loopback.Address(RaftPort);

    public string DataDirectory { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>A client for the node's HTTP endpoint (health, metrics).</summary>
    public HttpClient Http { get; }

    /// <summary>Everything the process wrote to stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts chronik-server and waits until it is ready (or listening, see <see cref="BrokerProcessOptions.WaitForReady"/>).</summary>
    public static async Task<BrokerProcess> StartAsync(BrokerProcessOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new BrokerProcessOptions();
        int[] free = FreePort.Next(3);
        int kafkaPort = options.KafkaPort ?? free[0];
        int httpPort = options.HttpPort ?? free[1];
        int raftPort = options.RaftPort ?? free[2];
        TempDirectory? ownData = options.DataDirectory is null ? new TempDirectory("broker") : null;
        string dataDirectory = options.DataDirectory ?? ownData!.Path;

        var arguments = new List<string>
        {
            "--kafka-port", kafkaPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--http-port", httpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--raft-addr", Loopback.Address(raftPort),
            "--bind-addr", Loopback.Host,
            "--http-bind", Loopback.Host,
            "--advertised-addr", Loopback.Address(kafkaPort),
            "--data-dir", dataDirectory,
        };
        if (options.NodeId is { } nodeId)
        {
            arguments.Add("--node-id");
            arguments.Add(nodeId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        arguments.AddRange(options.Arguments);
        var info = ServerExecutable.CreateStartInfo(arguments);
        info.WorkingDirectory = dataDirectory;
        foreach (var (key, value) in options.Environment)
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var broker = new BrokerProcess(process, kafkaPort, httpPort, raftPort, dataDirectory, ownData, options.OutputFile);
        process.OutputDataReceived += (_, e) => broker.Append(e.Data);
        process.ErrorDataReceived += (_, e) => broker.Append(e.Data);
        try
        {
            process.Start();
            process.StandardInput.Close();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            await broker.WaitUntilStartedAsync(options, cancellationToken);
            return broker;
        }
        catch
        {
            await broker.DisposeAsync();
            throw;
        }
    }

    /// <summary>Sends a signal (SIGTERM for a clean shutdown, SIGKILL, SIGSTOP/SIGCONT to freeze and thaw).</summary>
    public void Send(Signal signal) => Posix.Send(_process.Id, signal);

    /// <summary>Waits for the process to exit and returns its exit code; throws on timeout.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"chronik-server (pid {ProcessId}) did not exit within {timeout}; output:\n{Output}");
        }

        await _process.WaitForExitAsync();
        return _process.ExitCode;
    }

    /// <summary>Kills the process (SIGKILL, by PID) if it still runs, and deletes the data directory the harness created.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }

        _process.Dispose();
        Http.Dispose();
        lock (_output)
        {
            _outputFile?.Dispose();
            _outputFile = null;
        }

        _ownDataDirectory?.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Append(line).Append('\n');
            _outputFile?.WriteLine(line);
        }
    }

    private async Task WaitUntilStartedAsync(BrokerProcessOptions options, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.StartTimeout);
        string lastProblem = "not polled yet";
        while (true)
        {
            if (_process.HasExited)
            {
                await _process.WaitForExitAsync(CancellationToken.None);
                throw new InvalidOperationException($"chronik-server exited with code {_process.ExitCode} during startup; output:\n{Output}");
            }

            try
            {
                if (options.WaitForReady)
                {
                    using var response = await Http.GetAsync("health/ready", timeout.Token);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        return;
                    }

                    lastProblem = $"/health/ready: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(timeout.Token)}";
                }
                else
                {
                    using var response = await Http.GetAsync("health/live", timeout.Token);
                    if (response.StatusCode == HttpStatusCode.OK && await KafkaPortAcceptsAsync(timeout.Token))
                    {
                        return;
                    }

                    lastProblem = "HTTP live, Kafka port not accepting yet";
                }
            }
            catch (HttpRequestException ex)
            {
                lastProblem = ex.Message;
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"chronik-server did not start within {options.StartTimeout} ({lastProblem}); output:\n{Output}");
            }

            try
            {
                await Task.Delay(PollInterval, timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"chronik-server did not start within {options.StartTimeout} ({lastProblem}); output:\n{Output}");
            }
        }
    }

    private async Task<bool> KafkaPortAcceptsAsync(CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(IPAddress.Loopback, KafkaPort, cancellationToken);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
