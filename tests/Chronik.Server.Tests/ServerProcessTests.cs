using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Chronik.Testing;

namespace Chronik.Server.Tests;

/// <summary>The real chronik-server executable as a child process: exit codes, one-line errors, HTTP, SIGTERM.</summary>
public class ServerProcessTests
{
    [Fact]
    public async Task Help_prints_the_flags_and_subcommands_and_exits_0()
    {
        var run = await ProcessRun.RunAsync(["--help"]);

        Assert.Equal(0, run.ExitCode);
        foreach (string expected in new[] { "--kafka-port", "--advertised-addr", "--config", "--override", "raft-cluster", "standalone", "CHRONIK_KAFKA_PORT" })
        {
            Assert.Contains(expected, run.StandardOutput, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("chronik-server: --kafka-port: 'abc' is not a port number (1-65535)", "--kafka-port", "abc")]
    [InlineData("chronik-server: Unrecognized command or argument '--bogus'. (see chronik-server --help)", "--bogus")]
    public async Task A_bad_flag_or_value_exits_2_with_one_line_naming_it(string expected, params string[] args)
    {
        var run = await ProcessRun.RunAsync(args);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(expected + "\n", run.StandardError);
    }

    [Fact]
    public async Task An_unknown_key_in_the_config_file_exits_2_naming_it()
    {
        using var dir = new TempDirectory("config");
        string config = Path.Combine(dir.Path, "chronik.toml");
        await File.WriteAllTextAsync(config, "kafka_port = 19092\nlisteners = \"PLAINTEXT://:9092\"\n");

        var run = await ProcessRun.RunAsync(["--config", config]);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"chronik-server: config file '{config}': unknown key 'listeners'\n", run.StandardError);
    }

    [Fact]
    public async Task A_bad_environment_value_exits_2_naming_the_variable()
    {
        var run = await ProcessRun.RunAsync([], new Dictionary<string, string?> { ["CHRONIK_HTTP_PORT"] = "http" });

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("chronik-server: CHRONIK_HTTP_PORT: 'http' is not a port number (1-65535)\n", run.StandardError);
    }

    [Theory]
    [InlineData("kafka")]
    [InlineData("http")]
    public async Task A_port_in_use_exits_1_with_one_line_naming_the_setting(string taken)
    {
        using var dir = new TempDirectory("port");
        using var blocker = new TcpListener(IPAddress.Loopback, 0);
        blocker.Start();
        int blocked = ((IPEndPoint)blocker.LocalEndpoint).Port;
        int free = FreePort.Next();
        (int kafka, int http) = taken == "kafka" ? (blocked, free) : (free, blocked);

        var run = await ProcessRun.RunAsync(
            ["--bind-addr", "127.0.0.1", "--http-bind", "127.0.0.1", "--kafka-port", $"{kafka}", "--http-port", $"{http}", "--data-dir", dir.Path]);

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(
            $"chronik-server: {taken} port {blocked} is in use; set --{taken}-port (or CHRONIK_{taken.ToUpperInvariant()}_PORT / {taken}_port in the config file) to a free port\n",
            run.StandardError);
    }

    [Fact]
    public async Task A_running_node_answers_health_and_metrics_and_exits_0_on_SIGTERM()
    {
        await using var broker = await BrokerProcess.StartAsync(new BrokerProcessOptions { WaitForReady = true });

        using (var live = await broker.Http.GetAsync("health/live"))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }

        // A standalone node is ready once its quorum of one elected it and it registered itself.
        using (var ready = await broker.Http.GetAsync("health/ready"))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        using (var metrics = await broker.Http.GetAsync("metrics"))
        {
            Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
            Assert.Equal("text/plain; version=0.0.4; charset=utf-8", metrics.Content.Headers.ContentType!.ToString());
            string text = await metrics.Content.ReadAsStringAsync();
            Assert.Contains("chronik_kafka_connections_open 0\n", text, StringComparison.Ordinal);
            Assert.Contains("# TYPE chronik_kafka_request_duration_seconds histogram\n", text, StringComparison.Ordinal);
            Assert.Contains("dotnet_process_memory_working_set_bytes", text, StringComparison.Ordinal);
        }

        Assert.True(Directory.Exists(broker.DataDirectory));
        broker.Send(Signal.Term);
        Assert.Equal(0, await broker.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        Assert.Contains("chronik-server stopped", broker.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Settings_from_the_environment_reach_the_running_node()
    {
        using var dir = new TempDirectory("env");
        int[] ports = FreePort.Next(2);
        var info = ServerExecutable.CreateStartInfo([]);
        info.WorkingDirectory = dir.Path;
        info.Environment["CHRONIK_KAFKA_PORT"] = $"{ports[0]}";
        info.Environment["CHRONIK_HTTP_PORT"] = $"{ports[1]}";
        info.Environment["CHRONIK_BIND_ADDR"] = "127.0.0.1";
        info.Environment["CHRONIK_HTTP_BIND"] = "127.0.0.1";
        using var process = Process.Start(info)!;
        try
        {
            process.StandardInput.Close();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ports[1]}/") };
            await Wait.UntilAsync(() => Responds(http) && Accepts(ports[0]), "the node listens on the ports from the environment", TimeSpan.FromSeconds(60));

            // No --data-dir: ./data in the working directory.
            Assert.True(Directory.Exists(Path.Combine(dir.Path, "data")));
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    private static bool Responds(HttpClient http)
    {
        try
        {
            using var response = http.GetAsync("health/live").GetAwaiter().GetResult();
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private static bool Accepts(int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
