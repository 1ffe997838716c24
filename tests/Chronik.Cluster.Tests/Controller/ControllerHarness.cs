using Chronik.Cluster.Controller;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Wire;
using Microsoft.Extensions.Time.Testing;

namespace Chronik.Cluster.Tests.Controller;

/// <summary>The pure controller decisions over an in-memory image, committing every decision's records at once (no quorum).</summary>
internal sealed class ControllerHarness
{
    public ControllerHarness(int seed = 1, ControllerOptions? options = null, IConfigValidator? validator = null, LocalBroker? localBroker = null)
    {
        Options = options ?? new ControllerOptions();
        var random = new Random(seed);
        Topics = new TopicDecisions(Options, new ReplicaPlacer(random), validator ?? AcceptAllConfigValidator.Instance, random);
        Configs = new ConfigDecisions(validator ?? AcceptAllConfigValidator.Instance);
        Brokers = new BrokerDecisions(new BrokerHeartbeatTracker(Time, Options.BrokerSessionTimeout), Options, localBroker);
    }

    public FakeTimeProvider Time { get; } = new();

    public ControllerOptions Options { get; }

    public TopicDecisions Topics { get; }

    public ConfigDecisions Configs { get; }

    public BrokerDecisions Brokers { get; }

    public MetadataImage Image { get; private set; } = MetadataImage.Empty;

    public T Commit<T>(ControllerResult<T> result)
    {
        if (result.Records.Length > 0)
        {
            Image = Image.Apply(result.Records, Image.Version + 1);
        }

        return result.Response;
    }

    public void Commit(IReadOnlyList<MetadataRecord> records)
    {
        if (records.Count > 0)
        {
            Image = Image.Apply(records, Image.Version + 1);
        }
    }

    /// <summary>Registers and unfences a broker; returns its epoch.</summary>
    public long AddBroker(int id, string? rack = null)
    {
        var registered = Commit(Brokers.Register(Image, new BrokerRegistrationRequest(id, Guid.NewGuid(), [new BrokerEndpoint("PLAINTEXT", "127.0.0.1", 9000 + id)], rack)));
        Assert.False(registered.Error.IsError, registered.Error.ToString());
        var beat = Commit(Brokers.Heartbeat(Image, new BrokerHeartbeatRequest(id, registered.BrokerEpoch, Image.Version)));
        Assert.False(beat.IsFenced);
        return registered.BrokerEpoch;
    }

    public CreateTopicResult CreateTopic(string name, int partitions = -1, short replicationFactor = -1) =>
        Commit(Topics.CreateTopics(Image, [new CreatableTopic(name, partitions, replicationFactor)]))[0];

    /// <summary>Creates a topic with the given replica lists (partition i gets <paramref name="assignments"/>[i]); returns its id.</summary>
    public Guid CreateAssigned(string name, params int[][] assignments)
    {
        var manual = new Dictionary<int, IReadOnlyList<int>>();
        for (int i = 0; i < assignments.Length; i++)
        {
            manual[i] = assignments[i];
        }

        CreateTopicResult result = Commit(Topics.CreateTopics(Image, [new CreatableTopic(name, Assignments: manual)]))[0];
        Assert.False(result.Error.IsError, result.Error.ToString());
        return result.TopicId;
    }

    /// <summary>The partition's leader asks for <paramref name="isr"/> (AlterPartition); returns the partition's error.</summary>
    public ErrorCode AlterIsr(Guid topicId, int partition, params int[] isr)
    {
        PartitionRegistration p = Image.GetPartition(topicId, partition)!;
        long epoch = Image.GetBroker(p.Leader)!.BrokerEpoch;
        var request = new AlterPartitionRequest(p.Leader, epoch, [new AlterPartitionItem(topicId, partition, p.LeaderEpoch, p.PartitionEpoch, isr.Select(b => new IsrMember(b)).ToList())]);
        return Commit(AlterPartitionDecisions.Decide(Image, request)).Partitions.Single().Error.Code;
    }

    /// <summary>Invariants that must hold after every committed decision.</summary>
    public void AssertInvariants()
    {
        foreach (TopicImage topic in Image.Topics.Values)
        {
            Assert.Equal(Enumerable.Range(0, topic.Partitions.Count), topic.Partitions.Keys);
            foreach (PartitionRegistration p in topic.Partitions.Values)
            {
                Assert.NotEmpty(p.Isr);
                Assert.All(p.AddingReplicas, r => Assert.Contains(r, p.Replicas));
                Assert.All(p.RemovingReplicas, r => Assert.Contains(r, p.Replicas));
                Assert.Empty(p.AddingReplicas.Intersect(p.RemovingReplicas));
                Assert.NotEmpty(p.TargetReplicas);
                Assert.All(p.Isr, r => Assert.Contains(r, p.Replicas));
                Assert.Equal(p.Replicas.Length, p.Replicas.Distinct().Count());
                if (p.HasLeader)
                {
                    Assert.Contains(p.Leader, p.Isr);
                    Assert.True(Image.IsBrokerActive(p.Leader), $"leader {p.Leader} of {topic.Name}-{p.Partition} is not an active broker");
                }
                else
                {
                    // No unclean election: leaderless only when no ISR member is alive.
                    Assert.DoesNotContain(p.Isr, Image.IsBrokerActive);
                }
            }
        }
    }
}
