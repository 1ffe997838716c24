using System.Collections.Immutable;

namespace Chronik.Cluster.Metadata;

/// <summary>
/// The cluster metadata as of one offset of the metadata log: brokers, topics, partitions, configs,
/// producer id allocation and the cluster id. Immutable; folded by the pure <see cref="Apply(MetadataRecord)"/>
/// from committed records only, so every node that applies the same records in the same order holds
/// an equal image (<see cref="ContentEquals"/>).
///
/// Folding is total: a record that refers to something the image does not hold (a partition of an
/// unknown topic, a fence of an unknown broker epoch) changes nothing. The controller validates before
/// it proposes, so such a record only appears when two decisions raced, and ignoring it is the same on
/// every node.
///
/// <see cref="ControllerId"/> is the one field that does not come from records: it is the current Raft
/// leader, stamped on by the quorum, and is excluded from equality and snapshots.
/// </summary>
public sealed class MetadataImage
{
    public static readonly MetadataImage Empty = new(
        version: 0,
        clusterId: null,
        controllerId: -1,
        ImmutableSortedDictionary<int, BrokerRegistration>.Empty,
        ImmutableDictionary<Guid, TopicImage>.Empty,
        ImmutableSortedDictionary.Create<string, Guid>(StringComparer.Ordinal),
        ImmutableDictionary<ConfigResource, ImmutableSortedDictionary<string, string>>.Empty,
        producerIds: null);

    private MetadataImage(
        long version,
        string? clusterId,
        int controllerId,
        ImmutableSortedDictionary<int, BrokerRegistration> brokers,
        ImmutableDictionary<Guid, TopicImage> topics,
        ImmutableSortedDictionary<string, Guid> topicIdsByName,
        ImmutableDictionary<ConfigResource, ImmutableSortedDictionary<string, string>> configs,
        ProducerIdBlock? producerIds)
    {
        Version = version;
        ClusterId = clusterId;
        ControllerId = controllerId;
        Brokers = brokers;
        Topics = topics;
        TopicIdsByName = topicIdsByName;
        Configs = configs;
        ProducerIds = producerIds;
    }

    /// <summary>Index of the last metadata log entry folded into this image (0 = nothing yet).</summary>
    public long Version { get; }

    /// <summary>Kafka-style cluster id (22-character URL-safe base64 UUID), or null before the first controller set it.</summary>
    public string? ClusterId { get; }

    /// <summary>Node id of the current Raft leader (the controller), or -1 when there is none.</summary>
    public int ControllerId { get; }

    public ImmutableSortedDictionary<int, BrokerRegistration> Brokers { get; }

    public ImmutableDictionary<Guid, TopicImage> Topics { get; }

    /// <summary>Topic ids by name, in ordinal name order.</summary>
    public ImmutableSortedDictionary<string, Guid> TopicIdsByName { get; }

    public ImmutableDictionary<ConfigResource, ImmutableSortedDictionary<string, string>> Configs { get; }

    /// <summary>The last producer id block handed out, or null before the first.</summary>
    public ProducerIdBlock? ProducerIds { get; }

    /// <summary>The first producer id not yet handed out.</summary>
    public long NextProducerId => ProducerIds?.NextId ?? 0;

    public TopicImage? GetTopic(string name) => TopicIdsByName.TryGetValue(name, out Guid id) ? Topics.GetValueOrDefault(id) : null;

    public TopicImage? GetTopic(Guid topicId) => Topics.GetValueOrDefault(topicId);

    public PartitionRegistration? GetPartition(string topic, int partition) => GetTopic(topic)?.GetPartition(partition);

    public PartitionRegistration? GetPartition(Guid topicId, int partition) => GetTopic(topicId)?.GetPartition(partition);

    public BrokerRegistration? GetBroker(int brokerId) => Brokers.GetValueOrDefault(brokerId);

    /// <summary>Whether <paramref name="brokerId"/> is registered and not fenced.</summary>
    public bool IsBrokerActive(int brokerId) => Brokers.TryGetValue(brokerId, out BrokerRegistration? b) && !b.Fenced;

    /// <summary>Registered brokers that are not fenced, in id order.</summary>
    public IEnumerable<BrokerRegistration> UnfencedBrokers => Brokers.Values.Where(b => !b.Fenced);

    /// <summary>Config overrides of <paramref name="resource"/> (empty when it has none).</summary>
    public ImmutableSortedDictionary<string, string> GetConfigs(ConfigResource resource) =>
        Configs.TryGetValue(resource, out var configs) ? configs : EmptyConfigs;

    public string? GetConfig(ConfigResource resource, string name) => GetConfigs(resource).GetValueOrDefault(name);

    /// <summary>This image with another controller id (the quorum stamps the Raft leader on).</summary>
    public MetadataImage WithControllerId(int controllerId) =>
        controllerId == ControllerId ? this : new(Version, ClusterId, controllerId, Brokers, Topics, TopicIdsByName, Configs, ProducerIds);

    /// <summary>This image at another log offset with the same content (entries that carry no records still advance it).</summary>
    public MetadataImage WithVersion(long version) =>
        version == Version ? this : new(version, ClusterId, ControllerId, Brokers, Topics, TopicIdsByName, Configs, ProducerIds);

    /// <summary>Folds one committed entry: every record in order, then the version becomes <paramref name="version"/>.</summary>
    public MetadataImage Apply(IReadOnlyList<MetadataRecord> records, long version)
    {
        MetadataImage image = this;
        foreach (MetadataRecord record in records)
        {
            image = image.Apply(record);
        }

        return image.WithVersion(version);
    }

    /// <summary>Folds one record; the version is unchanged.</summary>
    public MetadataImage Apply(MetadataRecord record) => record switch
    {
        ClusterIdRecord r => ClusterId is null ? With(clusterId: r.ClusterId) : this,
        RegisterBrokerRecord r => With(brokers: Brokers.SetItem(r.BrokerId, new BrokerRegistration(r.BrokerId, r.Incarnation, r.BrokerEpoch, r.Endpoints, r.Rack, r.HttpEndpoint, r.Fenced))),
        UnregisterBrokerRecord r => Brokers.TryGetValue(r.BrokerId, out var b) && b.BrokerEpoch == r.BrokerEpoch ? With(brokers: Brokers.Remove(r.BrokerId)) : this,
        FenceBrokerRecord r => SetFenced(r.BrokerId, r.BrokerEpoch, fenced: true),
        UnfenceBrokerRecord r => SetFenced(r.BrokerId, r.BrokerEpoch, fenced: false),
        TopicRecord r => ApplyTopic(r),
        PartitionRecord r => ApplyPartition(r),
        PartitionChangeRecord r => ApplyPartitionChange(r),
        RemoveTopicRecord r => ApplyRemoveTopic(r),
        ConfigRecord r => ApplyConfig(new ConfigResource(r.ResourceType, r.ResourceName), r.Name, r.Value),
        ProducerIdsRecord r => r.Size > 0 && r.FirstId >= NextProducerId ? With(producerIds: new ProducerIdBlock(r.BrokerId, r.FirstId, r.Size)) : this,
        _ => throw new ArgumentException($"no folding rule for {record.GetType().Name}", nameof(record)),
    };

    /// <summary>
    /// Records that rebuild this image's content from <see cref="Empty"/>, in a canonical order
    /// (cluster id, brokers by id, topics by name with their partitions, configs, producer ids).
    /// Snapshots are these records.
    /// </summary>
    public IReadOnlyList<MetadataRecord> ToRecords()
    {
        var records = new List<MetadataRecord>();
        if (ClusterId is not null)
        {
            records.Add(new ClusterIdRecord(ClusterId));
        }

        foreach (BrokerRegistration broker in Brokers.Values)
        {
            records.Add(broker.ToRecord());
        }

        foreach (Guid topicId in TopicIdsByName.Values)
        {
            TopicImage topic = Topics[topicId];
            records.Add(new TopicRecord(topic.Name, topic.TopicId));
            foreach (PartitionRegistration partition in topic.Partitions.Values)
            {
                records.Add(partition.ToRecord(topic.TopicId));
            }
        }

        foreach (var (resource, configs) in Configs.OrderBy(c => c.Key.Type).ThenBy(c => c.Key.Name, StringComparer.Ordinal))
        {
            foreach (var (name, value) in configs)
            {
                records.Add(new ConfigRecord(resource.Type, resource.Name, name, value));
            }
        }

        if (ProducerIds is { } block)
        {
            records.Add(new ProducerIdsRecord(block.BrokerId, block.FirstId, block.Size));
        }

        return records;
    }

    /// <summary>Equality of everything folded from records (all but <see cref="ControllerId"/>).</summary>
    public bool ContentEquals(MetadataImage other) =>
        Version == other.Version
        && ClusterId == other.ClusterId
        && ProducerIds == other.ProducerIds
        && SameEntries(Brokers, other.Brokers)
        && SameEntries(Topics, other.Topics)
        && TopicIdsByName.SequenceEqual(other.TopicIdsByName)
        && Configs.Count == other.Configs.Count
        && Configs.All(c => other.Configs.TryGetValue(c.Key, out var o) && c.Value.SequenceEqual(o));

    public override string ToString() =>
        $"MetadataImage(version {Version}, cluster {ClusterId ?? "-"}, controller {ControllerId}, {Brokers.Count} brokers, {Topics.Count} topics)";

    private static readonly ImmutableSortedDictionary<string, string> EmptyConfigs = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal);

    private static bool SameEntries<TKey, TValue>(IReadOnlyDictionary<TKey, TValue> a, IReadOnlyDictionary<TKey, TValue> b)
        where TValue : IEquatable<TValue> =>
        a.Count == b.Count && a.All(e => b.TryGetValue(e.Key, out TValue? o) && e.Value.Equals(o));

    private MetadataImage With(
        string? clusterId = null,
        ImmutableSortedDictionary<int, BrokerRegistration>? brokers = null,
        ImmutableDictionary<Guid, TopicImage>? topics = null,
        ImmutableSortedDictionary<string, Guid>? topicIdsByName = null,
        ImmutableDictionary<ConfigResource, ImmutableSortedDictionary<string, string>>? configs = null,
        ProducerIdBlock? producerIds = null) =>
        new(Version, clusterId ?? ClusterId, ControllerId, brokers ?? Brokers, topics ?? Topics, topicIdsByName ?? TopicIdsByName, configs ?? Configs, producerIds ?? ProducerIds);

    private MetadataImage SetFenced(int brokerId, long brokerEpoch, bool fenced) =>
        Brokers.TryGetValue(brokerId, out var b) && b.BrokerEpoch == brokerEpoch && b.Fenced != fenced
            ? With(brokers: Brokers.SetItem(brokerId, b with { Fenced = fenced }))
            : this;

    private MetadataImage ApplyTopic(TopicRecord r)
    {
        if (TopicIdsByName.ContainsKey(r.Name) || Topics.ContainsKey(r.TopicId))
        {
            return this;
        }

        var topic = new TopicImage(r.Name, r.TopicId, ImmutableSortedDictionary<int, PartitionRegistration>.Empty);
        return With(topics: Topics.Add(r.TopicId, topic), topicIdsByName: TopicIdsByName.Add(r.Name, r.TopicId));
    }

    private MetadataImage ApplyPartition(PartitionRecord r)
    {
        if (!Topics.TryGetValue(r.TopicId, out TopicImage? topic) || r.Partition < 0)
        {
            return this;
        }

        var partition = new PartitionRegistration(r.Partition, r.Replicas, r.Isr, r.Leader, r.LeaderEpoch, r.PartitionEpoch)
        {
            AddingReplicas = r.AddingReplicas.IsDefault ? [] : r.AddingReplicas,
            RemovingReplicas = r.RemovingReplicas.IsDefault ? [] : r.RemovingReplicas,
        };
        return With(topics: Topics.SetItem(r.TopicId, topic with { Partitions = topic.Partitions.SetItem(r.Partition, partition) }));
    }

    private MetadataImage ApplyPartitionChange(PartitionChangeRecord r)
    {
        if (!Topics.TryGetValue(r.TopicId, out TopicImage? topic) || !topic.Partitions.TryGetValue(r.Partition, out PartitionRegistration? p))
        {
            return this;
        }

        PartitionRegistration changed = p with
        {
            Replicas = r.Replicas ?? p.Replicas,
            Isr = r.Isr ?? p.Isr,
            Leader = r.Leader ?? p.Leader,
            LeaderEpoch = r.Leader.HasValue ? p.LeaderEpoch + 1 : p.LeaderEpoch,
            PartitionEpoch = p.PartitionEpoch + 1,
            AddingReplicas = r.AddingReplicas ?? p.AddingReplicas,
            RemovingReplicas = r.RemovingReplicas ?? p.RemovingReplicas,
        };
        return With(topics: Topics.SetItem(r.TopicId, topic with { Partitions = topic.Partitions.SetItem(r.Partition, changed) }));
    }

    private MetadataImage ApplyRemoveTopic(RemoveTopicRecord r)
    {
        if (!Topics.TryGetValue(r.TopicId, out TopicImage? topic))
        {
            return this;
        }

        return With(
            topics: Topics.Remove(r.TopicId),
            topicIdsByName: TopicIdsByName.Remove(topic.Name),
            configs: Configs.Remove(ConfigResource.ForTopic(topic.Name)));
    }

    private MetadataImage ApplyConfig(ConfigResource resource, string name, string? value)
    {
        // Overrides of a topic live only as long as the topic (RemoveTopic drops them).
        if (resource.Type == ConfigResourceType.Topic && !TopicIdsByName.ContainsKey(resource.Name))
        {
            return this;
        }

        ImmutableSortedDictionary<string, string> current = GetConfigs(resource);
        ImmutableSortedDictionary<string, string> updated = value is null ? current.Remove(name) : current.SetItem(name, value);
        if (ReferenceEquals(updated, current))
        {
            return this;
        }

        return With(configs: updated.IsEmpty ? Configs.Remove(resource) : Configs.SetItem(resource, updated));
    }
}
