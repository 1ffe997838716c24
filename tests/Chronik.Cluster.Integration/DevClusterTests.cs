using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Chronik.Cluster.Integration.Harness;
using Chronik.Testing;
using Xunit.Abstractions;

namespace Chronik.Cluster.Integration;

/// <summary>`chronik-server dev-cluster --nodes 3`: one command, three node processes, a cluster kcat can use; SIGTERM stops them all.</summary>
public partial class DevClusterTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Dev_cluster_of_three_serves_kcat_and_stops_every_node_on_sigterm()
    {
        using var data = new TempDirectory("dev-cluster");
        // Replication factor 1 for the auto-created topic: the produce/consume check must not depend on follower replication.
        // It also shows that a user's --override wins over dev-cluster's own defaults (replication factor min(N, 3)).
        ProcessStartInfo info = ServerExecutable.CreateStartInfo(
            ["dev-cluster", "--nodes", "3", "--data-dir", data.Path, "--log-level", "warn", "--override", "default.replication.factor=1"]);
        var lines = new StringBuilder();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(lines, e.Data);
        process.ErrorDataReceived += (_, e) => Append(lines, e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await Wait.UntilAsync(() => Text(lines).Contains("all 3 node(s) ready", StringComparison.Ordinal) || process.HasExited, "the dev cluster reports all nodes ready", TimeSpan.FromSeconds(120));
            string text = Text(lines);
            Assert.False(process.HasExited, text);
            string[] bootstrap = BootstrapLine().Match(text).Groups[1].Value.Split(',');
            Assert.Equal(3, bootstrap.Length);
            int[] children = [.. StartedLine().Matches(text).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))];
            Assert.Equal(3, children.Length);

            // Every port is distinct (no derived ports that could collide).
            string[] addresses = [.. PortLine().Matches(text).SelectMany(m => new[] { m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Value })];
            Assert.Equal(9, addresses.Distinct().Count());

            string broker = Loopback.Bootstrap(bootstrap[1]);
            var metadata = (await ClientProcess.RunAsync("kcat", ["-b", broker, "-L", "-m", "15"])).EnsureSuccess();
            Assert.Contains("3 brokers:", metadata.StandardOutput);

            using var records = new TempDirectory("dev-cluster-records");
            string input = Path.Combine(records.Path, "in.txt");
            await File.WriteAllLinesAsync(input, Enumerable.Range(0, 20).Select(i => $"record-{i}"));
            (await ClientProcess.RunAsync("kcat", ["-b", broker, "-P", "-t", "dev", "-X", "topic.request.required.acks=1"], new ClientProcessOptions { StandardInputFile = input })).EnsureSuccess();
            // kcat gives up on a topic the node does not know yet; every node's image has it moments after the produce.
            int consumerPort = int.Parse(bootstrap[2].Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
            await Wait.UntilAsync(async () => (await TestKafkaClient.MetadataAsync(consumerPort)).Topics.ContainsKey("dev"), "the consuming node knows the topic");
            var consumed = (await ClientProcess.RunAsync("kcat", ["-b", Loopback.Bootstrap(bootstrap[2]), "-C", "-t", "dev", "-o", "beginning", "-c", "20", "-e", "-m", "30"])).EnsureSuccess();
            Assert.Equal(Enumerable.Range(0, 20).Select(i => $"record-{i}"), consumed.OutputLines);

            Posix.Send(process.Id, Signal.Term);
            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            await process.WaitForExitAsync(exit.Token);
            Assert.Equal(0, process.ExitCode);
            Assert.All(children, pid => Assert.False(IsAlive(pid), $"node process {pid} still runs"));
        }
        finally
        {
            output.WriteLine(Text(lines).Length > 20_000 ? Text(lines)[^20_000..] : Text(lines));
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using Process p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static void Append(StringBuilder lines, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (lines)
        {
            lines.Append(line).Append('\n');
        }
    }

    private static string Text(StringBuilder lines)
    {
        lock (lines)
        {
            return lines.ToString();
        }
    }

    [GeneratedRegex(@"bootstrap servers: (\S+)")]
    private static partial Regex BootstrapLine();

    [GeneratedRegex(@"started node-\d \(pid (\d+)\)")]
    private static partial Regex StartedLine();

    [GeneratedRegex(@"^\s+\d\s+(127\.0\.0\.1:\d+)\s+(127\.0\.0\.1:\d+)\s+(127\.0\.0\.1:\d+)", RegexOptions.Multiline)]
    private static partial Regex PortLine();
}
