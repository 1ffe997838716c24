using System.Collections.Immutable;
using Chronik.Cluster.Metadata;

namespace Chronik.Broker.Tests.Partitions;

/// <summary>Builds metadata images from records, as the quorum folds them.</summary>
internal sealed class ImageBuilder
{
    private long _version;

    public MetadataImage Image { get; private set; } = MetadataImage.Empty;

    public ImageBuilder Apply(params MetadataRecord[] records)
    {
        Image = Image.Apply(records, ++_version);
        return this;
    }

    public ImageBuilder Broker(int id, int port = 9092) =>
        Apply(new RegisterBrokerRecord(id, Guid.NewGuid(), id, [new BrokerEndpoint("PLAINTEXT", "127.0.0.1", port)], null, null, Fenced: false));

    /// <summary>Adds a topic whose partitions all have <paramref name="replicas"/> (default: broker 1) and leader the first replica.</summary>
    public Guid Topic(string name, int partitions = 1, int[]? replicas = null, int leaderEpoch = 0, params (string Key, string Value)[] configs)
    {
        var id = Guid.NewGuid();
        var records = new List<MetadataRecord> { new TopicRecord(name, id) };
        ImmutableArray<int> assigned = [.. replicas ?? [1]];
        for (int p = 0; p < partitions; p++)
        {
            records.Add(new PartitionRecord(id, p, assigned, assigned, assigned[0], leaderEpoch, 0));
        }

        foreach (var (key, value) in configs)
        {
            records.Add(new ConfigRecord(ConfigResourceType.Topic, name, key, value));
        }

        Apply([.. records]);
        return id;
    }

    public ImageBuilder Leader(Guid topicId, int partition, int leader) => Apply(new PartitionChangeRecord(topicId, partition, Leader: leader));

    public ImageBuilder TopicConfig(string topic, string key, string? value) => Apply(new ConfigRecord(ConfigResourceType.Topic, topic, key, value));

    public ImageBuilder Remove(Guid topicId) => Apply(new RemoveTopicRecord(topicId));
}
