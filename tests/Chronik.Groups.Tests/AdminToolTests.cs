using System.Diagnostics;
using System.Text.Json;
using Chronik.Testing;
using Confluent.Kafka;

namespace Chronik.Groups.Tests;

/// <summary>
/// Issue 6 (g): kafka-python's admin client lists and describes a group whose members are a
/// Confluent.Kafka consumer and kcat (-G, librdkafka's balanced consumer), with their assignments and the
/// committed offsets. (kcat 1.7 has no mode that lists or describes groups; it takes part as a member.)
/// </summary>
public class AdminToolTests
{
    [Fact]
    public async Task Kafka_python_admin_lists_and_describes_a_group_with_members_assignments_and_offsets()
    {
        await using GroupsBroker broker = await GroupsBroker.StartAsync();
        broker.CreateTopic("described-topic");
        using var confluent = new ConfluentMember("confluent", new ConsumerConfig
        {
            BootstrapServers = broker.BootstrapServers,
            GroupId = "described",
            ClientId = "confluent-member",
            PartitionAssignmentStrategy = PartitionAssignmentStrategy.RoundRobin,
            SessionTimeoutMs = 6000,
        }, "described-topic");
        using Process kcat = StartKcat(broker.BootstrapServers, "described", "described-topic");
        try
        {
            JsonDocument? last = null;
            await Eventually.UntilAsync(
                () =>
                {
                    last = Describe(broker.BootstrapServers, "described");
                    JsonElement group = last.RootElement.GetProperty("described")[0];
                    return group.GetProperty("state").GetString() == "Stable" && group.GetProperty("members").GetArrayLength() == 2;
                },
                () => $"a stable group of two members; last seen {last?.RootElement}",
                TimeSpan.FromSeconds(60),
                TimeSpan.FromMilliseconds(500));

            JsonElement described = last!.RootElement.GetProperty("described")[0];
            Assert.Equal("consumer", described.GetProperty("protocol_type").GetString());
            Assert.Equal("roundrobin", described.GetProperty("protocol").GetString());
            var clientIds = described.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("client_id").GetString()).Order().ToList();
            Assert.Contains("confluent-member", clientIds);
            Assert.All(described.GetProperty("members").EnumerateArray(), m => Assert.Equal("/127.0.0.1", m.GetProperty("client_host").GetString()));
            var partitions = described.GetProperty("members").EnumerateArray()
                .SelectMany(m => m.GetProperty("assignment").EnumerateArray())
                .SelectMany(a => a[1].EnumerateArray().Select(p => p.GetInt32()))
                .Order()
                .ToList();
            Assert.Equal(Enumerable.Range(0, 6), partitions);
            Assert.Contains(last.RootElement.GetProperty("listed").EnumerateArray(), g => g.GetProperty("group").GetString() == "described");

            // Offsets committed by the member are what the admin client reads.
            await Wait.UntilAsync(() => confluent.Assignment.Count > 0, "the Confluent member's assignment");
            int owned = confluent.Assignment[0];
            await Wait.UntilAsync(
                () =>
                {
                    try
                    {
                        confluent.CommitDirect([new TopicPartitionOffset("described-topic", owned, 77)]);
                        return true;
                    }
                    catch (KafkaException)
                    {
                        return false;
                    }
                },
                "a commit by the member");
            JsonDocument withOffsets = Describe(broker.BootstrapServers, "described");
            Assert.Equal(77, withOffsets.RootElement.GetProperty("offsets").GetProperty($"described-topic:{owned}").GetInt64());
        }
        finally
        {
            kcat.Kill(entireProcessTree: true);
            await kcat.WaitForExitAsync();
        }
    }

    private static JsonDocument Describe(string bootstrap, string group)
    {
        var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Scripts", "kafka_python_admin.py"));
        info.ArgumentList.Add(Loopback.Bootstrap(bootstrap));
        info.ArgumentList.Add(group);
        using Process process = Process.Start(info)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("kafka-python admin did not finish");
        }

        return process.ExitCode == 0 ? JsonDocument.Parse(output) : throw new InvalidOperationException($"kafka-python admin failed: {stderr.Result}");
    }

    private static Process StartKcat(string bootstrap, string group, string topic)
    {
        var info = new ProcessStartInfo("kcat") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { "-b", Loopback.Bootstrap(bootstrap), "-G", group, "-X", "partition.assignment.strategy=roundrobin", "-X", "session.timeout.ms=6000", "-X", "client.id=kcat-member", "-q", topic })
        {
            info.ArgumentList.Add(argument);
        }

        Process process = Process.Start(info)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
