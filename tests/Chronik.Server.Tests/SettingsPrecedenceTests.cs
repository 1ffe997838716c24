using Chronik.Server.Configuration;
using Chronik.Broker.Configs;
using Microsoft.Extensions.Logging;

namespace Chronik.Server.Tests;

/// <summary>flag > CHRONIK_* environment > TOML file > default, for every source and several settings.</summary>
public class SettingsPrecedenceTests
{
    public static TheoryData<string, string, string, string> Settings => new()
    {
        // key, value in file, value in environment, value as flag (each distinct)
        { "kafka_port", "1001", "1002", "1003" },
        { "http_port", "2001", "2002", "2003" },
        { "node_id", "11", "12", "13" },
        { "data_dir", "file-dir", "env-dir", "flag-dir" },
        { "log_level", "debug", "warn", "error" },
        { "bind_addr", "10.0.0.1", "10.0.0.2", "10.0.0.3" },
        { "max_inflight_requests", "5", "6", "7" },
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public void Each_source_overrides_the_ones_below_it(string key, string inFile, string inEnv, string asFlag)
    {
        string flag = "--" + key.Replace('_', '-');
        string env = "CHRONIK_" + key.ToUpperInvariant();
        string toml = IsNumber(inFile) ? $"{key} = {inFile}\n" : $"{key} = \"{inFile}\"\n";

        using var sources = new SettingsSources();
        string config = sources.WriteConfig(toml);
        Assert.Equal(inFile, Read(sources.Load("--config", config), key, sources.Directory));

        sources.Environment[env] = inEnv;
        Assert.Equal(inEnv, Read(sources.Load("--config", config), key, sources.Directory));
        Assert.Equal(asFlag, Read(sources.Load("--config", config, flag, asFlag), key, sources.Directory));

        sources.Environment.Remove(env);
        Assert.Equal(asFlag, Read(sources.Load(flag, asFlag), key, sources.Directory));
        Assert.Equal(inFile, Read(sources.Load("--config", config), key, sources.Directory));
    }

    [Fact]
    public void Without_any_source_the_defaults_serve_localhost_9092_with_data_in_the_working_directory()
    {
        using var sources = new SettingsSources();
        var settings = sources.Load();

        Assert.Equal(ServerMode.Standalone, settings.Mode);
        Assert.Equal(1, settings.NodeId);
        Assert.Equal(new HostPort("0.0.0.0", 9092), settings.KafkaListen);
        Assert.Equal(new HostPort("localhost", 9092), settings.AdvertisedKafka);
        Assert.Equal(new HostPort("0.0.0.0", 9644), settings.HttpListen);
        Assert.Equal(new HostPort("127.0.0.1", 0), settings.RaftAddress); // standalone: a free loopback port picked at start
        Assert.Equal(Path.Combine(sources.Directory, "data"), settings.DataDirectory);
        Assert.Empty(settings.Peers);
        Assert.Equal(LogLevel.Information, settings.LogLevel);
        Assert.Equal(100, settings.MaxInFlightRequestsPerConnection);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.ShutdownTimeout);
        Assert.Null(settings.ConfigFile);
    }

    [Fact]
    public void The_config_file_path_may_come_from_CHRONIK_CONFIG()
    {
        using var sources = new SettingsSources();
        sources.Environment["CHRONIK_CONFIG"] = sources.WriteConfig("kafka_port = 4444\n");

        Assert.Equal(4444, sources.Load().KafkaListen.Port);
    }

    [Fact]
    public void Broker_configs_follow_the_same_precedence_and_report_their_source()
    {
        using var sources = new SettingsSources();
        string config = sources.WriteConfig("""
            [broker]
            "num.partitions" = 3
            log.retention.hours = 24
            auto.create.topics.enable = false
            log.cleanup.policy = ["compact", "delete"]
            """);

        var fromFile = sources.Load("--config", config).Broker;
        Assert.Equal(3, fromFile.GetInt32(BrokerConfigCatalog.NumPartitions));
        Assert.Equal(24, fromFile.GetInt32(BrokerConfigCatalog.LogRetentionHours));
        Assert.False(fromFile.GetBoolean(BrokerConfigCatalog.AutoCreateTopicsEnable));
        Assert.Equal(["compact", "delete"], fromFile.GetList(BrokerConfigCatalog.LogCleanupPolicy));
        Assert.Equal("compact,delete", fromFile[BrokerConfigCatalog.LogCleanupPolicy].Value);
        Assert.Equal(BrokerConfigSource.StaticBrokerConfig, fromFile[BrokerConfigCatalog.NumPartitions].Source);

        sources.Environment["CHRONIK_BROKER_NUM_PARTITIONS"] = "4";
        Assert.Equal(4, sources.Load("--config", config).Broker.GetInt32(BrokerConfigCatalog.NumPartitions));
        Assert.Equal(5, sources.Load("--config", config, "--override", "num.partitions=5").Broker.GetInt32(BrokerConfigCatalog.NumPartitions));

        var defaults = sources.Load().Broker;
        Assert.Equal(BrokerConfigSource.StaticBrokerConfig, defaults[BrokerConfigCatalog.NumPartitions].Source);
        Assert.Equal(BrokerConfigSource.DefaultConfig, defaults[BrokerConfigCatalog.MessageMaxBytes].Source);
        Assert.Equal(1048588, defaults.GetInt32(BrokerConfigCatalog.MessageMaxBytes));
        Assert.Equal(104857600, defaults.GetInt32(BrokerConfigCatalog.SocketRequestMaxBytes));
        Assert.Equal(600000L, defaults.GetInt64(BrokerConfigCatalog.ConnectionsMaxIdleMs));
        Assert.Null(defaults.GetString(BrokerConfigCatalog.BrokerRack));
        Assert.Null(defaults.GetOptional<long>(BrokerConfigCatalog.LogRetentionMs));
    }

    [Fact]
    public void Internal_topics_default_to_one_replica_in_standalone_mode_and_to_Kafkas_three_in_a_cluster()
    {
        using var sources = new SettingsSources();

        Assert.Equal((short)1, sources.Load().Broker.GetInt16(BrokerConfigCatalog.OffsetsTopicReplicationFactor));
        var cluster = sources.Load("--node-id", "1", "raft-cluster", "--peers", "2@h2:9093,3@h3:9093").Broker;
        Assert.Equal((short)3, cluster.GetInt16(BrokerConfigCatalog.OffsetsTopicReplicationFactor));
        Assert.Equal(2, cluster.GetInt32(BrokerConfigCatalog.TransactionStateLogMinIsr));
    }

    [Fact]
    public void Every_catalog_default_parses_as_its_own_type()
    {
        foreach (var definition in BrokerConfigCatalog.All)
        {
            if (definition.Default is not null)
            {
                Assert.True(definition.TryParse(definition.Default, out _, out string problem), $"{definition.Name}: {problem}");
            }
        }

        Assert.Equal(BrokerConfigCatalog.All.Select(d => d.Name).Order(StringComparer.Ordinal), BrokerConfigCatalog.All.Select(d => d.Name));
    }

    private static bool IsNumber(string text) => long.TryParse(text, out _);

    private static string Read(ServerSettings settings, string key, string directory) => key switch
    {
        "kafka_port" => settings.KafkaListen.Port.ToString(),
        "http_port" => settings.HttpListen.Port.ToString(),
        "node_id" => settings.NodeId.ToString(),
        "data_dir" => Path.GetRelativePath(directory, settings.DataDirectory),
        "log_level" => settings.LogLevel switch
        {
            LogLevel.Debug => "debug",
            LogLevel.Warning => "warn",
            LogLevel.Error => "error",
            var other => other.ToString(),
        },
        "bind_addr" => settings.KafkaListen.Host,
        "max_inflight_requests" => settings.MaxInFlightRequestsPerConnection.ToString(),
        _ => throw new ArgumentOutOfRangeException(nameof(key)),
    };
}
