using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Chronik.Testing;
using Xunit.Abstractions;

namespace Chronik.Compat;

/// <summary>
/// Follows README.md's "Quick start" as written: its `dotnet run` line starts the broker (with port,
/// bind and data-dir flags appended, since tests never take the fixed default ports or 0.0.0.0), then
/// its kcat produce and consume lines run with localhost:9092 replaced by the broker's loopback port.
/// </summary>
public sealed partial class ReadmeQuickStartTests(ITestOutputHelper output)
{
    private const string DefaultBootstrap = "localhost:9092";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task Quick_start_commands_start_a_broker_and_kcat_produces_and_consumes()
    {
        var commands = QuickStartCommands();
        output.WriteLine("README quick start commands:\n  " + string.Join("\n  ", commands));
        string start = commands.SingleOrDefault(c => c.StartsWith("dotnet run", StringComparison.Ordinal))
            ?? throw new Xunit.Sdk.XunitException("README.md's Quick start has no `dotnet run` line starting the broker");
        string? produce = commands.FirstOrDefault(c => KcatMode(c) == "-P");
        string? consume = commands.FirstOrDefault(c => KcatMode(c) == "-C");
        Assert.True(
            produce is not null && consume is not null,
            "README.md's Quick start must show producing and consuming with kcat (a `kcat -b localhost:9092 ... -P` line and a `kcat ... -C` line); it has: " + string.Join(" | ", commands));

        using var data = new TempDirectory("readme");
        int[] ports = FreePort.Next(3);
        string bootstrap = Loopback.Address(ports[0]);
        string flags = string.Create(CultureInfo.InvariantCulture, $"--kafka-port {ports[0]} --http-port {ports[1]} --raft-addr {Loopback.Address(ports[2])} --bind-addr {Loopback.Host} --http-bind {Loopback.Host} --data-dir {data.Path}");
        string startWithFlags = start.Contains(" -- ", StringComparison.Ordinal) ? $"{start} {flags}" : $"{start} -- {flags}";

        using var server = StartShell(startWithFlags, RepositoryLayout.Root);
        try
        {
            await WaitUntilReadyAsync(server.Process, server.Output, ports[1]);
            var produced = await RunShellAsync(Localize(produce!, bootstrap), data.Path);
            Assert.True(produced.ExitCode == 0, $"README produce command failed: {produced}");
            var consumed = await RunShellAsync(Localize(consume!, bootstrap), data.Path);
            Assert.True(consumed.ExitCode == 0, $"README consume command failed: {consumed}");
            output.WriteLine($"consumed:\n{consumed.StandardOutput}");

            var payloads = QuotedPayloads(produce!);
            Assert.NotEmpty(consumed.OutputLines);
            foreach (string payload in payloads)
            {
                Assert.Contains(payload, consumed.StandardOutput, StringComparison.Ordinal);
            }
        }
        finally
        {
            server.Process.Kill(entireProcessTree: true);
            await server.Process.WaitForExitAsync();
        }
    }

    /// <summary>The indented command lines (4 spaces) under "## Quick start", up to the next "## " heading.</summary>
    internal static List<string> QuickStartCommands()
    {
        var commands = new List<string>();
        bool inSection = false;
        foreach (string line in File.ReadLines(RepositoryLayout.InRepository("README.md")))
        {
            if (line.StartsWith("## ", StringComparison.Ordinal))
            {
                inSection = line.Trim().Equals("## Quick start", StringComparison.OrdinalIgnoreCase);
                continue;
            }

            if (inSection && line.StartsWith("    ", StringComparison.Ordinal) && line.Trim().Length > 0)
            {
                commands.Add(line.Trim());
            }
        }

        return commands;
    }

    /// <summary>"-P" or "-C" for a kcat command line, null for anything else.</summary>
    private static string? KcatMode(string command)
    {
        if (!KcatWord().IsMatch(command))
        {
            return null;
        }

        string[] words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return words.Contains("-P") ? "-P" : words.Contains("-C") ? "-C" : null;
    }

    /// <summary>Replaces the README's default bootstrap with the test broker's, then checks every -b is loopback.</summary>
    private static string Localize(string command, string bootstrap)
    {
        string localized = command.Replace(DefaultBootstrap, bootstrap, StringComparison.Ordinal);
        foreach (Match match in BrokerFlag().Matches(localized))
        {
            Loopback.Bootstrap(match.Groups[1].Value);
        }

        if (!BrokerFlag().IsMatch(localized))
        {
            throw new Xunit.Sdk.XunitException($"README kcat command without -b {DefaultBootstrap}: {command}");
        }

        return localized;
    }

    /// <summary>Text in single or double quotes on a produce line (what `echo '...' | kcat -P` sends).</summary>
    private static List<string> QuotedPayloads(string command) =>
        QuotedText().Matches(command).Select(m => m.Groups[2].Value).Where(v => v.Length > 0 && !v.StartsWith('-')).ToList();

    private static async Task<ClientProcessResult> RunShellAsync(string command, string workingDirectory) =>
        await ClientProcess.RunAsync("bash", ["-c", command], new ClientProcessOptions { WorkingDirectory = workingDirectory, Timeout = TimeSpan.FromMinutes(1) });

    private static RunningShell StartShell(string command, string workingDirectory)
    {
        var info = new ProcessStartInfo("bash")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(command);
        foreach (string key in info.Environment.Keys.Where(k => k.StartsWith("CHRONIK_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(key);
        }

        var process = new Process { StartInfo = info };
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new RunningShell(process, output);
    }

    private static void Append(StringBuilder builder, string? line)
    {
        if (line is not null)
        {
            lock (builder)
            {
                builder.Append(line).Append('\n');
            }
        }
    }

    private static async Task WaitUntilReadyAsync(Process process, StringBuilder output, int httpPort)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new Xunit.Sdk.XunitException($"the README's start command exited with {process.ExitCode}:\n{Snapshot(output)}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri($"http://{Loopback.Host}:{httpPort}/health/ready"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"the README's broker was not ready within {StartTimeout}:\n{Snapshot(output)}");
    }

    private static string Snapshot(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    [GeneratedRegex(@"(^|[\s|;&])kcat\s")]
    private static partial Regex KcatWord();

    [GeneratedRegex(@"-b\s+(\S+)")]
    private static partial Regex BrokerFlag();

    [GeneratedRegex(@"(['""])(.*?)\1")]
    private static partial Regex QuotedText();

    private sealed record RunningShell(Process Process, StringBuilder Output) : IDisposable
    {
        public void Dispose() => Process.Dispose();
    }
}
