using Chronik.Testing;
using Confluent.Kafka;

namespace Chronik.Groups.Tests;

/// <summary>
/// A chronik-server child process set up for group tests: auto-created topics get six partitions, the
/// initial rebalance delay is short, and it can be killed with SIGKILL and restarted on the same data
/// directory and ports.
/// </summary>
public sealed class GroupsBroker : IAsyncDisposable
{
    private readonly TempDirectory _data = new("groups");
    private BrokerProcess _process = null!;

    private GroupsBroker()
    {
    }

    public string BootstrapServers => _process.BootstrapServers;

    public string Output => _process.Output;

    public static async Task<GroupsBroker> StartAsync()
    {
        var broker = new GroupsBroker();
        broker._process = await BrokerProcess.StartAsync(broker.Options(null));
        return broker;
    }

    /// <summary>
    /// Creates a topic of six partitions the way a producer does: a Metadata request that allows auto
    /// creation (consumers never create the topics they subscribe to).
    /// </summary>
    public void CreateTopic(string topic)
    {
        using IProducer<Null, Null> producer = new ProducerBuilder<Null, Null>(new ProducerConfig { BootstrapServers = BootstrapServers }).Build();
        using IAdminClient admin = new DependentAdminClientBuilder(producer.Handle).Build();
        Metadata metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(30));
        if (metadata.Topics.Single().Partitions.Count != 6)
        {
            throw new InvalidOperationException($"topic {topic} was not created with six partitions: {metadata.Topics.Single().Error}");
        }
    }

    /// <summary>kill -9, then start again with the same ports and data.</summary>
    public async Task KillAndRestartAsync()
    {
        BrokerProcess old = _process;
        old.Send(Signal.Kill);
        await old.WaitForExitAsync(TimeSpan.FromSeconds(30));
        BrokerProcessOptions options = Options(old);
        await old.DisposeAsync();
        _process = await BrokerProcess.StartAsync(options);
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        _data.Dispose();
    }

    private BrokerProcessOptions Options(BrokerProcess? previous)
    {
        var options = new BrokerProcessOptions
        {
            DataDirectory = _data.Path,
            KafkaPort = previous?.KafkaPort,
            HttpPort = previous?.HttpPort,
            RaftPort = previous?.RaftPort,
        };
        foreach (string setting in new[] { "num.partitions=6", "group.initial.rebalance.delay.ms=300", "offsets.topic.num.partitions=10" })
        {
            options.Arguments.Add("--override");
            options.Arguments.Add(setting);
        }

        return options;
    }
}
