using System.Diagnostics;
using Chronik.Cluster.Integration.Harness;
using Chronik.Testing;
using Confluent.Kafka;
using Xunit.Abstractions;
using static Chronik.Cluster.Integration.Harness.ClusterTestSupport;

namespace Chronik.Transactions.Tests;

/// <summary>
/// Issue 9 (d): consume-transform-produce with SendOffsetsToTransaction on a three-node cluster (raft-cluster child
/// processes) whose every topic — input, output, __consumer_offsets, __transaction_state — has three replicas and
/// min.insync.replicas 2. While the application (<see cref="ConsumeTransformProduceApp"/>) has transactions in flight,
/// the node coordinating its transactional.id is killed -9: the leader of that __transaction_state partition moves to
/// a survivor, which loads the transaction state and completes or aborts what was in flight; the application goes on
/// committing, the node comes back, and the output topic read with read_committed holds each input exactly once.
/// The application's consumer group is coordinated by another node (see <see cref="PickRunAsync"/>): with librdkafka
/// 2.16 the group coordinator's death can hang SendOffsetsToTransaction on the client.
/// A failed run keeps the cluster's files and the application's output (librdkafka debug contexts from CTP_DEBUG).
/// </summary>
public class ClusterConsumeTransformProduceTests(ITestOutputHelper log)
{
    private const int Partitions = 3;
    private const int InputRecords = 2000;
    private const string Input = "ctp-in";
    private const string Output = "ctp-out";

    [Fact]
    public async Task Each_input_record_is_in_the_output_exactly_once_despite_killing_the_transaction_coordinators_node()
    {
        await using var cluster = ClusterProcesses.Create(
            3,
            [
                .. FastFailureDetection,
                "--override", "min.insync.replicas=2",
                "--override", "transaction.state.log.num.partitions=5",
                "--override", "offsets.topic.num.partitions=5",
                "--override", "group.initial.rebalance.delay.ms=0",
            ]);
        await WithDiagnosticsAsync(cluster, async () =>
        {
            await cluster.StartAllAsync();
            foreach (string topic in new[] { Input, Output })
            {
                var configs = new Dictionary<string, string> { ["min.insync.replicas"] = "2" };
                Assert.Equal(0, (await CreateTopicAsync(cluster.Node(1).KafkaPort, topic, Partitions, 3, configs: configs)).ErrorCode);
            }

            await AgreedMetadataAsync(cluster.Nodes, m => InSync(m, Input) && InSync(m, Output), "the input and output topics are fully in sync");
            ProduceInput(cluster.AllBootstrapServers);

            // Both internal topics exist, fully replicated, before the application starts (FindCoordinator creates them).
            await WaitForCoordinatorsAsync(cluster.Node(1).KafkaPort, "warm-up");
            MetadataSnapshot internalTopics = await AgreedMetadataAsync(
                cluster.Nodes,
                m => InSync(m, "__transaction_state") && InSync(m, "__consumer_offsets"),
                "__transaction_state and __consumer_offsets are fully in sync");
            Assert.All(internalTopics.Topics["__transaction_state"], p => Assert.Equal(3, p.Replicas.Count));
            Assert.All(internalTopics.Topics["__consumer_offsets"], p => Assert.Equal(3, p.Replicas.Count));

            var (run, transactionCoordinator, groupCoordinator) = await PickRunAsync(cluster.Node(1).KafkaPort);
            log.WriteLine($"run {run}: transaction coordinator node {transactionCoordinator}, group coordinator node {groupCoordinator}");
            string transactionalId = ConsumeTransformProduceProcess.TransactionalId(run);
            await using var app = ConsumeTransformProduceProcess.Start(cluster.AllBootstrapServers, Input, Output, run, batch: 20);
            try
            {
                await RunAsync(cluster, app, transactionalId, transactionCoordinator);
            }
            catch
            {
                // A failed run keeps every node's log and data, and the application's output, for diagnosis.
                cluster.KeepFiles = true;
                await File.WriteAllTextAsync(Path.Combine(cluster.RootDirectory, "app.log"), app.Output);
                log.WriteLine($"kept the cluster's files in {cluster.RootDirectory}");
                throw;
            }
        });
    }

    private async Task RunAsync(ClusterProcesses cluster, ConsumeTransformProduceProcess app, string transactionalId, int coordinator)
    {
        await WaitForCommitsAsync(app, 3, "the application's first transactions");
        var (error, current) = await FindTransactionCoordinatorAsync(cluster.Node(1).KafkaPort, transactionalId);
        Assert.Equal(0, error);
        Assert.Equal(coordinator, current);

        // Kill the coordinator's node in the middle of the stream, transactions in flight.
        await WaitForCommitsAsync(app, app.Committed + 2, "more transactions before the kill");
        await cluster.KillAsync(coordinator);
        var clock = Stopwatch.StartNew();
        int committedAtKill = app.Committed;
        log.WriteLine($"killed node {coordinator}, the coordinator of {transactionalId}, after {committedAtKill} transactions ({app.CommittedRecords} of {InputRecords} records)");
        Assert.True(app.CommittedRecords < InputRecords - 200, "the application finished before the coordinator's node was killed");

        ClusterNode[] survivors = [.. cluster.Nodes.Where(n => n.NodeId != coordinator)];
        await WaitForCommitsAsync(app, committedAtKill + 3, "transactions through the new coordinator");
        var (successorError, successor) = await FindTransactionCoordinatorAsync(survivors[0].KafkaPort, transactionalId);
        Assert.Equal(0, successorError);
        Assert.NotEqual(coordinator, successor);
        log.WriteLine($"node {successor} coordinates {transactionalId}; the application committed again {clock.Elapsed.TotalSeconds:F1} s after the kill");

        await cluster.StartAsync(coordinator, waitForReady: true);
        await WaitForCommitsAsync(app, app.Committed + 2, "transactions after the node returned");
        await WaitForAsync(app, () => app.CommittedRecords >= InputRecords, "the application transformed every input record");

        var outputs = TopicReader.ReadAll(cluster.AllBootstrapServers, Output, Partitions, IsolationLevel.ReadCommitted);
        var duplicates = outputs.GroupBy(r => r.Message.Value).Where(g => g.Count() > 1).Select(g => g.Key).Take(5).ToList();
        Assert.True(duplicates.Count == 0, $"duplicated output records: {string.Join(", ", duplicates)}");
        Assert.Equal(Enumerable.Range(0, InputRecords).Select(i => $"out-value-{i:D5}").Order(), outputs.Select(r => r.Message.Value).Order());
    }

    /// <summary>Waits until both coordinators answer for a group and a transactional id named after <paramref name="run"/>.</summary>
    private static async Task<(int Transaction, int Group)> WaitForCoordinatorsAsync(int port, string run)
    {
        (short Error, int NodeId) transaction = default, group = default;
        await Wait.UntilAsync(
            async () =>
            {
                transaction = await FindTransactionCoordinatorAsync(port, ConsumeTransformProduceProcess.TransactionalId(run));
                group = await FindGroupCoordinatorAsync(port, ConsumeTransformProduceProcess.GroupId(run));
                return transaction.Error == 0 && group.Error == 0;
            },
            "FindCoordinator answers for a transactional id and a group",
            TimeSpan.FromSeconds(60),
            TimeSpan.FromMilliseconds(200));
        return (transaction.NodeId, group.NodeId);
    }

    /// <summary>
    /// A run id whose transactional id and consumer group have their coordinators on different nodes. The test kills
    /// the transaction coordinator's node; were the group's coordinator on it too, librdkafka (2.16) could hang in
    /// SendOffsetsToTransaction: it keeps the dead broker cached as the group coordinator after the broker drops out of
    /// Metadata and waits for that broker to come up, past its own timeout (librdkafka issues #5511 and #5456).
    /// </summary>
    private static async Task<(string Run, int TransactionCoordinator, int GroupCoordinator)> PickRunAsync(int port)
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            string run = Guid.NewGuid().ToString("N")[..8];
            var (transaction, group) = await WaitForCoordinatorsAsync(port, run);
            if (transaction != group)
            {
                return (run, transaction, group);
            }
        }

        throw new InvalidOperationException("no run id put the transaction and group coordinators on different nodes in 50 tries");
    }

    private static bool InSync(MetadataSnapshot metadata, string topic) =>
        metadata.Topics.TryGetValue(topic, out var partitions) && partitions.Count > 0 && partitions.All(p => p.Leader > 0 && p.Isr.Count == 3);

    private static void ProduceInput(string bootstrap)
    {
        var config = new ProducerConfig { BootstrapServers = Loopback.Bootstrap(bootstrap), Acks = Acks.All, EnableIdempotence = true, LingerMs = 5 };
        using IProducer<string, string> producer = new ProducerBuilder<string, string>(config).Build();
        for (int i = 0; i < InputRecords; i++)
        {
            producer.Produce(Input, new Message<string, string> { Key = $"key-{i % 97}", Value = $"value-{i:D5}" });
        }

        Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(60)));
    }

    private static Task WaitForCommitsAsync(ConsumeTransformProduceProcess app, int transactions, string what) =>
        WaitForAsync(app, () => app.Committed >= transactions, $"{what} ({transactions} committed transactions)");

    /// <summary>Waits for <paramref name="condition"/> while the application runs; a failure carries the application's output.</summary>
    private static async Task WaitForAsync(ConsumeTransformProduceProcess app, Func<bool> condition, string what)
    {
        try
        {
            await Wait.UntilAsync(() => condition() || app.HasExited, what, TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; the application wrote:\n{app.OutputTail()}", e);
        }

        Assert.False(app.HasExited, $"the application stopped on its own:\n{app.OutputTail()}");
    }
}
