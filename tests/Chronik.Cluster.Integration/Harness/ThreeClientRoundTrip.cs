using Chronik.Testing;
using Confluent.Kafka;

namespace Chronik.Cluster.Integration.Harness;

/// <summary>
/// kcat, kafka-python and Confluent.Kafka each write records through a different node with acks=all, then each
/// reads the whole topic back through its node: every client must see exactly every record written, once.
/// </summary>
public static class ThreeClientRoundTrip
{
    private const int RecordsPerClient = 300;

    public static async Task RunAsync(string kcatNode, string pythonNode, string confluentNode, string topic)
    {
        var expected = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < RecordsPerClient; i++)
        {
            expected.Add($"kcat-{i}");
            expected.Add($"python-{i}");
            expected.Add($"confluent-{i}");
        }

        await KcatProduceAsync(kcatNode, topic);
        await PythonProduceAsync(pythonNode, topic);
        await ConfluentProduceAsync(confluentNode, topic);

        AssertExactly(expected, await KcatConsumeAsync(kcatNode, topic), "kcat");
        AssertExactly(expected, await PythonConsumeAsync(pythonNode, topic, expected.Count), "kafka-python");
        AssertExactly(expected, await ConfluentConsumeAsync(confluentNode, topic, expected.Count), "Confluent.Kafka");
    }

    private static void AssertExactly(HashSet<string> expected, IReadOnlyList<string> read, string client)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string value in read)
        {
            Assert.True(seen.Add(value), $"{client} read {value} twice");
        }

        Assert.True(seen.SetEquals(expected), $"{client} read {seen.Count} distinct record(s); missing: {string.Join(", ", expected.Except(seen).Take(10))}; unexpected: {string.Join(", ", seen.Except(expected).Take(10))}");
    }

    private static async Task KcatProduceAsync(string bootstrap, string topic)
    {
        using var input = new TempDirectory("kcat-input");
        string file = Path.Combine(input.Path, "records.txt");
        await File.WriteAllLinesAsync(file, Enumerable.Range(0, RecordsPerClient).Select(i => $"k{i}:kcat-{i}"));
        var result = await ClientProcess.RunAsync(
            "kcat",
            ["-b", Loopback.Bootstrap(bootstrap), "-t", topic, "-P", "-K", ":", "-X", "acks=all", "-X", "message.timeout.ms=60000"],
            new ClientProcessOptions { StandardInputFile = file, Timeout = TimeSpan.FromSeconds(90) });
        result.EnsureSuccess();
        Assert.DoesNotContain("Delivery failed", result.StandardError);
    }

    private static async Task<IReadOnlyList<string>> KcatConsumeAsync(string bootstrap, string topic)
    {
        var result = (await ClientProcess.RunAsync(
            "kcat",
            ["-b", Loopback.Bootstrap(bootstrap), "-t", topic, "-C", "-o", "beginning", "-e", "-f", "%s\\n"],
            new ClientProcessOptions { Timeout = TimeSpan.FromSeconds(90) })).EnsureSuccess();
        return result.OutputLines;
    }

    private static async Task PythonProduceAsync(string bootstrap, string topic)
    {
        const string Script = """
            import sys
            from kafka import KafkaProducer
            producer = KafkaProducer(bootstrap_servers=sys.argv[1], acks='all', retries=10, request_timeout_ms=30000, api_version_auto_timeout_ms=30000)
            futures = [producer.send(sys.argv[2], key=b'k%d' % i, value=b'python-%d' % i) for i in range(int(sys.argv[3]))]
            for future in futures:
                future.get(timeout=60)
            producer.close()
            """;
        (await ClientProcess.RunAsync(
            "/usr/bin/python3",
            ["-c", Script, Loopback.Bootstrap(bootstrap), topic, RecordsPerClient.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            new ClientProcessOptions { Timeout = TimeSpan.FromSeconds(120) })).EnsureSuccess();
    }

    private static async Task<IReadOnlyList<string>> PythonConsumeAsync(string bootstrap, string topic, int expected)
    {
        const string Script = """
            import sys, time
            from kafka import KafkaConsumer, TopicPartition
            consumer = KafkaConsumer(bootstrap_servers=sys.argv[1], enable_auto_commit=False, auto_offset_reset='earliest', api_version_auto_timeout_ms=30000)
            partitions = [TopicPartition(sys.argv[2], p) for p in sorted(consumer.partitions_for_topic(sys.argv[2]))]
            consumer.assign(partitions)
            consumer.seek_to_beginning()
            values, deadline = [], time.time() + 60
            while len(values) < int(sys.argv[3]) and time.time() < deadline:
                for records in consumer.poll(timeout_ms=500).values():
                    values.extend(r.value.decode() for r in records)
            consumer.close()
            print("\n".join(values))
            """;
        var result = (await ClientProcess.RunAsync(
            "/usr/bin/python3",
            ["-c", Script, Loopback.Bootstrap(bootstrap), topic, expected.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            new ClientProcessOptions { Timeout = TimeSpan.FromSeconds(120) })).EnsureSuccess();
        return result.OutputLines;
    }

    private static async Task ConfluentProduceAsync(string bootstrap, string topic)
    {
        using IProducer<string, string> producer = new ProducerBuilder<string, string>(new ProducerConfig
        {
            BootstrapServers = Loopback.Bootstrap(bootstrap),
            Acks = Acks.All,
            MessageTimeoutMs = 60000,
        }).Build();
        var deliveries = new Task<DeliveryResult<string, string>>[RecordsPerClient];
        for (int i = 0; i < RecordsPerClient; i++)
        {
            deliveries[i] = producer.ProduceAsync(topic, new Message<string, string> { Key = $"k{i}", Value = $"confluent-{i}" });
        }

        await Task.WhenAll(deliveries);
    }

    private static async Task<IReadOnlyList<string>> ConfluentConsumeAsync(string bootstrap, string topic, int expected)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = Loopback.Bootstrap(bootstrap),
            GroupId = "three-client-round-trip",
            EnableAutoCommit = false,
        };
        using IConsumer<Ignore, string> consumer = new ConsumerBuilder<Ignore, string>(config).Build();
        using IAdminClient admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = config.BootstrapServers }).Build();
        int partitions = admin.GetMetadata(topic, TimeSpan.FromSeconds(30)).Topics.Single().Partitions.Count;
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var values = new List<string>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (values.Count < expected && DateTime.UtcNow < deadline)
        {
            ConsumeResult<Ignore, string>? result = await Task.Run(() => consumer.Consume(TimeSpan.FromMilliseconds(500)));
            if (result is not null)
            {
                values.Add(result.Message.Value);
            }
        }

        return values;
    }
}
