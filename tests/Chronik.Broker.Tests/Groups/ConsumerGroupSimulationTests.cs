using Chronik.Broker.Groups;
using Chronik.Broker.Groups.Consumer;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;
using static Chronik.Broker.Tests.Groups.ShardHarness;

namespace Chronik.Broker.Tests.Groups;

/// <summary>
/// Randomized KIP-848 schedules: members join, heartbeat with what they own, crash, leave and come back
/// while time jumps. After every event no partition is owned by two members (server side) and a reload
/// rebuilds the same group; in the end every live member is reconciled and the assignment is balanced.
/// </summary>
public class ConsumerGroupSimulationTests
{
    [Theory]
    [InlineData(1, "uniform")]
    [InlineData(2, "uniform")]
    [InlineData(3, "uniform")]
    [InlineData(4, "range")]
    [InlineData(5, "range")]
    [InlineData(6, "uniform")]
    public void Random_schedules_never_give_a_partition_to_two_members(int seed, string assignor)
    {
        var random = new Random(seed);
        var h = new ShardHarness(seed: seed, image: ConsumerGroupTests.ImageWith("t", ConsumerGroupTests.TopicId, 6));
        var clients = Enumerable.Range(0, 3).Select(i => new Client($"member-{i}", assignor)).ToList();
        for (int step = 0; step < 300; step++)
        {
            Client client = clients[random.Next(clients.Count)];
            switch (random.Next(12))
            {
                case 0:
                    client.Crash();
                    break;
                case 1:
                    client.Leave(h);
                    break;
                case 2 or 3:
                    h.Advance(TimeSpan.FromMilliseconds(random.Next(0, 20_000)));
                    break;
                default:
                    client.Act(h);
                    break;
            }

            CheckInvariants(h, $"seed {seed} step {step}");
        }

        foreach (Client client in clients)
        {
            client.Restart();
        }

        for (int round = 0; round < 50; round++)
        {
            foreach (Client client in clients)
            {
                client.Act(h);
            }

            h.Advance(TimeSpan.FromSeconds(1));
            CheckInvariants(h, $"seed {seed} settle round {round}");
        }

        var group = (ConsumerGroup)h.Shard.GetGroup("g")!;
        Assert.Equal(ConsumerGroupState.Stable, group.State);
        Assert.Equal(3, group.Members.Count);
        int[] counts = [.. group.Members.Values.Select(m => m.AssignedPartitions.Count)];
        Assert.Equal(6, counts.Sum());
        Assert.True(counts.Max() - counts.Min() <= 1, $"seed {seed}: unbalanced {string.Join(",", counts)}");
        Assert.Equal(6, clients.SelectMany(c => c.Owned.All()).Distinct().Count());
    }

    private static void CheckInvariants(ShardHarness h, string where)
    {
        if (h.Shard.GetGroup("g") is not ConsumerGroup group)
        {
            return;
        }

        var owners = new Dictionary<(Guid, int), string>();
        foreach (ConsumerGroupMember member in group.Members.Values)
        {
            foreach (var tp in member.AssignedPartitions.All().Concat(member.PartitionsPendingRevocation.All()))
            {
                Assert.True(owners.TryAdd(tp, member.MemberId), $"{where}: partition {tp.Item2} owned by {owners.GetValueOrDefault(tp)} and {member.MemberId}");
            }
        }

        var reloaded = (ConsumerGroup?)h.Reloaded().GetGroup("g");
        Assert.NotNull(reloaded);
        Assert.Equal(group.GroupEpoch, reloaded.GroupEpoch);
        Assert.Equal(group.AssignmentEpoch, reloaded.AssignmentEpoch);
        Assert.Equal(group.Members.Keys.Order(), reloaded.Members.Keys.Order());
        foreach (ConsumerGroupMember member in group.Members.Values)
        {
            Assert.True(member.SameAssignmentState(reloaded.GetMember(member.MemberId)!), $"{where}: reload differs for {member.MemberId}");
            Assert.Equal(group.TargetOf(member.MemberId), reloaded.TargetOf(member.MemberId));
        }
    }

    /// <summary>A KIP-848 consumer: applies assignments at once (revokes immediately), heartbeats what it owns.</summary>
    private sealed class Client(string memberId, string assignor)
    {
        private bool _down;
        private int _epoch;

        public Assignment Owned { get; private set; } = Assignment.Empty;

        public void Crash()
        {
            _down = true;
        }

        public void Restart()
        {
            if (_down)
            {
                _down = false;
                _epoch = 0;
                Owned = Assignment.Empty;
            }
        }

        public void Leave(ShardHarness h)
        {
            if (!_down && _epoch > 0)
            {
                h.Run(s => s.ConsumerGroupHeartbeat(Context(1), new ConsumerGroupHeartbeatRequest { GroupId = "g", MemberId = memberId, MemberEpoch = -1 }));
            }

            _down = true;
        }

        public void Act(ShardHarness h)
        {
            if (_down)
            {
                Restart();
                return;
            }

            bool joining = _epoch == 0;
            ConsumerGroupHeartbeatResponse response = h.Run(s => s.ConsumerGroupHeartbeat(Context(1), new ConsumerGroupHeartbeatRequest
            {
                GroupId = "g",
                MemberId = memberId,
                MemberEpoch = _epoch,
                RebalanceTimeoutMs = joining ? 10_000 : -1,
                SubscribedTopicNames = joining ? ["t"] : null,
                ServerAssignor = joining ? assignor : null,
                TopicPartitions = [.. Owned.TopicIds.Select(t => new ConsumerGroupHeartbeatRequest.TopicPartitionsData { TopicId = t, Partitions = [.. Owned.Partitions(t)] })],
            }));
            if (response.ErrorCode != (short)ErrorCode.None)
            {
                // Fenced or unknown: drop everything and join again (as clients do).
                _epoch = 0;
                Owned = Assignment.Empty;
                return;
            }

            _epoch = response.MemberEpoch;
            if (response.Assignment is { } assignment)
            {
                Owned = Assignment.From(assignment.TopicPartitions.Select(t => new KeyValuePair<Guid, IEnumerable<int>>(t.TopicId, t.Partitions)));
            }
        }
    }
}
