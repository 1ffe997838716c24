using System.Net;
using System.Net.Sockets;
using Chronik.Server.Cli;
using Chronik.Server.Configuration;
using Chronik.Server.DevCluster;
using Chronik.Testing;

namespace Chronik.Server.Tests;

/// <summary>`dev-cluster`: its command line, its port layout and the arguments each node gets.</summary>
public class DevClusterTests
{
    private static DevClusterOptions Parse(params string[] args)
    {
        var commandLine = new ServerCommandLine();
        var parse = commandLine.Parse(args);
        Assert.Empty(parse.Errors);
        Assert.True(commandLine.IsDevCluster(parse));
        return commandLine.ToDevClusterOptions(parse, "/work");
    }

    [Fact]
    public void Defaults_are_three_nodes_on_free_ports_in_dev_cluster()
    {
        DevClusterOptions options = Parse("dev-cluster");
        Assert.Equal((3, (int?)null, "/work/dev-cluster"), (options.Nodes, options.BasePort, options.DataDirectory));
        Assert.Empty(options.NodeArguments);
    }

    [Fact]
    public void Other_global_flags_go_to_every_node_and_per_node_settings_are_refused()
    {
        DevClusterOptions options = Parse("--log-level", "warn", "dev-cluster", "--nodes", "5", "--base-port", "20000", "--data-dir", "c", "--override", "num.partitions=3");
        Assert.Equal((5, (int?)20000, "/work/c"), (options.Nodes, options.BasePort, options.DataDirectory));
        Assert.Equal(["--log-level", "warn", "--override", "num.partitions=3"], options.NodeArguments);

        var commandLine = new ServerCommandLine();
        foreach (string[] args in new[] { ["dev-cluster", "--kafka-port", "9092"], ["--node-id", "2", "dev-cluster"], new[] { "dev-cluster", "--raft-addr", "h:1" } })
        {
            var parse = commandLine.Parse(args);
            Assert.Contains("dev-cluster chooses", Assert.Throws<ConfigurationException>(() => commandLine.ToDevClusterOptions(parse, "/work")).Message);
        }

        Assert.Contains("--nodes", Assert.Throws<ConfigurationException>(() => commandLine.ToDevClusterOptions(commandLine.Parse(["dev-cluster", "--nodes", "0"]), "/work")).Message);
    }

    [Fact]
    public void A_base_port_gives_each_node_its_own_three_consecutive_ports()
    {
        int basePort = FreeBlock(9);
        IReadOnlyList<NodePorts> ports = DevClusterPorts.Allocate(3, basePort);
        Assert.Equal(
            [new NodePorts(1, basePort, basePort + 1, basePort + 2), new NodePorts(2, basePort + 3, basePort + 4, basePort + 5), new NodePorts(3, basePort + 6, basePort + 7, basePort + 8)],
            ports);
    }

    [Fact]
    public void A_taken_port_of_the_block_is_named()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var error = Assert.Throws<DevClusterException>(() => DevClusterPorts.Allocate(2, port));
        Assert.Contains($"port {port}", error.Message);
        Assert.Contains("1024-65535", Assert.Throws<DevClusterException>(() => DevClusterPorts.Allocate(3, 65530)).Message);
    }

    [Fact]
    public void Free_ports_are_all_distinct()
    {
        IReadOnlyList<NodePorts> ports = DevClusterPorts.Allocate(5, null);
        Assert.Equal(15, ports.SelectMany(p => new[] { p.Kafka, p.Http, p.Raft }).Distinct().Count());
    }

    [Fact]
    public void Each_node_gets_its_ports_explicitly_the_others_as_peers_and_user_overrides_last()
    {
        var options = new DevClusterOptions { Nodes = 3, DataDirectory = "/d", NodeArguments = ["--override", "default.replication.factor=1"] };
        NodePorts[] ports = [new(1, 100, 101, 102), new(2, 200, 201, 202), new(3, 300, 301, 302)];
        List<List<string>> args = DevClusterRunner.NodeArguments(options, ports);

        List<string> second = args[1];
        Assert.Equal("2", After(second, "--node-id"));
        Assert.Equal(Path.Combine("/d", "node-2"), After(second, "--data-dir"));
        Assert.Equal(("200", "201", "127.0.0.1:200"), (After(second, "--kafka-port"), After(second, "--http-port"), After(second, "--advertised-addr")));
        Assert.Equal(("127.0.0.1:202", "1@127.0.0.1:102,3@127.0.0.1:302"), (After(second, "--raft-addr"), After(second, "--peers")));
        Assert.Contains("raft-cluster", second);

        // dev-cluster's replication defaults first, the user's override after them (the last one wins).
        int ours = second.IndexOf("default.replication.factor=3");
        int theirs = second.IndexOf("default.replication.factor=1");
        Assert.True(ours >= 0 && theirs > ours);

        List<string> single = DevClusterRunner.NodeArguments(new DevClusterOptions { Nodes = 1, DataDirectory = "/d" }, [ports[0]])[0];
        Assert.Contains("standalone", single);
        Assert.DoesNotContain("--peers", single);
    }

    private static string After(List<string> args, string flag) => args[args.IndexOf(flag) + 1];

    /// <summary>A base port whose block of <paramref name="count"/> ports is free right now.</summary>
    private static int FreeBlock(int count)
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            int candidate = FreePort.Next();
            if (candidate + count < 65535 && Enumerable.Range(candidate, count).All(IsFree))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("no free block of ports");
    }

    private static bool IsFree(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        try
        {
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        finally
        {
            listener.Stop();
        }
    }
}
