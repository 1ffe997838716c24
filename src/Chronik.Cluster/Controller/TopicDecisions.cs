using System.Collections.Immutable;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Wire;

namespace Chronik.Cluster.Controller;

/// <summary>
/// CreateTopics, DeleteTopics and CreatePartitions as pure decisions over an image: each item is
/// validated against the image as changed by the items before it, so one request never creates the
/// same topic twice. Topic ids come from the injected <see cref="Random"/> (deterministic in tests).
/// </summary>
public sealed class TopicDecisions(ControllerOptions options, ReplicaPlacer placer, IConfigValidator configValidator, Random random)
{
    public ControllerResult<IReadOnlyList<CreateTopicResult>> CreateTopics(MetadataImage image, IReadOnlyList<CreatableTopic> topics)
    {
        var results = new List<CreateTopicResult>(topics.Count);
        var records = new List<MetadataRecord>();
        var duplicates = topics.GroupBy(t => t.Name, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet(StringComparer.Ordinal);
        long requested = topics.Sum(t => (long)(t.Assignments?.Count ?? Math.Max(t.NumPartitions, t.NumPartitions == -1 ? options.DefaultNumPartitions : 0)));
        bool tooMany = requested > options.MaxPartitionsPerRequest;

        MetadataImage working = image;
        foreach (CreatableTopic topic in topics)
        {
            if (duplicates.Contains(topic.Name))
            {
                results.Add(new CreateTopicResult(topic.Name, new ApiError(ErrorCode.InvalidRequest, $"Found multiple entries for topic {topic.Name} in the request.")));
                continue;
            }

            if (tooMany)
            {
                results.Add(new CreateTopicResult(topic.Name, new ApiError(ErrorCode.PolicyViolation, "Excessively large number of partitions per request.")));
                continue;
            }

            var (result, topicRecords) = CreateTopic(working, topic);
            results.Add(result);
            if (topicRecords.Count > 0)
            {
                records.AddRange(topicRecords);
                working = working.Apply(topicRecords, working.Version);
            }
        }

        return ControllerResult.Of<IReadOnlyList<CreateTopicResult>>(results, records);
    }

    public ControllerResult<IReadOnlyList<DeleteTopicResult>> DeleteTopics(MetadataImage image, IReadOnlyList<TopicReference> topics)
    {
        var results = new List<DeleteTopicResult>(topics.Count);
        var records = new List<MetadataRecord>();
        MetadataImage working = image;
        foreach (TopicReference reference in topics)
        {
            bool byId = reference.TopicId != Guid.Empty;
            TopicImage? topic = byId ? working.GetTopic(reference.TopicId) : reference.Name is null ? null : working.GetTopic(reference.Name);
            if (topic is null)
            {
                results.Add(byId
                    ? new DeleteTopicResult(reference.Name, reference.TopicId, new ApiError(ErrorCode.UnknownTopicId, "This server does not host this topic ID."))
                    : new DeleteTopicResult(reference.Name, Guid.Empty, new ApiError(ErrorCode.UnknownTopicOrPartition, "This server does not host this topic-partition.")));
                continue;
            }

            var record = new RemoveTopicRecord(topic.TopicId);
            records.Add(record);
            working = working.Apply(record);
            results.Add(new DeleteTopicResult(topic.Name, topic.TopicId, ApiError.None));
        }

        return ControllerResult.Of<IReadOnlyList<DeleteTopicResult>>(results, records);
    }

    public ControllerResult<IReadOnlyList<CreatePartitionsResult>> CreatePartitions(MetadataImage image, IReadOnlyList<CreatePartitionsTopic> topics)
    {
        var results = new List<CreatePartitionsResult>(topics.Count);
        var records = new List<MetadataRecord>();
        var duplicates = topics.GroupBy(t => t.Name, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet(StringComparer.Ordinal);
        MetadataImage working = image;
        foreach (CreatePartitionsTopic request in topics)
        {
            if (duplicates.Contains(request.Name))
            {
                results.Add(new CreatePartitionsResult(request.Name, new ApiError(ErrorCode.InvalidRequest, "Duplicate topic in request.")));
                continue;
            }

            var (error, partitionRecords) = CreatePartitions(working, request);
            results.Add(new CreatePartitionsResult(request.Name, error));
            if (partitionRecords.Count > 0)
            {
                records.AddRange(partitionRecords);
                working = working.Apply(partitionRecords, working.Version);
            }
        }

        return ControllerResult.Of<IReadOnlyList<CreatePartitionsResult>>(results, records);
    }

    private (CreateTopicResult Result, List<MetadataRecord> Records) CreateTopic(MetadataImage image, CreatableTopic topic)
    {
        List<MetadataRecord> none = [];
        CreateTopicResult Fail(ErrorCode code, string message) => new(topic.Name, new ApiError(code, message));

        ApiError nameError = TopicNames.Validate(topic.Name);
        if (nameError.IsError)
        {
            return (new CreateTopicResult(topic.Name, nameError), none);
        }

        if (image.GetTopic(topic.Name) is not null)
        {
            return (Fail(ErrorCode.TopicAlreadyExists, $"Topic '{topic.Name}' already exists."), none);
        }

        if (TopicNames.FindCollision(image, topic.Name) is { } collision)
        {
            return (Fail(ErrorCode.InvalidTopicException, $"Topic '{topic.Name}' collides with existing topic: {collision}"), none);
        }

        var active = image.UnfencedBrokers.Select(b => new PlacementBroker(b.BrokerId, b.Rack)).ToList();
        int[][] assignment;
        if (topic.Assignments is { Count: > 0 } manual)
        {
            if (topic.NumPartitions != -1 || topic.ReplicationFactor != -1)
            {
                return (Fail(ErrorCode.InvalidRequest, "A manual partition assignment was specified, but numPartitions or replicationFactor was not set to -1."), none);
            }

            var (checkedAssignment, error) = ValidateManualAssignment(image, manual);
            if (error.IsError)
            {
                return (new CreateTopicResult(topic.Name, error), none);
            }

            assignment = checkedAssignment!;
        }
        else
        {
            int partitions = topic.NumPartitions == -1 ? options.DefaultNumPartitions : topic.NumPartitions;
            int replicationFactor = topic.ReplicationFactor == -1 ? options.DefaultReplicationFactor : topic.ReplicationFactor;
            if (partitions <= 0)
            {
                return (Fail(ErrorCode.InvalidPartitions, "Number of partitions was set to an invalid non-positive value."), none);
            }

            if (replicationFactor <= 0)
            {
                return (Fail(ErrorCode.InvalidReplicationFactor, "Replication factor must be larger than 0, or -1 to use the default value."), none);
            }

            var (placed, error) = placer.Place(active, partitions, replicationFactor);
            if (error.IsError)
            {
                return (new CreateTopicResult(topic.Name, error), none);
            }

            assignment = placed!;
        }

        var resource = ConfigResource.ForTopic(topic.Name);
        var configRecords = new List<MetadataRecord>();
        foreach (var (name, value) in topic.Configs ?? ImmutableDictionary<string, string?>.Empty)
        {
            if (value is null)
            {
                return (Fail(ErrorCode.InvalidConfig, $"Null value not supported for topic configs: {name}"), none);
            }

            ApiError configError = configValidator.Validate(resource, name, value);
            if (configError.IsError)
            {
                return (new CreateTopicResult(topic.Name, configError), none);
            }

            configRecords.Add(new ConfigRecord(ConfigResourceType.Topic, topic.Name, name, value));
        }

        if (topic.Configs is { Count: > 0 } configs)
        {
            ApiError setError = configValidator.ValidateResulting(resource, configs.ToDictionary(c => c.Key, c => c.Value!, StringComparer.Ordinal));
            if (setError.IsError)
            {
                return (new CreateTopicResult(topic.Name, setError), none);
            }
        }

        Guid topicId = NewTopicId();
        var records = new List<MetadataRecord> { new TopicRecord(topic.Name, topicId) };
        records.AddRange(configRecords);
        for (int partition = 0; partition < assignment.Length; partition++)
        {
            ImmutableArray<int> replicas = [.. assignment[partition]];
            ImmutableArray<int> isr = [.. replicas.Where(image.IsBrokerActive)];
            if (isr.IsEmpty)
            {
                return (Fail(ErrorCode.InvalidReplicationFactor, $"All brokers specified in the partition assignment for partition {partition} are fenced or in controlled shutdown."), none);
            }

            records.Add(new PartitionRecord(topicId, partition, replicas, isr, PartitionElections.ElectFromIsr(image, replicas, isr, excluded: -1), 0, 0));
        }

        return (new CreateTopicResult(topic.Name, ApiError.None, topicId, assignment.Length, (short)assignment[0].Length), records);
    }

    private (ApiError Error, List<MetadataRecord> Records) CreatePartitions(MetadataImage image, CreatePartitionsTopic request)
    {
        List<MetadataRecord> none = [];
        TopicImage? topic = image.GetTopic(request.Name);
        if (topic is null)
        {
            return (new ApiError(ErrorCode.UnknownTopicOrPartition, "This server does not host this topic-partition."), none);
        }

        int current = topic.Partitions.Count;
        if (request.Count < current)
        {
            return (new ApiError(ErrorCode.InvalidPartitions, $"The topic {request.Name} currently has {current} partition(s); {request.Count} would not be an increase."), none);
        }

        if (request.Count == current)
        {
            return (new ApiError(ErrorCode.InvalidPartitions, $"Topic already has {current} partition(s)."), none);
        }

        int added = request.Count - current;
        if (added > options.MaxPartitionsPerRequest)
        {
            return (new ApiError(ErrorCode.PolicyViolation, "Excessively large number of partitions per request."), none);
        }

        int replicationFactor = topic.Partitions.Values.First().Replicas.Length;
        int[][] assignment;
        if (request.Assignments is { } manual)
        {
            if (manual.Count != added)
            {
                return (new ApiError(ErrorCode.InvalidReplicaAssignment, $"Attempted to add {added} additional partition(s), but only {manual.Count} assignment(s) were specified."), none);
            }

            var byIndex = new Dictionary<int, IReadOnlyList<int>>();
            for (int i = 0; i < manual.Count; i++)
            {
                if (manual[i].Count != replicationFactor)
                {
                    return (new ApiError(ErrorCode.InvalidReplicaAssignment,
                        $"The manual partition assignment includes a partition with {manual[i].Count} replica(s), but this is not consistent with previous partitions, which have {replicationFactor} replica(s)."), none);
                }

                byIndex[i] = manual[i];
            }

            var (checkedAssignment, error) = ValidateManualAssignment(image, byIndex);
            if (error.IsError)
            {
                return (error, none);
            }

            assignment = checkedAssignment!;
        }
        else
        {
            var active = image.UnfencedBrokers.Select(b => new PlacementBroker(b.BrokerId, b.Rack)).ToList();
            var (placed, error) = placer.Place(active, added, replicationFactor, firstPartition: current);
            if (error.IsError)
            {
                return (error, none);
            }

            assignment = placed!;
        }

        var records = new List<MetadataRecord>(added);
        for (int i = 0; i < added; i++)
        {
            ImmutableArray<int> replicas = [.. assignment[i]];
            ImmutableArray<int> isr = [.. replicas.Where(image.IsBrokerActive)];
            if (isr.IsEmpty)
            {
                return (new ApiError(ErrorCode.InvalidReplicationFactor, $"All brokers specified in the partition assignment for partition {current + i} are fenced or in controlled shutdown."), none);
            }

            records.Add(new PartitionRecord(topic.TopicId, current + i, replicas, isr, PartitionElections.ElectFromIsr(image, replicas, isr, excluded: -1), 0, 0));
        }

        return (ApiError.None, records);
    }

    /// <summary>Partitions numbered 0..n-1, each with at least one replica, no replica twice, every replica a registered broker.</summary>
    private static (int[][]? Assignment, ApiError Error) ValidateManualAssignment(MetadataImage image, IReadOnlyDictionary<int, IReadOnlyList<int>> manual)
    {
        var assignment = new int[manual.Count][];
        foreach (var (partition, replicas) in manual)
        {
            if (partition < 0 || partition >= manual.Count)
            {
                return (null, new ApiError(ErrorCode.InvalidReplicaAssignment, "Partitions should be a consecutive 0-based integer sequence."));
            }

            if (replicas.Count == 0)
            {
                return (null, new ApiError(ErrorCode.InvalidReplicaAssignment, $"The manual partition assignment includes an empty replica list for partition {partition}."));
            }

            if (replicas.Distinct().Count() != replicas.Count)
            {
                return (null, new ApiError(ErrorCode.InvalidReplicaAssignment, $"The manual partition assignment for partition {partition} includes a duplicate replica."));
            }

            foreach (int broker in replicas)
            {
                if (image.GetBroker(broker) is null)
                {
                    return (null, new ApiError(ErrorCode.InvalidReplicaAssignment, $"The manual partition assignment includes broker {broker}, but no such broker is registered."));
                }
            }

            assignment[partition] = [.. replicas];
        }

        return (assignment, ApiError.None);
    }

    private Guid NewTopicId()
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x40); // version 4
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant; never the all-zero id Kafka reserves
        return new Guid(bytes, bigEndian: true);
    }
}
