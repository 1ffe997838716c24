using Confluent.Kafka;

namespace Chronik.Groups.Tests;

/// <summary>
/// Issue 6 (d), (e), (f) with librdkafka (Confluent.Kafka 2.16): cooperative-sticky incremental
/// rebalancing, the KIP-848 consumer protocol, and static membership.
/// </summary>
public class RebalanceProtocolTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static ConsumerConfig Config(GroupsBroker broker, string group, string clientId) => new()
    {
        BootstrapServers = broker.BootstrapServers,
        GroupId = group,
        ClientId = clientId,
        SessionTimeoutMs = 6000,
        HeartbeatIntervalMs = 500,
    };

    private static bool Splits(IReadOnlyList<ConfluentMember> members, int each) =>
        members.All(m => m.Assignment.Count == each) && members.SelectMany(m => m.Assignment).Distinct().Count() == 6;

    private static string Describe(IEnumerable<ConfluentMember> members) => string.Join(" | ", members);

    [Fact]
    public async Task Cooperative_sticky_moves_only_the_partitions_a_new_member_takes()
    {
        await using GroupsBroker broker = await GroupsBroker.StartAsync();
        broker.CreateTopic("coop");
        ConsumerConfig first = Config(broker, "coop-group", "first");
        first.PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky;
        using var a = new ConfluentMember("a", first, "coop");
        await Eventually.UntilAsync(() => a.Assignment.Count == 6, () => Describe([a]), Timeout);
        int eventsBefore = a.Events.Count;

        ConsumerConfig second = Config(broker, "coop-group", "second");
        second.PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky;
        using var b = new ConfluentMember("b", second, "coop");
        await Eventually.UntilAsync(() => Splits([a, b], 3), () => Describe([a, b]), Timeout);

        // Incremental: "a" gave up exactly the three partitions "b" took and was never revoked wholesale.
        string[] later = [.. a.Events.Skip(eventsBefore)];
        Assert.Equal(3, later.Count(e => e.StartsWith('-')));
        Assert.DoesNotContain(later, e => e.StartsWith('+'));
        Assert.Empty(a.Assignment.Intersect(b.Assignment));
    }

    [Fact]
    public async Task The_kip_848_consumer_protocol_splits_partitions_and_rebalances_when_a_member_leaves()
    {
        await using GroupsBroker broker = await GroupsBroker.StartAsync();
        broker.CreateTopic("next-gen");
        ConfluentMember Member(string name)
        {
            ConsumerConfig config = Config(broker, "next-gen-group", name);
            config.GroupProtocol = GroupProtocol.Consumer;
            config.SessionTimeoutMs = null;
            config.HeartbeatIntervalMs = null;
            return new ConfluentMember(name, config, "next-gen");
        }

        using ConfluentMember a = Member("a");
        ConfluentMember b = Member("b");
        try
        {
            await Eventually.UntilAsync(() => Splits([a, b], 3), () => Describe([a, b]), Timeout);
        }
        finally
        {
            b.Dispose();
        }

        await Eventually.UntilAsync(() => a.Assignment.Count == 6, () => Describe([a]), Timeout);
        Assert.DoesNotContain(a.Errors, e => e.Contains("UNSUPPORTED", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task A_static_member_restarted_with_its_instance_id_gets_its_partitions_back_without_a_rebalance()
    {
        await using GroupsBroker broker = await GroupsBroker.StartAsync();
        broker.CreateTopic("static");
        ConfluentMember Member(string name)
        {
            ConsumerConfig config = Config(broker, "static-group", name);
            config.GroupInstanceId = "instance-" + name;
            config.SessionTimeoutMs = 30_000;
            config.PartitionAssignmentStrategy = PartitionAssignmentStrategy.Range;
            return new ConfluentMember(name, config, "static");
        }

        using ConfluentMember stayer = Member("stayer");
        ConfluentMember restarted = Member("restarted");
        await Eventually.UntilAsync(() => Splits([stayer, restarted], 3), () => Describe([stayer, restarted]), Timeout);
        int[] before = [.. restarted.Assignment];
        int stayerEvents = stayer.Events.Count;

        // Static members do not leave on close (KIP-345): the coordinator keeps the place for the session timeout.
        restarted.Dispose();
        using ConfluentMember again = Member("restarted");
        await Eventually.UntilAsync(() => again.Assignment.Count == 3, () => Describe([stayer, again]), Timeout);
        Assert.Equal(before, again.Assignment);
        Assert.Equal(stayerEvents, stayer.Events.Count);
    }
}
