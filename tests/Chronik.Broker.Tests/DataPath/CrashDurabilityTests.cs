using Chronik.Testing;
using Confluent.Kafka;

namespace Chronik.Broker.Tests.DataPath;

/// <summary>
/// Issue 5, item 6: kill -9 the broker right after acks=all produces were acknowledged, restart it, and every
/// acknowledged record is there — repeated, on the same data directory, while more produces are in flight.
/// </summary>
public class CrashDurabilityTests
{
    private const int Rounds = 3;
    private const int PerRound = 1500;
    private const int KillAfterAcknowledged = 400;

    [Fact]
    public async Task Every_acknowledged_record_survives_kill_9()
    {
        using var data = new TempDirectory("crash");
        var options = new BrokerProcessOptions { DataDirectory = data.Path };
        var acknowledged = new HashSet<string>(StringComparer.Ordinal);
        string topic = "crash";
        for (int round = 0; round < Rounds; round++)
        {
            var broker = await BrokerProcess.StartAsync(options);
            try
            {
                // The same ports on every restart, so clients and the data directory stay the same.
                options.KafkaPort = broker.KafkaPort;
                options.HttpPort = broker.HttpPort;
                options.RaftPort = broker.RaftPort;
                VerifyAcknowledgedPresent(broker, topic, acknowledged, round);
                await ProduceThenKillAsync(broker, topic, round, acknowledged);
            }
            finally
            {
                await broker.DisposeAsync();
            }
        }

        var final = await BrokerProcess.StartAsync(options);
        await using (final)
        {
            VerifyAcknowledgedPresent(final, topic, acknowledged, Rounds);
        }
    }

    private static async Task ProduceThenKillAsync(BrokerProcess broker, string topic, int round, HashSet<string> acknowledged)
    {
        using var producer = Clients.Producer(broker.BootstrapServers, acks: Acks.All, messageTimeoutMs: 5000);
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var acked = new List<string>();
        for (int i = 0; i < PerRound; i++)
        {
            string value = $"r{round}-{i}";
            producer.Produce(topic, new Message<string, string> { Key = "k", Value = value }, report =>
            {
                if (report.Status == PersistenceStatus.Persisted)
                {
                    lock (acked)
                    {
                        acked.Add(value);
                        if (acked.Count >= KillAfterAcknowledged)
                        {
                            enough.TrySetResult();
                        }
                    }
                }
            });
        }

        await enough.Task.WaitAsync(TimeSpan.FromSeconds(60));
        broker.Send(Signal.Kill);
        await broker.WaitForExitAsync(TimeSpan.FromSeconds(30));

        // Whatever was in flight now fails (the broker is gone); only reports that said "persisted" count.
        producer.Flush(TimeSpan.FromSeconds(20));
        lock (acked)
        {
            Assert.True(acked.Count >= KillAfterAcknowledged);
            acknowledged.UnionWith(acked);
        }
    }

    private static void VerifyAcknowledgedPresent(BrokerProcess broker, string topic, HashSet<string> acknowledged, int round)
    {
        if (acknowledged.Count == 0)
        {
            return;
        }

        using var consumer = Clients.Consumer(broker.BootstrapServers);
        var end = consumer.QueryWatermarkOffsets(new TopicPartition(topic, 0), TimeSpan.FromSeconds(30)).High.Value;
        var present = Clients.ConsumeAll(broker.BootstrapServers, topic, (int)end, Offset.Beginning, TimeSpan.FromSeconds(60))
            .Select(r => r.Message.Value)
            .ToHashSet(StringComparer.Ordinal);
        var missing = acknowledged.Where(v => !present.Contains(v)).Take(10).ToList();
        Assert.True(missing.Count == 0, $"after kill -9 #{round}: {acknowledged.Count - present.Count(acknowledged.Contains)} acknowledged record(s) missing, e.g. {string.Join(", ", missing)}; log end {end}\n{broker.Output}");
    }
}
