using Chronik.Testing;
using Confluent.Kafka;

namespace Chronik.Transactions.Tests;

/// <summary>
/// Issue 9 (c): consume-transform-produce with SendOffsetsToTransaction. The application (this assembly run as a
/// child process, <see cref="ConsumeTransformProduceApp"/>) is killed with SIGKILL mid-stream several times and
/// restarted with the same transactional.id and group; the output topic, read with read_committed, must then hold
/// each input record exactly once.
/// </summary>
public class ConsumeTransformProduceTests : IAsyncLifetime
{
    private const int Partitions = 3;
    private const int InputRecords = 3000;
    private const int Kills = 4;
    private TransactionsBroker _broker = null!;

    public async Task InitializeAsync() => _broker = await TransactionsBroker.StartAsync();

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    [Fact]
    public async Task Each_input_record_is_in_the_output_exactly_once_despite_kill_9_restarts()
    {
        string run = Guid.NewGuid().ToString("N")[..8];
        string input = "ctp-in-" + run;
        string output = "ctp-out-" + run;
        await _broker.CreateTopicAsync(input, Partitions);
        await _broker.CreateTopicAsync(output, Partitions);
        await ProduceInputAsync(input);

        var random = new Random(17);
        for (int kill = 0; kill < Kills; kill++)
        {
            await using var app = ConsumeTransformProduceProcess.Start(_broker.BootstrapServers, input, output, run, batch: 40 + random.Next(40));
            // Let it commit a few transactions, then kill it at an arbitrary point of the next ones.
            int target = app.Committed + 2 + random.Next(4);
            await Wait.UntilAsync(() => app.Committed >= target || app.HasExited, $"the application committed {target} transactions (run {kill})", TimeSpan.FromSeconds(90));
            Assert.False(app.HasExited, $"the application stopped on its own:\n{app.OutputTail()}");
            await Task.Delay(random.Next(0, 150));
            app.Kill();
        }

        await using (var last = ConsumeTransformProduceProcess.Start(_broker.BootstrapServers, input, output, run, batch: 100))
        {
            await Wait.UntilAsync(
                () => last.HasExited || _broker.ReadAll(output, Partitions, IsolationLevel.ReadCommitted).Count >= InputRecords,
                "the output holds every input record",
                TimeSpan.FromMinutes(3));
            Assert.False(last.HasExited, $"the application stopped on its own:\n{last.OutputTail()}");
        }

        var outputs = _broker.ReadAll(output, Partitions, IsolationLevel.ReadCommitted);
        var duplicates = outputs.GroupBy(r => r.Message.Value).Where(g => g.Count() > 1).Select(g => g.Key).Take(5).ToList();
        Assert.True(duplicates.Count == 0, $"duplicated output records: {string.Join(", ", duplicates)}");
        Assert.Equal(Enumerable.Range(0, InputRecords).Select(i => $"out-value-{i:D5}").Order(), outputs.Select(r => r.Message.Value).Order());

        // The aborted attempts are in the log: read_uncommitted sees more than read_committed.
        Assert.True(_broker.ReadAll(output, Partitions, IsolationLevel.ReadUncommitted).Count >= InputRecords);
    }

    private async Task ProduceInputAsync(string input)
    {
        using IProducer<string, string> producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = _broker.BootstrapServers, LingerMs = 5 }).Build();
        for (int i = 0; i < InputRecords; i++)
        {
            producer.Produce(input, new Message<string, string> { Key = $"key-{i % 97}", Value = $"value-{i:D5}" });
        }

        producer.Flush(TimeSpan.FromSeconds(60));
        Assert.Equal(InputRecords, _broker.ReadAll(input, Partitions, IsolationLevel.ReadUncommitted).Count);
        await Task.CompletedTask;
    }
}
