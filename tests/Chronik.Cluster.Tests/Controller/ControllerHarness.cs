using Chronik.Cluster.Controller;
using Chronik.Cluster.Metadata;
using Microsoft.Extensions.Time.Testing;

namespace Chronik.Cluster.Tests.Controller;

/// <summary>The pure controller decisions over an in-memory image, committing every decision's records at once (no quorum).</summary>
internal sealed class ControllerHarness
{
    public ControllerHarness(int seed = 1, ControllerOptions? options = null, IConfigValidator? validator = null)
    {
        Options = options ?? new ControllerOptions();
        var random = new Random(seed);
        Topics = new TopicDecisions(Options, new ReplicaPlacer(random), validator ?? AcceptAllConfigValidator.Instance, random);
        Configs = new ConfigDecisions(validator ?? AcceptAllConfigValidator.Instance);
        Brokers = new BrokerDecisions(new BrokerHeartbeatTracker(Time, Options.BrokerSessionTimeout), Options);
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

    /// <summary>Invariants that must hold after every committed decision.</summary>
    public void AssertInvariants()
    {
        foreach (TopicImage topic in Image.Topics.Values)
        {
            Assert.Equal(Enumerable.Range(0, topic.Partitions.Count), topic.Partitions.Keys);
            foreach (PartitionRegistration p in topic.Partitions.Values)
            {
                Assert.NotEmpty(p.Isr);
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
