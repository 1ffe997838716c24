using Chronik.Testing;
using Confluent.Kafka;

namespace Chronik.Transactions.Tests;

/// <summary>
/// Issue 9 (b): a transactional producer (Confluent.Kafka, librdkafka 2.16) interleaving commits and aborts against
/// chronik-server: read_committed consumers (Confluent.Kafka and kcat) see exactly the committed records, in order,
/// read_uncommitted ones see everything; an open transaction holds read_committed back at the last stable offset;
/// a second producer with the same transactional.id fences the first.
/// </summary>
public class TransactionalProducerTests : IAsyncLifetime
{
    private const int Partitions = 3;
    private TransactionsBroker _broker = null!;

    public async Task InitializeAsync() => _broker = await TransactionsBroker.StartAsync();

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    private IProducer<string, string> TransactionalProducer(string transactionalId) =>
        new ProducerBuilder<string, string>(new ProducerConfig
        {
            BootstrapServers = _broker.BootstrapServers,
            TransactionalId = transactionalId,
            LingerMs = 2,
        }).Build();

    [Fact]
    public void The_bundled_librdkafka_is_the_one_loaded() =>
        Assert.StartsWith("2.16.", Library.VersionString, StringComparison.Ordinal);

    [Fact]
    public async Task Read_committed_sees_exactly_the_committed_transactions_and_read_uncommitted_sees_all()
    {
        string topic = "txn-" + Guid.NewGuid().ToString("N");
        await _broker.CreateTopicAsync(topic, Partitions);
        var (committed, all) = ProduceInterleaved(topic, transactions: 30, perTransaction: 12, seed: 9);

        var readCommitted = _broker.ReadAll(topic, Partitions, IsolationLevel.ReadCommitted);
        Assert.Equal(committed.Order(), readCommitted.Select(r => r.Message.Value).Order());
        AssertInProducedOrder(readCommitted);

        var readUncommitted = _broker.ReadAll(topic, Partitions, IsolationLevel.ReadUncommitted);
        Assert.Equal(all.Order(), readUncommitted.Select(r => r.Message.Value).Order());

        var kcatCommitted = await KcatAsync(topic, "read_committed");
        Assert.Equal(committed.Order(), kcatCommitted.Order());
        var kcatUncommitted = await KcatAsync(topic, "read_uncommitted");
        Assert.Equal(all.Order(), kcatUncommitted.Order());
    }

    [Fact]
    public async Task An_open_transaction_holds_read_committed_consumers_back_until_it_commits()
    {
        string topic = "lso-" + Guid.NewGuid().ToString("N");
        await _broker.CreateTopicAsync(topic, 1);
        using IProducer<string, string> transactional = TransactionalProducer("lso-" + topic);
        transactional.InitTransactions(TimeSpan.FromSeconds(60));
        transactional.BeginTransaction();
        await transactional.ProduceAsync(topic, new Message<string, string> { Key = "k", Value = "in-transaction" });

        // A plain producer writes after the open transaction: read_committed must not see past the transaction.
        using (IProducer<string, string> plain = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = _broker.BootstrapServers }).Build())
        {
            await plain.ProduceAsync(topic, new Message<string, string> { Key = "k", Value = "after" });
        }

        Assert.Empty(_broker.ReadAll(topic, 1, IsolationLevel.ReadCommitted));
        Assert.Equal(["in-transaction", "after"], _broker.ReadAll(topic, 1, IsolationLevel.ReadUncommitted).Select(r => r.Message.Value));

        transactional.CommitTransaction(TimeSpan.FromSeconds(60));
        await Wait.UntilAsync(() => _broker.ReadAll(topic, 1, IsolationLevel.ReadCommitted).Count == 2, "the commit releases both records", TimeSpan.FromSeconds(60));
        Assert.Equal(["in-transaction", "after"], _broker.ReadAll(topic, 1, IsolationLevel.ReadCommitted).Select(r => r.Message.Value));
    }

    [Fact]
    public async Task A_second_producer_with_the_same_transactional_id_fences_the_first_and_aborts_its_transaction()
    {
        string topic = "fence-" + Guid.NewGuid().ToString("N");
        await _broker.CreateTopicAsync(topic, 1);
        string transactionalId = "fenced-" + topic;
        using IProducer<string, string> first = TransactionalProducer(transactionalId);
        first.InitTransactions(TimeSpan.FromSeconds(60));
        first.BeginTransaction();
        await first.ProduceAsync(topic, new Message<string, string> { Key = "k", Value = "zombie" });

        using IProducer<string, string> second = TransactionalProducer(transactionalId);
        second.InitTransactions(TimeSpan.FromSeconds(60));
        second.BeginTransaction();
        await second.ProduceAsync(topic, new Message<string, string> { Key = "k", Value = "survivor" });
        second.CommitTransaction(TimeSpan.FromSeconds(60));

        var fenced = Assert.ThrowsAny<KafkaException>(() => first.CommitTransaction(TimeSpan.FromSeconds(30)));
        Assert.True(fenced.Error.IsFatal || fenced is KafkaTxnRequiresAbortException, $"the zombie's commit failed with {fenced.Error}");
        Assert.Equal(["survivor"], _broker.ReadAll(topic, 1, IsolationLevel.ReadCommitted).Select(r => r.Message.Value));
    }

    private (List<string> Committed, List<string> All) ProduceInterleaved(string topic, int transactions, int perTransaction, int seed)
    {
        var random = new Random(seed);
        var committed = new List<string>();
        var all = new List<string>();
        using IProducer<string, string> producer = TransactionalProducer("interleaved-" + topic);
        producer.InitTransactions(TimeSpan.FromSeconds(60));
        for (int t = 0; t < transactions; t++)
        {
            bool commit = random.Next(3) > 0;
            producer.BeginTransaction();
            var values = new List<string>();
            for (int i = 0; i < perTransaction; i++)
            {
                string value = $"t{t:D3}-r{i:D3}-{(commit ? "commit" : "abort")}";
                producer.Produce(topic, new Message<string, string> { Key = $"key-{random.Next(50)}", Value = value });
                values.Add(value);
            }

            producer.Flush(TimeSpan.FromSeconds(30));
            if (commit)
            {
                producer.CommitTransaction(TimeSpan.FromSeconds(60));
                committed.AddRange(values);
            }
            else
            {
                producer.AbortTransaction(TimeSpan.FromSeconds(60));
            }

            all.AddRange(values);
        }

        return (committed, all);
    }

    /// <summary>Within each partition, committed records come in the order they were produced.</summary>
    private static void AssertInProducedOrder(List<ConsumeResult<string, string>> records)
    {
        foreach (var partition in records.GroupBy(r => r.Partition.Value))
        {
            var values = partition.Select(r => r.Message.Value).ToList();
            Assert.Equal(values.Order(StringComparer.Ordinal), values);
        }
    }

    private async Task<List<string>> KcatAsync(string topic, string isolation)
    {
        ClientProcessResult result = await ClientProcess.RunAsync(
            "kcat",
            ["-C", "-b", _broker.BootstrapServers, "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%s\n", "-X", $"isolation.level={isolation}"],
            new ClientProcessOptions { Timeout = TimeSpan.FromMinutes(2) });
        result.EnsureSuccess();
        return [.. result.OutputLines];
    }
}
