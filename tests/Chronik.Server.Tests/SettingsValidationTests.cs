using Chronik.Server.Configuration;

namespace Chronik.Server.Tests;

/// <summary>Bad input names its source in one line.</summary>
public class SettingsValidationTests
{
    [Fact]
    public void A_bad_port_names_the_flag_the_variable_or_the_file_key()
    {
        using var sources = new SettingsSources();
        Assert.Equal("--kafka-port: 'abc' is not a port number (1-65535)", sources.Error("--kafka-port", "abc"));

        sources.Environment["CHRONIK_KAFKA_PORT"] = "70000";
        Assert.Equal("CHRONIK_KAFKA_PORT: '70000' is not a port number (1-65535)", sources.Error());
        sources.Environment.Clear();

        string config = sources.WriteConfig("kafka_port = 0\n");
        Assert.Equal($"kafka_port in '{config}': '0' is not a port number (1-65535)", sources.Error("--config", config));
    }

    [Fact]
    public void An_unknown_key_in_the_file_is_refused_with_a_suggestion()
    {
        using var sources = new SettingsSources();
        string config = sources.WriteConfig("kafka_prot = 9092\n");

        string message = sources.Error("--config", config);

        Assert.Equal($"config file '{config}': unknown key 'kafka_prot' (did you mean 'kafka_port'?)", message);
    }

    [Fact]
    public void An_unknown_broker_config_is_refused_wherever_it_comes_from()
    {
        using var sources = new SettingsSources();
        string config = sources.WriteConfig("[broker]\nnum.partition = 3\n");
        Assert.Contains("unknown Kafka broker config 'num.partition' in [broker] (did you mean 'num.partitions'?)", sources.Error("--config", config), StringComparison.Ordinal);
        Assert.Equal("--override: 'num.partition' is not a Kafka broker config Chronik knows (did you mean 'num.partitions'?)", sources.Error("--override", "num.partition=3"));

        sources.Environment["CHRONIK_BROKER_NUM_PARTITION"] = "3";
        Assert.StartsWith("CHRONIK_BROKER_NUM_PARTITION: not a Kafka broker config", sources.Error(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("num.partitions=0", "--override num.partitions: '0' is below the minimum 1")]
    [InlineData("auto.create.topics.enable=yes", "--override auto.create.topics.enable: 'yes' is not a boolean (true or false)")]
    [InlineData("log.segment.bytes=1000", "--override log.segment.bytes: '1000' is below the minimum 1048576")]
    [InlineData("compression.type=brotli", "--override compression.type: 'brotli' is not one of uncompressed, zstd, lz4, snappy, gzip, producer")]
    [InlineData("offsets.topic.replication.factor=40000", "--override offsets.topic.replication.factor: '40000' is above the maximum 32767")]
    [InlineData("num.partitions", "--override: 'num.partitions' is not KEY=VALUE")]
    public void A_bad_broker_config_value_is_refused(string item, string expected)
    {
        using var sources = new SettingsSources();
        Assert.Equal(expected, sources.Error("--override", item));
    }

    [Fact]
    public void A_toml_syntax_error_is_one_line()
    {
        using var sources = new SettingsSources();
        string config = sources.WriteConfig("kafka_port = = 1\n");

        string message = sources.Error("--config", config);

        Assert.StartsWith($"config file '{config}': ", message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', message);
    }

    [Fact]
    public void A_missing_config_file_is_named()
    {
        using var sources = new SettingsSources();
        Assert.StartsWith("--config: config file '", sources.Error("--config", "nope.toml"), StringComparison.Ordinal);
    }

    [Fact]
    public void Two_settings_with_the_same_port_are_refused()
    {
        using var sources = new SettingsSources();
        Assert.Equal("--http-port: port 9092 is also the kafka_port port; every port needs its own value", sources.Error("--http-port", "9092"));
        Assert.Equal(
            "--raft-addr: port 9092 is also the kafka_port port; every port needs its own value",
            sources.Error("--raft-addr", "localhost:9092"));
    }

    [Theory]
    [InlineData("broker1.example.com", "broker1.example.com", 9092)]
    [InlineData("broker1:19092", "broker1", 19092)]
    [InlineData("[::1]:19092", "::1", 19092)]
    [InlineData("::1", "::1", 9092)]
    [InlineData("127.0.0.1", "127.0.0.1", 9092)]
    public void The_advertised_address_takes_the_kafka_port_unless_it_names_one(string text, string host, int port)
    {
        using var sources = new SettingsSources();
        Assert.Equal(new HostPort(host, port), sources.Load("--advertised-addr", text).AdvertisedKafka);
    }

    [Fact]
    public void The_advertised_address_follows_a_specific_bind_address_and_refuses_wildcards()
    {
        using var sources = new SettingsSources();
        Assert.Equal(new HostPort("10.1.2.3", 9092), sources.Load("--bind-addr", "10.1.2.3").AdvertisedKafka);
        Assert.Equal("--advertised-addr: '0.0.0.0' is a wildcard address; clients cannot connect to it", sources.Error("--advertised-addr", "0.0.0.0"));
        Assert.Equal("--advertised-addr: 'host:x' has 'x' as port, which is not a port number (1-65535)", sources.Error("--advertised-addr", "host:x"));
    }

    [Fact]
    public void Raft_cluster_needs_a_node_id_and_peers_and_checks_them()
    {
        using var sources = new SettingsSources();
        Assert.StartsWith("raft-cluster needs this node's id", sources.Error("raft-cluster", "--peers", "2@h2:9093"), StringComparison.Ordinal);
        Assert.StartsWith("raft-cluster needs the other voters", sources.Error("--node-id", "1", "raft-cluster"), StringComparison.Ordinal);
        Assert.Equal("--peers: 'x@h2:9093' is not ID@HOST:PORT", sources.Error("--node-id", "1", "raft-cluster", "--peers", "x@h2:9093"));
        Assert.Equal("--peers: '2@h2' has no port (expected HOST:PORT)", sources.Error("--node-id", "1", "raft-cluster", "--peers", "2@h2"));
        Assert.Equal("--peers: node id 2 is listed twice", sources.Error("--node-id", "1", "raft-cluster", "--peers", "2@h2:9093,2@h3:9093"));
        Assert.Equal(
            "--peers: '1@h9:9093' has this node's id 1 but not its raft_addr h1:9093",
            sources.Error("--node-id", "1", "raft-cluster", "--raft-addr", "h1:9093", "--peers", "1@h9:9093,2@h2:9093"));

        var settings = sources.Load("--node-id", "1", "raft-cluster", "--raft-addr", "h1:9093", "--peers", "1@h1:9093, 2@h2:9093,3@[::1]:9095");
        Assert.Equal(ServerMode.RaftCluster, settings.Mode);
        Assert.Equal([new RaftPeer(2, new HostPort("h2", 9093)), new RaftPeer(3, new HostPort("::1", 9095))], settings.Peers);
    }

    [Fact]
    public void Peers_from_the_environment_or_file_are_refused_in_standalone_mode()
    {
        using var sources = new SettingsSources();
        sources.Environment["CHRONIK_PEERS"] = "2@h2:9093";

        Assert.StartsWith("CHRONIK_PEERS: peers are only used by the raft-cluster subcommand", sources.Error(), StringComparison.Ordinal);
    }

    [Fact]
    public void Join_is_a_raft_cluster_switch_from_the_flag_the_environment_or_the_file()
    {
        using var sources = new SettingsSources();
        string[] joining = ["--node-id", "4", "raft-cluster", "--raft-addr", "h4:9093", "--peers", "1@h1:9093,2@h2:9093,3@h3:9093"];
        Assert.False(sources.Load(joining).Join);
        Assert.True(sources.Load([.. joining, "--join"]).Join);
        Assert.True(sources.Load(["--node-id", "4", "raft-cluster", "--join", "--raft-addr", "h4:9093", "--peers", "1@h1:9093"]).Join);
        Assert.False(sources.Load([.. joining, "--join", "false"]).Join);
        Assert.Equal("--join: 'maybe' is not true or false", sources.Error([.. joining, "--join", "maybe"]));

        sources.Environment["CHRONIK_JOIN"] = "true";
        Assert.True(sources.Load(joining).Join);
        Assert.StartsWith("CHRONIK_JOIN: join is only used by the raft-cluster subcommand", sources.Error(), StringComparison.Ordinal);
        sources.Environment.Remove("CHRONIK_JOIN");

        string config = sources.WriteConfig("join = true\n");
        Assert.True(sources.Load(["--config", config, .. joining]).Join);
    }

    [Fact]
    public void Peers_may_be_a_toml_array()
    {
        using var sources = new SettingsSources();
        string config = sources.WriteConfig("node_id = 3\npeers = [\"1@h1:9093\", \"2@h2:9093\"]\n");

        Assert.Equal(2, sources.Load("--config", config, "raft-cluster").Peers.Count);
    }

    [Fact]
    public void An_unknown_CHRONIK_variable_is_a_warning_not_an_error()
    {
        using var sources = new SettingsSources();
        sources.Environment["CHRONIK_KAFKA_PROT"] = "1";

        var settings = sources.Load();

        Assert.Equal(["environment variable CHRONIK_KAFKA_PROT is not a chronik-server setting and is ignored (did you mean 'CHRONIK_KAFKA_PORT'?)"], settings.Warnings);
    }

    [Theory]
    [InlineData("--log-level", "loud", "--log-level: 'loud' is not a log level (trace, debug, info, warn, error, critical, none)")]
    [InlineData("--log-format", "xml", "--log-format: 'xml' is not a log format (text, json)")]
    [InlineData("--node-id", "-1", "--node-id: '-1' is not a node id (0-2147483647)")]
    [InlineData("--max-inflight-requests", "0", "--max-inflight-requests: '0' is not a request count (1-100000)")]
    [InlineData("--bind-addr", "not a host", "--bind-addr: 'not a host' is not a host name or IP address")]
    [InlineData("--raft-addr", "0.0.0.0:9093", "--raft-addr: '0.0.0.0:9093' is a wildcard address; other nodes cannot connect to it")]
    public void Bad_values_name_the_flag(string flag, string value, string expected)
    {
        using var sources = new SettingsSources();
        Assert.Equal(expected, sources.Error(flag, value));
    }
}
