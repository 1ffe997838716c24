using Confluent.Kafka;

namespace Chronik.Groups.Tests;

/// <summary>
/// Issue 6 (a) and (b): librdkafka (Confluent.Kafka), kafka-python and kafkajs consumers in one group
/// share a six-partition topic ("roundrobin", the assignor all three speak); every record is consumed
/// exactly once while nobody fails; when one is killed its partitions move to the others within the
/// session timeout and nothing is lost.
/// </summary>
public class ThreeClientGroupTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [RequiresDataPathFact]
    public async Task Three_clients_share_a_topic_consume_every_record_once_and_survive_a_killed_member()
    {
        const string topic = "shared";
        await using GroupsBroker broker = await GroupsBroker.StartAsync();
        broker.CreateTopic(topic);
        using var confluent = new ConfluentMember("confluent", new ConsumerConfig
        {
            BootstrapServers = broker.BootstrapServers,
            GroupId = "three-clients",
            ClientId = "confluent",
            PartitionAssignmentStrategy = PartitionAssignmentStrategy.RoundRobin,
            SessionTimeoutMs = 6000,
            HeartbeatIntervalMs = 1000,
        }, topic);
        await using ClientProcess python = ClientProcess.KafkaPython(broker.BootstrapServers, "three-clients", topic);
        await using ClientProcess js = ClientProcess.KafkaJs(broker.BootstrapServers, "three-clients", topic);

        string State() => $"{confluent}\n{python}\n{js}";
        bool Shared() => confluent.Assignment.Count == 2 && python.Assignment?.Count == 2 && js.Assignment?.Count == 2
            && confluent.Assignment.Concat(python.Assignment).Concat(js.Assignment).Distinct().Count() == 6;
        await Eventually.UntilAsync(Shared, State, Timeout, TimeSpan.FromMilliseconds(100));

        // (a) Nobody fails: each record exactly once.
        Produce(broker, topic, 0, 600);
        IEnumerable<string> Consumed() => confluent.Records.Select(r => r.Value).Concat(python.Records.Select(r => r.Value)).Concat(js.Records.Select(r => r.Value));
        await Eventually.UntilAsync(() => Consumed().Count() >= 600, () => $"{Consumed().Count()} of 600 consumed\n{State()}", Timeout, TimeSpan.FromMilliseconds(100));
        string[] first = [.. Consumed()];
        Assert.Equal(600, first.Length);
        Assert.Equal(600, first.Distinct().Count());
        Assert.True(confluent.Records.Count > 0 && python.Records.Count > 0 && js.Records.Count > 0, State());

        // (b) kafka-python dies without leaving: within the session timeout its partitions move, nothing is lost.
        int[] orphaned = [.. python.Assignment!];
        python.Kill();
        await Eventually.UntilAsync(
            () => confluent.Assignment.Count + (js.Assignment?.Count ?? 0) == 6 && orphaned.All(p => confluent.Assignment.Contains(p) || js.Assignment!.Contains(p)),
            State,
            TimeSpan.FromSeconds(30),
            TimeSpan.FromMilliseconds(100));
        Produce(broker, topic, 600, 300);
        await Eventually.UntilAsync(
            () => Enumerable.Range(600, 300).All(i => Consumed().Contains($"record-{i}")),
            () => $"missing {300 - Consumed().Count(v => int.Parse(v["record-".Length..]) >= 600)} of the second 300\n{State()}",
            Timeout,
            TimeSpan.FromMilliseconds(200));
    }

    private static void Produce(GroupsBroker broker, string topic, int from, int count)
    {
        using IProducer<Null, string> producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = broker.BootstrapServers, Acks = Acks.All, LingerMs = 5 }).Build();
        for (int i = from; i < from + count; i++)
        {
            producer.Produce(new TopicPartition(topic, i % 6), new Message<Null, string> { Value = $"record-{i}" });
        }

        if (producer.Flush(TimeSpan.FromSeconds(60)) != 0)
        {
            throw new TimeoutException("records were not acknowledged");
        }
    }
}
