using System.Diagnostics;
using System.Text;
using Chronik.Testing;

namespace Chronik.Broker.Tests.Admin;

/// <summary>
/// kafka-python's KafkaAdminClient (Debian python3-kafka 2.0.2, run with /usr/bin/python3) against a
/// chronik-server child process: the script asserts each step and prints OK lines.
/// </summary>
[Collection(ChronikServerCollection.Name)]
public class KafkaPythonAdminTests(ChronikServerFixture server)
{
    private const string Python = "/usr/bin/python3";

    private const string Script = """
        import sys
        from kafka.admin import KafkaAdminClient, NewTopic, NewPartitions, ConfigResource, ConfigResourceType
        from kafka.errors import InvalidConfigurationError, TopicAlreadyExistsError, InvalidPartitionsError, UnknownTopicOrPartitionError

        admin = KafkaAdminClient(bootstrap_servers=sys.argv[1], client_id="kafka-python-admin-test", request_timeout_ms=30000)

        def configs(topic):
            result = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)], include_synonyms=True)[0]
            error_code, error_message, resource_type, resource_name, entries = result.resources[0]
            assert error_code == 0, result
            return {entry[0]: entry for entry in entries}

        response = admin.create_topics([NewTopic("py-topic", 2, 1, topic_configs={"retention.ms": "60000"})], validate_only=False)
        assert all(error == 0 for _, error, *_ in response.topic_errors), response
        assert "py-topic" in admin.list_topics()
        print("OK create")

        for bad in ({"retention.ms": "forever"}, {"no.such.config": "1"}):
            try:
                admin.create_topics([NewTopic("py-bad", 1, 1, topic_configs=bad)])
                raise AssertionError("bad config accepted: %s" % bad)
            except InvalidConfigurationError as e:
                assert list(bad)[0] in str(e), e
        try:
            admin.create_topics([NewTopic("py-topic", 1, 1)])
            raise AssertionError("duplicate topic accepted")
        except TopicAlreadyExistsError:
            pass
        assert "py-bad" not in admin.list_topics()
        print("OK refusals")

        entries = configs("py-topic")
        assert len(entries) == 33, len(entries)
        name, value, read_only, source, sensitive, synonyms = entries["retention.ms"]
        assert (value, source, read_only) == ("60000", 1, False), entries["retention.ms"]
        assert ("retention.ms", "60000", 1) in synonyms and ("log.retention.hours", "168", 5) in synonyms, synonyms
        assert entries["cleanup.policy"][1:4] == ("delete", False, 5), entries["cleanup.policy"]
        print("OK describe")

        response = admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "py-topic", configs={"cleanup.policy": "compact", "segment.ms": "3600000"})])
        assert response.resources[0][0] == 0, response
        entries = configs("py-topic")
        assert entries["cleanup.policy"][1] == "compact" and entries["segment.ms"][1] == "3600000", entries
        assert entries["retention.ms"][1] == "604800000" and entries["retention.ms"][3] == 5, entries["retention.ms"]
        response = admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "py-topic", configs={"segment.bytes": "1"})])
        assert response.resources[0][0] == 40, response
        print("OK alter")

        response = admin.create_partitions({"py-topic": NewPartitions(5)})
        assert response.topic_errors[0][1] == 0, response
        try:
            admin.create_partitions({"py-topic": NewPartitions(3)})
            raise AssertionError("shrink accepted")
        except InvalidPartitionsError:
            pass
        print("OK partitions")

        cluster = admin.describe_cluster()
        assert cluster["controller_id"] == 1 and len(cluster["brokers"]) == 1 and cluster["cluster_id"], cluster
        print("OK cluster")

        response = admin.delete_topics(["py-topic"])
        assert response.topic_error_codes[0][1] == 0, response
        assert "py-topic" not in admin.list_topics()
        try:
            admin.delete_topics(["py-topic"])
            raise AssertionError("deleting a missing topic succeeded")
        except UnknownTopicOrPartitionError:
            pass
        print("OK delete")
        admin.close()
        """;

    [Fact]
    public async Task KafkaAdminClient_creates_describes_alters_and_deletes_topics_and_configs()
    {
        Assert.True(File.Exists(Python), $"{Python} is missing (Debian python3 with python3-kafka)");
        using var directory = new TempDirectory("kafka-python");
        string script = Path.Combine(directory.Path, "admin.py");
        await File.WriteAllTextAsync(script, Script);

        var info = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(script);
        info.ArgumentList.Add(server.Broker.BootstrapServers);
        using var process = Process.Start(info)!;
        var output = new StringBuilder();
        Task stdout = Task.Run(async () => output.Append(await process.StandardOutput.ReadToEndAsync()));
        string stderr = await process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        await stdout;
        Assert.True(process.ExitCode == 0, $"kafka-python failed ({process.ExitCode}):\n{output}\n{stderr}");
        Assert.Equal(["OK create", "OK refusals", "OK describe", "OK alter", "OK partitions", "OK cluster", "OK delete"],
            output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
