using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Chronik.Server.DevCluster;

/// <summary>
/// `chronik-server dev-cluster --nodes N`: a local cluster for trying Chronik out. It starts N
/// chronik-server child processes (real processes, as in production: separate Raft identities,
/// logs and failure domains) on loopback, each a voter of one metadata quorum (`raft-cluster` with
/// the others as peers; a single node runs `standalone`), prints where they listen, prefixes their
/// output with the node name, and stops them all with SIGTERM when it gets SIGINT or SIGTERM itself.
/// Ports come from <see cref="DevClusterPorts"/>; data lives in DATA_DIR/node-i, so a second run
/// finds the same cluster again (with the same ports only when --base-port is given).
/// </summary>
public sealed class DevClusterRunner
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(40);

    private readonly DevClusterOptions _options;
    private readonly TextWriter _output;
    private readonly Lock _outputLock = new();

    public DevClusterRunner(DevClusterOptions options, TextWriter output)
    {
        _options = options;
        _output = output;
    }

    /// <summary>The argument lists of the nodes' processes, for <paramref name="ports"/> (one per node).</summary>
    public static List<List<string>> NodeArguments(DevClusterOptions options, IReadOnlyList<NodePorts> ports)
    {
        var all = new List<List<string>>(ports.Count);
        foreach (NodePorts node in ports)
        {
            string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
            var arguments = new List<string>
            {
                "--node-id", Text(node.NodeId),
                "--data-dir", Path.Combine(options.DataDirectory, $"node-{node.NodeId}"),
                "--bind-addr", "127.0.0.1",
                "--kafka-port", Text(node.Kafka),
                "--advertised-addr", $"127.0.0.1:{Text(node.Kafka)}",
                "--http-bind", "127.0.0.1",
                "--http-port", Text(node.Http),
            };
            foreach (string setting in options.DefaultOverrides)
            {
                arguments.Add("--override");
                arguments.Add(setting);
            }

            arguments.AddRange(options.NodeArguments);
            if (ports.Count == 1)
            {
                arguments.AddRange(["standalone", "--raft-addr", $"127.0.0.1:{Text(node.Raft)}"]);
            }
            else
            {
                string peers = string.Join(",", ports.Where(p => p.NodeId != node.NodeId).Select(p => $"{Text(p.NodeId)}@127.0.0.1:{Text(p.Raft)}"));
                arguments.AddRange(["raft-cluster", "--raft-addr", $"127.0.0.1:{Text(node.Raft)}", "--peers", peers]);
            }

            all.Add(arguments);
        }

        return all;
    }

    /// <summary>Runs until <paramref name="stopping"/> fires (or every node has exited); returns the exit code.</summary>
    public async Task<int> RunAsync(CancellationToken stopping)
    {
        IReadOnlyList<NodePorts> ports = DevClusterPorts.Allocate(_options.Nodes, _options.BasePort);
        Directory.CreateDirectory(_options.DataDirectory);
        List<List<string>> arguments = NodeArguments(_options, ports);
        PrintLayout(ports);

        var processes = new List<Process>(ports.Count);
        try
        {
            for (int i = 0; i < ports.Count; i++)
            {
                processes.Add(Start($"node-{ports[i].NodeId}", arguments[i]));
            }

            Task ready = ReportReadinessAsync(ports, stopping);
            Task allExited = Task.WhenAll(processes.Select(p => p.WaitForExitAsync(CancellationToken.None)));
            await Task.WhenAny(allExited, Task.Delay(Timeout.Infinite, stopping)).ConfigureAwait(false);
            await ready.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (allExited.IsCompleted)
            {
                Write("dev-cluster: every node has exited");
                return 1;
            }

            Write("dev-cluster: stopping the nodes (SIGTERM)");
            return 0;
        }
        finally
        {
            await StopAllAsync(processes).ConfigureAwait(false);
        }
    }

    private void PrintLayout(IReadOnlyList<NodePorts> ports)
    {
        Write($"dev-cluster: {ports.Count} node(s), data in {_options.DataDirectory}");
        Write("  node  kafka            http             raft");
        foreach (NodePorts p in ports)
        {
            Write($"  {p.NodeId,-4}  127.0.0.1:{p.Kafka,-6}  127.0.0.1:{p.Http,-6}  127.0.0.1:{p.Raft}");
        }

        Write($"  bootstrap servers: {string.Join(",", ports.Select(p => $"127.0.0.1:{p.Kafka}"))}");
        Write($"  try: kcat -b 127.0.0.1:{ports[0].Kafka} -L");
    }

    private Process Start(string name, List<string> arguments)
    {
        ProcessStartInfo info = SelfStartInfo();
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Forward(name, e.Data);
        process.ErrorDataReceived += (_, e) => Forward(name, e.Data);
        process.Exited += (_, _) => Write($"dev-cluster: {name} (pid {process.Id}) exited with code {process.ExitCode}");
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Write($"dev-cluster: started {name} (pid {process.Id})");
        return process;
    }

    /// <summary>This executable again: the apphost, or `dotnet exec chronik-server.dll` when run through the muxer.</summary>
    private static ProcessStartInfo SelfStartInfo()
    {
        string self = Environment.ProcessPath ?? throw new DevClusterException("cannot find this executable's path to start the nodes");
        if (Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            var viaMuxer = new ProcessStartInfo(self);
            viaMuxer.ArgumentList.Add("exec");
            viaMuxer.ArgumentList.Add(typeof(DevClusterRunner).Assembly.Location);
            return viaMuxer;
        }

        return new ProcessStartInfo(self);
    }

    private async Task ReportReadinessAsync(IReadOnlyList<NodePorts> ports, CancellationToken stopping)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var pending = ports.ToList();
        while (pending.Count > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500), stopping).ConfigureAwait(false);
            foreach (NodePorts node in pending.ToList())
            {
                try
                {
                    using HttpResponseMessage response = await http.GetAsync(new Uri($"http://127.0.0.1:{node.Http}/health/ready"), stopping).ConfigureAwait(false);
                    if (response.IsSuccessStatusCode)
                    {
                        pending.Remove(node);
                        Write($"dev-cluster: node-{node.NodeId} is ready");
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !stopping.IsCancellationRequested)
                {
                }
            }
        }

        Write($"dev-cluster: all {ports.Count} node(s) ready; bootstrap servers {string.Join(",", ports.Select(p => $"127.0.0.1:{p.Kafka}"))}");
    }

    private async Task StopAllAsync(List<Process> processes)
    {
        foreach (Process process in processes)
        {
            if (!process.HasExited && !ChildSignals.Terminate(process.Id))
            {
                process.Kill();
            }
        }

        using var timeout = new CancellationTokenSource(StopTimeout);
        foreach (Process process in processes)
        {
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Write($"dev-cluster: pid {process.Id} did not stop within {StopTimeout.TotalSeconds} s; killing it");
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }

            process.Dispose();
        }
    }

    private void Forward(string name, string? line)
    {
        if (line is not null)
        {
            Write($"{name} | {line}");
        }
    }

    private void Write(string line)
    {
        lock (_outputLock)
        {
            _output.WriteLine(line);
            _output.Flush();
        }
    }

    /// <summary>Cancels <paramref name="stopping"/> on SIGINT or SIGTERM (instead of the default termination) so the nodes get stopped.</summary>
    public static IDisposable[] CancelOnSignals(CancellationTokenSource stopping)
    {
        void Handle(PosixSignalContext context)
        {
            context.Cancel = true;
            stopping.Cancel();
        }

        return [PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle), PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle)];
    }
}
