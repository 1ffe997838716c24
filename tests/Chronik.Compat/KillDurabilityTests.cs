using System.Collections.Concurrent;
using Chronik.Compat.Harness;
using Chronik.Testing;
using Confluent.Kafka;
using Xunit.Abstractions;

namespace Chronik.Compat;

/// <summary>
/// kill -9 right after acks=all produces: the broker is SIGKILLed the moment the acknowledgement
/// arrives, restarted on the same data directory and ports, and every acknowledged record must be
/// there, unchanged, at the offset it was acknowledged with. Several rounds on one data directory, so
/// each restart also recovers a log that was appended to after an earlier crash.
/// </summary>
public sealed class KillDurabilityTests(ITestOutputHelper output) : IDisposable
{
    private const int Rounds = 3;
    private const int Partitions = 3;
    private const string Topic = "durability";

    private readonly TempDirectory _data = new("durability");
    private readonly int[] _ports = FreePort.Next(3);

    [Fact]
    public async Task Confluent_acks_all_records_survive_kill_9_right_after_the_ack()
    {
        const int perRound = 20_000;
        var records = RecordSet.Generate(perRound * Rounds, seed: 4711, RecordShape.Full, DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeMilliseconds());
        var acknowledged = new ConcurrentDictionary<int, TopicPartitionOffset>();
        var broker = await StartAsync();
        try
        {
            using (var reference = new ConfluentClient(broker.BootstrapServers))
            {
                await reference.CreateTopicAsync(Topic, Partitions);
            }

            for (int round = 0; round < Rounds; round++)
            {
                // Killed when three quarters of the round are acknowledged: the rest is still in flight.
                int killAt = acknowledged.Count + (perRound * 3 / 4);
                ProduceUntilKilled(broker, records, round * perRound, perRound, acknowledged, killAt);
                Assert.NotEqual(0, await broker.WaitForExitAsync(TimeSpan.FromSeconds(30)));
                await broker.DisposeAsync();

                broker = await StartAsync();
                using var reference = new ConfluentClient(broker.BootstrapServers);
                var stored = reference.ReadAll(Topic, acknowledged.Count);
                output.WriteLine($"round {round}: {acknowledged.Count} acknowledged so far, {stored.Count} stored after restart");
                AssertAcknowledgedPresent(records, acknowledged, stored);
            }
        }
        finally
        {
            await broker.DisposeAsync();
        }
    }

    [Fact]
    public async Task Kcat_acks_all_records_survive_kill_9_right_after_it_exits()
    {
        const int perRound = 5_000;
        var broker = await StartAsync();
        try
        {
            using (var reference = new ConfluentClient(broker.BootstrapServers))
            {
                await reference.CreateTopicAsync(Topic, Partitions);
            }

            var rounds = new List<RecordSet>();
            for (int round = 0; round < Rounds; round++)
            {
                var records = RecordSet.Generate(perRound, seed: 100 + round, RecordShape.KcatLines, 0);
                rounds.Add(records);
                using (var kcat = new KcatClient(broker.BootstrapServers))
                {
                    // kcat exits 0 only after every message was acknowledged (acks=all); a failed delivery exits 1.
                    await kcat.ProduceAsync(Topic, Codec.Lz4, records);
                }

                broker.Send(Signal.Kill);
                Assert.NotEqual(0, await broker.WaitForExitAsync(TimeSpan.FromSeconds(30)));
                await broker.DisposeAsync();

                broker = await StartAsync();
                using var reference = new ConfluentClient(broker.BootstrapServers);
                var stored = reference.ReadAll(Topic, perRound * (round + 1));
                output.WriteLine($"round {round}: {perRound * (round + 1)} acknowledged so far, {stored.Count} stored after restart");
                Assert.Equal(perRound * (round + 1), stored.Count);
                var values = stored.Select(r => Convert.ToBase64String(r.Value ?? [])).ToHashSet();
                foreach (var set in rounds)
                {
                    var lost = set.Records.Where(r => !values.Contains(Convert.ToBase64String(r.Value))).Select(r => r.Index).ToList();
                    Assert.True(lost.Count == 0, $"seed {set.Seed}: {lost.Count} acknowledged kcat records lost, e.g. #{string.Join(", #", lost.Take(10))}");
                }
            }
        }
        finally
        {
            await broker.DisposeAsync();
        }
    }

    public void Dispose() => _data.Dispose();

    private Task<BrokerProcess> StartAsync() => BrokerProcess.StartAsync(new BrokerProcessOptions
    {
        DataDirectory = _data.Path,
        KafkaPort = _ports[0],
        HttpPort = _ports[1],
        RaftPort = _ports[2],
    });

    /// <summary>
    /// Produces records [first, first + count) with acks=all and SIGKILLs the broker from the delivery
    /// callback of the <paramref name="killAt"/>-th acknowledgement (counted over all rounds).
    /// </summary>
    private static void ProduceUntilKilled(BrokerProcess broker, RecordSet records, int first, int count, ConcurrentDictionary<int, TopicPartitionOffset> acknowledged, int killAt)
    {
        using var reference = new ConfluentClient(broker.BootstrapServers);
        var config = reference.ProducerConfig(Codec.Zstd);
        // After the kill the rest fails fast instead of waiting for the broker to come back.
        config.MessageTimeoutMs = 5_000;
        config.LingerMs = 2;
        int killed = 0;
        using var producer = new ProducerBuilder<byte[], byte[]>(config).SetLogHandler((_, _) => { }).Build();
        for (int i = first; i < first + count && Volatile.Read(ref killed) == 0; i++)
        {
            int index = i;
            try
            {
                producer.Produce(Topic, ConfluentClient.ToMessage(records.Records[index]), report =>
                {
                    if (report.Error.IsError || report.Status != PersistenceStatus.Persisted)
                    {
                        return;
                    }

                    acknowledged[index] = report.TopicPartitionOffset;
                    if (acknowledged.Count >= killAt && Interlocked.Exchange(ref killed, 1) == 0)
                    {
                        broker.Send(Signal.Kill);
                    }
                });
            }
            catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
            {
                producer.Poll(TimeSpan.FromMilliseconds(20));
                i--;
            }
        }

        producer.Flush(TimeSpan.FromSeconds(30));
        if (Volatile.Read(ref killed) == 0)
        {
            throw new InvalidOperationException($"only {acknowledged.Count} records acknowledged, fewer than the {killAt} the kill waited for");
        }
    }

    private static void AssertAcknowledgedPresent(RecordSet records, ConcurrentDictionary<int, TopicPartitionOffset> acknowledged, IReadOnlyList<ConsumedRecord> stored)
    {
        var byPosition = stored.ToDictionary(r => (r.Partition, r.Offset));
        var problems = new List<string>();
        foreach (var (index, position) in acknowledged)
        {
            var expected = records.Records[index];
            if (!byPosition.TryGetValue((position.Partition.Value, position.Offset.Value), out var actual))
            {
                problems.Add($"record #{index} acknowledged at {position.Partition.Value}/{position.Offset.Value} is missing");
            }
            else if (!(actual.Value ?? []).AsSpan().SequenceEqual(expected.Value) || !(actual.Key ?? []).AsSpan().SequenceEqual(expected.Key) || actual.Timestamp != expected.Timestamp)
            {
                problems.Add($"record #{index} acknowledged at {position.Partition.Value}/{position.Offset.Value} differs after restart");
            }
        }

        Assert.True(problems.Count == 0, $"{problems.Count} of {acknowledged.Count} acknowledged records lost or changed:\n  {string.Join("\n  ", problems.Take(20))}");
    }
}
