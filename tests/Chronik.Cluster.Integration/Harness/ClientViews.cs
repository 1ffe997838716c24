using System.Text.Json;
using Chronik.Testing;
using Confluent.Kafka;

namespace Chronik.Cluster.Integration.Harness;

/// <summary>What real clients see when they bootstrap from one node: broker ids, controller and topics.</summary>
public sealed record ClientView(string Client, IReadOnlyList<int> Brokers, int ControllerId, IReadOnlyList<string> Topics);

/// <summary>kcat, kafka-python and Confluent.Kafka, each bootstrapped from a single node's address.</summary>
public static class ClientViews
{
    /// <summary>`kcat -L -J` against <paramref name="bootstrap"/> only.</summary>
    public static async Task<ClientView> KcatAsync(string bootstrap)
    {
        var result = (await ClientProcess.RunAsync("kcat", ["-b", Loopback.Bootstrap(bootstrap), "-L", "-J", "-m", "15"], new ClientProcessOptions { Timeout = TimeSpan.FromSeconds(60) })).EnsureSuccess();
        using JsonDocument json = JsonDocument.Parse(result.StandardOutput);
        JsonElement root = json.RootElement;
        return new ClientView(
            "kcat",
            [.. root.GetProperty("brokers").EnumerateArray().Select(b => b.GetProperty("id").GetInt32()).Order()],
            root.TryGetProperty("controllerid", out JsonElement controller) ? controller.GetInt32() : -1,
            [.. root.GetProperty("topics").EnumerateArray().Select(t => t.GetProperty("topic").GetString()!).Order(StringComparer.Ordinal)]);
    }

    /// <summary>kafka-python 2.0.2 (Debian's /usr/bin/python3): KafkaAdminClient.describe_cluster and list_topics.</summary>
    public static async Task<ClientView> KafkaPythonAsync(string bootstrap)
    {
        const string Script = """
            import json, sys
            from kafka import KafkaAdminClient
            admin = KafkaAdminClient(bootstrap_servers=sys.argv[1], request_timeout_ms=30000, api_version_auto_timeout_ms=30000)
            cluster = admin.describe_cluster()
            print(json.dumps({"brokers": sorted(b["node_id"] for b in cluster["brokers"]), "controller": cluster["controller_id"], "topics": sorted(admin.list_topics())}))
            admin.close()
            """;
        var result = (await ClientProcess.RunAsync("/usr/bin/python3", ["-c", Script, Loopback.Bootstrap(bootstrap)], new ClientProcessOptions { Timeout = TimeSpan.FromSeconds(90) })).EnsureSuccess();
        using JsonDocument json = JsonDocument.Parse(result.OutputLines[^1]);
        JsonElement root = json.RootElement;
        return new ClientView(
            "kafka-python",
            [.. root.GetProperty("brokers").EnumerateArray().Select(b => b.GetInt32())],
            root.GetProperty("controller").GetInt32(),
            [.. root.GetProperty("topics").EnumerateArray().Select(t => t.GetString()!).Order(StringComparer.Ordinal)]);
    }

    /// <summary>Confluent.Kafka's AdminClient.GetMetadata (librdkafka 2.16, loaded as Confluent.Kafka.targets arranges).</summary>
    public static ClientView Confluent(string bootstrap)
    {
        using IAdminClient admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = Loopback.Bootstrap(bootstrap) }).Build();
        Metadata metadata = admin.GetMetadata(TimeSpan.FromSeconds(30));
        return new ClientView(
            "Confluent.Kafka",
            [.. metadata.Brokers.Select(b => b.BrokerId).Order()],
            -1,
            [.. metadata.Topics.Where(t => !t.Error.IsError).Select(t => t.Topic).Order(StringComparer.Ordinal)]);
    }
}
