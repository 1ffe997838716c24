using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Chronik.Bench.Workloads;
using Chronik.Testing;

namespace Chronik.Bench.Targets;

/// <summary>
/// Creates topics on a real broker with the Confluent AdminClient (topics that already exist with the
/// right partition count are used as they are). Where CreateTopics is not served
/// (not advertised in ApiVersions), topics are auto-created through Metadata, which gives the
/// broker's num.partitions; the partition count is checked either way so a scenario never runs on a
/// differently shaped topic.
/// </summary>
public static class TopicAdmin
{
    private const int CreateBatch = 100;
    private static readonly TimeSpan MetadataTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    public static async Task CreateAsync(string bootstrapServers, IReadOnlyList<string> topics, int partitions, int replicationFactor, Action<string> note, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? configs = null)
    {
        using var admin = new AdminClientBuilder(ClientSettings.Admin(bootstrapServers)).Build();
        if (AllExist(admin, topics, partitions))
        {
            return;
        }

        bool created = await TryCreateTopicsAsync(admin, topics, partitions, replicationFactor, configs, note, cancellationToken);
        if (!created)
        {
            if (configs is { Count: > 0 })
            {
                throw new ScenarioFailedException($"topic configs ({string.Join(", ", configs.Keys)}) need CreateTopics, which the broker does not serve");
            }

            AutoCreate(admin, topics);
        }

        await WaitUntilReadyAsync(admin, topics, partitions, cancellationToken);
    }

    /// <summary>True when CreateTopics did it; false when the broker does not serve it.</summary>
    private static async Task<bool> TryCreateTopicsAsync(IAdminClient admin, IReadOnlyList<string> topics, int partitions, int replicationFactor, IReadOnlyDictionary<string, string>? configs, Action<string> note, CancellationToken cancellationToken)
    {
        var options = new CreateTopicsOptions { OperationTimeout = TimeSpan.FromSeconds(30), RequestTimeout = TimeSpan.FromSeconds(30) };
        for (int start = 0; start < topics.Count; start += CreateBatch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var specs = new List<TopicSpecification>();
            for (int i = start; i < Math.Min(topics.Count, start + CreateBatch); i++)
            {
                var spec = new TopicSpecification { Name = topics[i], NumPartitions = partitions, ReplicationFactor = (short)replicationFactor };
                if (configs is not null)
                {
                    spec.Configs = new Dictionary<string, string>(configs, StringComparer.Ordinal);
                }

                specs.Add(spec);
            }

            try
            {
                await admin.CreateTopicsAsync(specs, options);
            }
            catch (CreateTopicsException e)
            {
                var failed = e.Results.Where(r => r.Error.Code is not ErrorCode.NoError and not ErrorCode.TopicAlreadyExists).ToList();
                if (failed.Count > 0 && failed.All(r => IsNotServed(r.Error.Code)))
                {
                    note($"CreateTopics not served ({failed[0].Error.Reason}); topics auto-created through Metadata with the broker's num.partitions");
                    return false;
                }

                if (failed.Count > 0)
                {
                    throw new ScenarioFailedException($"CreateTopics {failed[0].Topic}: {failed[0].Error.Code} {failed[0].Error.Reason}");
                }
            }
            catch (KafkaException e) when (IsNotServed(e.Error.Code))
            {
                note($"CreateTopics not served ({e.Error.Reason}); topics auto-created through Metadata with the broker's num.partitions");
                return false;
            }
            catch (KafkaException e)
            {
                throw new ScenarioFailedException($"CreateTopics: {e.Error.Code} {e.Error.Reason}");
            }
        }

        return true;
    }

    /// <summary>True when every topic already exists with <paramref name="partitions"/> partitions (created beforehand, e.g. on a cluster).</summary>
    private static bool AllExist(IAdminClient admin, IReadOnlyList<string> topics, int partitions)
    {
        try
        {
            var existing = admin.GetMetadata(MetadataTimeout).Topics
                .Where(t => t.Error.Code == ErrorCode.NoError)
                .ToDictionary(t => t.Topic, t => t.Partitions.Count, StringComparer.Ordinal);
            return topics.All(t => existing.TryGetValue(t, out int count) && count == partitions);
        }
        catch (KafkaException)
        {
            return false;
        }
    }

    private static bool IsNotServed(ErrorCode code) =>
        code is ErrorCode.Local_UnsupportedFeature or ErrorCode.UnsupportedVersion or ErrorCode.InvalidRequest;

    /// <summary>A Metadata request naming the topic makes a broker with auto.create.topics.enable create it.</summary>
    private static void AutoCreate(IAdminClient admin, IReadOnlyList<string> topics)
    {
        foreach (string topic in topics)
        {
            try
            {
                admin.GetMetadata(topic, MetadataTimeout);
            }
            catch (KafkaException e)
            {
                throw new ScenarioFailedException($"auto-creating {topic} through Metadata: {e.Error.Code} {e.Error.Reason}");
            }
        }
    }

    private static async Task WaitUntilReadyAsync(IAdminClient admin, IReadOnlyList<string> topics, int partitions, CancellationToken cancellationToken)
    {
        var wanted = new HashSet<string>(topics, StringComparer.Ordinal);
        var deadline = DateTime.UtcNow + ReadyTimeout;
        string problem = "no metadata yet";
        while (DateTime.UtcNow < deadline)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var metadata = admin.GetMetadata(MetadataTimeout);
                var seen = metadata.Topics.Where(t => wanted.Contains(t.Topic)).ToList();
                var wrongShape = seen.FirstOrDefault(t => t.Error.Code == ErrorCode.NoError && t.Partitions.Count != partitions);
                if (wrongShape is not null)
                {
                    throw new ScenarioFailedException($"topic {wrongShape.Topic} has {wrongShape.Partitions.Count} partitions, the scenario needs {partitions}");
                }

                int ready = seen.Count(t => t.Error.Code == ErrorCode.NoError && t.Partitions.All(p => p.Leader >= 0));
                if (ready == wanted.Count)
                {
                    return;
                }

                problem = $"{ready} of {wanted.Count} topics have leaders for all partitions";
            }
            catch (KafkaException e)
            {
                problem = $"{e.Error.Code} {e.Error.Reason}";
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }

        throw new ScenarioFailedException($"topics not ready within {ReadyTimeout.TotalSeconds:0} s: {problem}");
    }
}
