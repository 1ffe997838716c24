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

    /// <summary>
    /// Reads every partition of <paramref name="topic"/> from the start until each reached its end (the last stable
    /// offset for read_committed) and nothing new arrived for a moment; the values in partition order.
    /// </summary>
    public List<ConsumeResult<string, string>> ReadAll(string topic, int partitions, IsolationLevel isolation)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = BootstrapServers,
            GroupId = "reader-" + Guid.NewGuid().ToString("N"),
            IsolationLevel = isolation,
            EnableAutoCommit = false,
            EnablePartitionEof = true,
            AutoOffsetReset = AutoOffsetReset.Earliest,
        };
        using IConsumer<string, string> consumer = new ConsumerBuilder<string, string>(config).Build();
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var records = new List<ConsumeResult<string, string>>();
        var atEnd = new HashSet<int>();
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (atEnd.Count < partitions)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"reading {topic} did not reach the end of every partition ({atEnd.Count}/{partitions}); read {records.Count}");
            }

            if (consumer.Consume(TimeSpan.FromMilliseconds(500)) is not { } result)
            {
                continue;
            }

            if (result.IsPartitionEOF)
            {
                atEnd.Add(result.Partition.Value);
            }
            else
            {
                atEnd.Remove(result.Partition.Value);
                records.Add(result);
            }
        }

        return records;
    }

    public async ValueTask DisposeAsync() => await _process.DisposeAsync();
}
