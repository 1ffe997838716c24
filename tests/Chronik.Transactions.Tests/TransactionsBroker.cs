using Chronik.Testing;
using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Chronik.Transactions.Tests;

/// <summary>
/// A chronik-server child process set up for transaction tests: small internal topics (so they load quickly),
/// a short initial rebalance delay, and helpers to create topics and read them with either isolation level.
/// </summary>
public sealed class TransactionsBroker : IAsyncDisposable
{
    private readonly BrokerProcess _process;

    private TransactionsBroker(BrokerProcess process)
    {
        _process = process;
    }

    public string BootstrapServers => _process.BootstrapServers;

    public string Output => _process.Output;

    public static async Task<TransactionsBroker> StartAsync()
    {
        var options = new BrokerProcessOptions();
        foreach (string setting in new[] { "transaction.state.log.num.partitions=5", "offsets.topic.num.partitions=5", "group.initial.rebalance.delay.ms=300" })
        {
            options.Arguments.Add("--override");
            options.Arguments.Add(setting);
        }

        return new TransactionsBroker(await BrokerProcess.StartAsync(options));
    }

    public async Task CreateTopicAsync(string topic, int partitions)
    {
        using IAdminClient admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = BootstrapServers }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = partitions, ReplicationFactor = 1 }]);
    }

    /// <summary>Every record of <paramref name="topic"/> read with <paramref name="isolation"/> (<see cref="TopicReader.ReadAll"/>).</summary>
    public List<ConsumeResult<string, string>> ReadAll(string topic, int partitions, IsolationLevel isolation) =>
        TopicReader.ReadAll(BootstrapServers, topic, partitions, isolation);

    public async ValueTask DisposeAsync() => await _process.DisposeAsync();
}
