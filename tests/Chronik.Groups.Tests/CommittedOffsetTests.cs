using Confluent.Kafka;

namespace Chronik.Groups.Tests;

/// <summary>Issue 6 (c): committed offsets live in __consumer_offsets and survive kill -9 of the broker.</summary>
public class CommittedOffsetTests
{
    [Fact]
    public void The_bundled_librdkafka_is_2_16() => Assert.StartsWith("2.16.", Library.VersionString);

    [Fact]
    public async Task Committed_offsets_survive_kill_9_and_restart_of_the_broker()
    {
        await using GroupsBroker broker = await GroupsBroker.StartAsync();
        var committed = Enumerable.Range(0, 6).Select(p => new TopicPartitionOffset("orders", p, 100 + (p * 7), leaderEpoch: null)).ToList();
        using (IConsumer<Ignore, Ignore> consumer = Consumer(broker, "durable"))
        {
            await CommitAsync(consumer, committed);
            Assert.Equal(committed.Select(c => c.Offset), consumer.Committed(committed.Select(c => c.TopicPartition), TimeSpan.FromSeconds(30)).Select(c => c.Offset));
        }

        await broker.KillAndRestartAsync();
        using IConsumer<Ignore, Ignore> after = Consumer(broker, "durable");
        List<TopicPartitionOffset> fetched = after.Committed(committed.Select(c => c.TopicPartition), TimeSpan.FromSeconds(30));
        Assert.Equal(committed.Select(c => c.Offset), fetched.Select(c => c.Offset));
    }

    /// <summary>
    /// librdkafka's synchronous Commit hands the retriable COORDINATOR_LOAD_IN_PROGRESS to the caller (the Java client
    /// retries it): the first commit may meet the just-created __consumer_offsets partition while its coordinator loads.
    /// </summary>
    private static async Task CommitAsync(IConsumer<Ignore, Ignore> consumer, List<TopicPartitionOffset> offsets)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                consumer.Commit(offsets);
                return;
            }
            catch (KafkaException ex) when (ex.Error.Code == ErrorCode.GroupLoadInProgress && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    private static IConsumer<Ignore, Ignore> Consumer(GroupsBroker broker, string group) =>
        new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = broker.BootstrapServers, GroupId = group, EnableAutoCommit = false }).Build();
}
