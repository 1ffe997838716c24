using Chronik.Server.Cli;
using Chronik.Server.Configuration;
using Chronik.Broker.Configs;

namespace Chronik.Server.Tests;

public class CommandLineTests
{
    [Fact]
    public void Global_flags_work_before_and_after_the_subcommand()
    {
        using var sources = new SettingsSources();
        string[] peers = ["--raft-addr", "127.0.0.1:19093", "--peers", "1@127.0.0.1:29093,3@127.0.0.1:39093"];

        var before = sources.Load(["--node-id", "2", "--kafka-port", "9094", "--data-dir", "d2", "raft-cluster", .. peers]);
        var after = sources.Load(["raft-cluster", .. peers, "--node-id", "2", "--kafka-port", "9094", "--data-dir", "d2"]);

        foreach (var settings in new[] { before, after })
        {
            Assert.Equal(ServerMode.RaftCluster, settings.Mode);
            Assert.Equal(2, settings.NodeId);
            Assert.Equal(9094, settings.KafkaListen.Port);
            Assert.EndsWith("d2", settings.DataDirectory, StringComparison.Ordinal);
            Assert.Equal(2, settings.Peers.Count);
        }
    }

    [Theory]
    [InlineData(new string[0], ServerMode.Standalone)]
    [InlineData(new[] { "standalone" }, ServerMode.Standalone)]
    [InlineData(new[] { "--http-port", "1234", "standalone", "--kafka-port", "4321" }, ServerMode.Standalone)]
    public void Standalone_is_the_default_mode(string[] args, ServerMode mode)
    {
        using var sources = new SettingsSources();
        Assert.Equal(mode, sources.Load(args).Mode);
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("standalone", "--peers", "2@h:1")]
    [InlineData("--kafka-port")]
    [InlineData("--node-id", "1", "--node-id", "2")]
    [InlineData("extra")]
    public void Unknown_or_malformed_arguments_are_parse_errors(params string[] args)
    {
        var result = new ServerCommandLine().Parse(args);
        Assert.NotEmpty(result.Errors);
    }

    [Fact]
    public void Overrides_repeat_and_may_follow_the_subcommand()
    {
        using var sources = new SettingsSources();
        var settings = sources.Load("--override", "num.partitions=3", "standalone", "--override", "message.max.bytes=2000000");

        Assert.Equal(3, settings.Broker.GetInt32(BrokerConfigCatalog.NumPartitions));
        Assert.Equal(2000000, settings.Broker.GetInt32(BrokerConfigCatalog.MessageMaxBytes));
    }

    [Fact]
    public void Help_is_an_action_not_an_error()
    {
        var result = new ServerCommandLine().Parse(["--help"]);
        Assert.Empty(result.Errors);
        Assert.NotSame(result.CommandResult.Command.Action, result.Action);
    }
}
