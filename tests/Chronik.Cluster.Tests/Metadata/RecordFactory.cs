using System.Collections.Immutable;
using Chronik.Cluster.Metadata;

namespace Chronik.Cluster.Tests.Metadata;

/// <summary>One record of every type, and random record sequences over a small universe of ids (so records hit each other).</summary>
internal static class RecordFactory
{
    public static readonly Guid TopicA = new("00000000-0000-4000-8000-00000000000a");
    public static readonly Guid TopicB = new("00000000-0000-4000-8000-00000000000b");

    public static IReadOnlyList<MetadataRecord> OneOfEach() =>
    [
        new ClusterIdRecord("q1Sh-9_ISia_zwGINzRvyQ"),
        new RegisterBrokerRecord(1, Guid.NewGuid(), 7, [new BrokerEndpoint("PLAINTEXT", "host-1", 9092), new BrokerEndpoint("SSL", "h", 9093, 1)], "rack-a", "http://h:9644", true),
        new RegisterBrokerRecord(2, Guid.NewGuid(), 8, [], null, null, false),
        new UnregisterBrokerRecord(2, 8),
        new FenceBrokerRecord(1, 7),
        new UnfenceBrokerRecord(1, 7),
        new TopicRecord("orders.eu", TopicA),
        new PartitionRecord(TopicA, 0, [1, 2, 3], [1, 2], 1, 4, 9),
        new PartitionChangeRecord(TopicA, 0, Isr: ImmutableArray.Create(1)),
        new PartitionChangeRecord(TopicA, 0, Replicas: ImmutableArray.Create(3, 1), Isr: ImmutableArray<int>.Empty, Leader: -1),
        new PartitionChangeRecord(TopicA, 1),
        new PartitionRecord(TopicA, 1, [4, 1, 2], [1, 2], 1, 0, 0) { AddingReplicas = [4], RemovingReplicas = [2] },
        new PartitionChangeRecord(TopicA, 1, Replicas: ImmutableArray.Create(4, 1)) { AddingReplicas = [], RemovingReplicas = [] },
        new RemoveTopicRecord(TopicB),
        new ConfigRecord(ConfigResourceType.Topic, "orders.eu", "retention.ms", "1000"),
        new ConfigRecord(ConfigResourceType.Broker, "", "log.retention.hours", null),
        new ProducerIdsRecord(1, 1000, 1000),
    ];

    public static List<MetadataRecord> RandomSequence(Random random, int count)
    {
        Guid[] topicIds = [TopicA, TopicB, new("00000000-0000-4000-8000-00000000000c")];
        string[] names = ["a", "b", "a.b", "c"];
        var records = new List<MetadataRecord>(count);
        for (int i = 0; i < count; i++)
        {
            int broker = random.Next(4);
            long epoch = random.Next(3);
            Guid topic = topicIds[random.Next(topicIds.Length)];
            ImmutableArray<int> List() => [.. Enumerable.Range(0, random.Next(4)).Select(_ => random.Next(4))];
            records.Add(random.Next(13) switch
            {
                0 => new ClusterIdRecord("id" + random.Next(3)),
                1 => new RegisterBrokerRecord(broker, new Guid(random.Next(3), 0, 0, new byte[8]), epoch, [new BrokerEndpoint("PLAINTEXT", "h" + broker, 9092)], random.Next(2) == 0 ? null : "r" + random.Next(2), null, random.Next(2) == 0),
                2 => new UnregisterBrokerRecord(broker, epoch),
                3 => new FenceBrokerRecord(broker, epoch),
                4 => new UnfenceBrokerRecord(broker, epoch),
                5 => new TopicRecord(names[random.Next(names.Length)], topic),
                6 => new PartitionRecord(topic, random.Next(3), List(), List(), random.Next(-1, 4), random.Next(5), random.Next(5)),
                7 => new PartitionChangeRecord(topic, random.Next(3), random.Next(2) == 0 ? null : List(), random.Next(2) == 0 ? null : List(), random.Next(2) == 0 ? null : random.Next(-1, 4)),
                8 => new RemoveTopicRecord(topic),
                11 => new PartitionRecord(topic, random.Next(3), List(), List(), random.Next(-1, 4), random.Next(5), random.Next(5)) { AddingReplicas = List(), RemovingReplicas = List() },
                12 => new PartitionChangeRecord(topic, random.Next(3), random.Next(2) == 0 ? null : List()) { AddingReplicas = random.Next(2) == 0 ? null : List(), RemovingReplicas = random.Next(2) == 0 ? null : List() },
                9 => new ConfigRecord(random.Next(2) == 0 ? ConfigResourceType.Topic : ConfigResourceType.Broker, random.Next(2) == 0 ? names[random.Next(names.Length)] : "", "k" + random.Next(3), random.Next(3) == 0 ? null : "v" + random.Next(3)),
                _ => new ProducerIdsRecord(broker, random.Next(5) * 1000L, 1000),
            });
        }

        return records;
    }
}
