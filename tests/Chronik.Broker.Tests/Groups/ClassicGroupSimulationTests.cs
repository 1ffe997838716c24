using Chronik.Broker.Groups;
using Chronik.Broker.Groups.Classic;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;
using static Chronik.Broker.Tests.Groups.ShardHarness;

namespace Chronik.Broker.Tests.Groups;

/// <summary>
/// Randomized schedules of well-behaved classic consumers (join, sync, heartbeat, rejoin on errors) with
/// crashes, restarts, leaves and time jumps; invariants checked after every event, seed in the message.
/// </summary>
public class ClassicGroupSimulationTests
{
    private const int Partitions = 6;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void Random_schedules_keep_the_invariants_and_converge(int seed)
    {
        var random = new Random(seed);
        var h = new ShardHarness(new GroupCoordinatorOptions { GroupInitialRebalanceDelayMs = 200 }, seed);
        var clients = Enumerable.Range(0, 4).Select(i => new Client($"c{i}", i % 2 == 0 ? $"static-{i}" : null)).ToList();
        int lastGeneration = 0;
        for (int step = 0; step < 400; step++)
        {
            Client client = clients[random.Next(clients.Count)];
            switch (random.Next(10))
            {
                case 0:
                    client.Crash();
                    break;
                case 1:
                    client.Leave(h);
                    break;
                case 2 or 3:
                    h.Advance(TimeSpan.FromMilliseconds(random.Next(0, 4000)));
                    break;
                default:
                    client.Act(h);
                    break;
            }

            CheckInvariants(h, ref lastGeneration, $"seed {seed} step {step}");
        }

        // Quiet period: nobody crashes; clients act every 500 ms until the group settles.
        foreach (Client client in clients)
        {
            client.Restart();
        }

        for (int round = 0; round < 200 && !Settled(h, clients); round++)
        {
            foreach (Client client in clients)
            {
                client.Act(h);
            }

            h.Advance(TimeSpan.FromMilliseconds(500));
            CheckInvariants(h, ref lastGeneration, $"seed {seed} settle round {round}");
        }

        Assert.True(Settled(h, clients), $"seed {seed}: the group did not settle: {Describe(h)}");
        var group = (ClassicGroup)h.Shard.GetGroup("g")!;
        var reloaded = (ClassicGroup)h.Reloaded().GetGroup("g")!;
        Assert.Equal(group.GenerationId, reloaded.GenerationId);
        Assert.Equal(group.Members.Keys.Order(), reloaded.Members.Keys.Order());
        foreach (ClassicGroupMember member in group.Members.Values)
        {
            Assert.Equal(member.Assignment, reloaded.GetMember(member.MemberId)!.Assignment);
        }
    }

    private static bool Settled(ShardHarness h, List<Client> clients) =>
        h.Shard.GetGroup("g") is ClassicGroup { State: ClassicGroupState.Stable } group
        && group.Members.Count == clients.Count
        && clients.All(c => c.Phase == Phase.Stable && c.Generation == group.GenerationId && group.HasMember(c.MemberId));

    private static string Describe(ShardHarness h) => h.Shard.GetGroup("g") is ClassicGroup g
        ? $"{g.State} generation {g.GenerationId} members [{string.Join(", ", g.Members.Keys)}]"
        : "no group";

    private static void CheckInvariants(ShardHarness h, ref int lastGeneration, string where)
    {
        if (h.Shard.GetGroup("g") is not ClassicGroup group)
        {
            return;
        }

        Assert.True(group.GenerationId >= lastGeneration, $"{where}: generation went back");
        lastGeneration = group.GenerationId;
        Assert.True((group.LeaderId is null) == (group.Members.Count == 0), $"{where}: leader {group.LeaderId} with {group.Members.Count} members");
        if (group.LeaderId is { } leader)
        {
            Assert.True(group.HasMember(leader), $"{where}: leader is not a member");
        }

        if (group.State == ClassicGroupState.Stable)
        {
            var owned = new HashSet<int>();
            foreach (ClassicGroupMember member in group.Members.Values)
            {
                Assert.False(member.IsAwaitingJoin, $"{where}: a member of a stable group awaits a join");
                foreach (byte partition in member.Assignment)
                {
                    Assert.True(owned.Add(partition), $"{where}: partition {partition} assigned twice");
                }
            }
        }
    }

    private enum Phase
    {
        Down,
        Joining,
        AwaitingJoin,
        AwaitingSync,
        Stable,
    }

    /// <summary>A consumer that follows the protocol; one action per call.</summary>
    private sealed class Client(string clientId, string? instanceId)
    {
        private Task<JoinGroupResponse>? _join;
        private Task<SyncGroupResponse>? _sync;

        public Phase Phase { get; private set; } = Phase.Joining;

        public string MemberId { get; private set; } = "";

        public int Generation { get; private set; } = -1;

        public void Crash()
        {
            Phase = Phase.Down;
            _join = null;
            _sync = null;
        }

        public void Restart()
        {
            if (Phase == Phase.Down)
            {
                Phase = Phase.Joining;
                MemberId = "";
            }
        }

        public void Leave(ShardHarness h)
        {
            if (Phase is Phase.Down || MemberId.Length == 0)
            {
                return;
            }

            // Static members do not leave on close (KIP-345); they just go away.
            if (instanceId is null)
            {
                h.Run(s => s.LeaveGroup(Context(3, clientId), new LeaveGroupRequest { GroupId = "g", Members = [new() { MemberId = MemberId }] }));
            }

            Crash();
            MemberId = "";
        }

        public void Act(ShardHarness h)
        {
            switch (Phase)
            {
                case Phase.Down:
                    Restart();
                    break;

                case Phase.Joining:
                    _join = h.Run(s => s.JoinGroup(Context(5, clientId), Join("g", MemberId, instanceId, sessionTimeoutMs: 6000, rebalanceTimeoutMs: 8000)));
                    Phase = Phase.AwaitingJoin;
                    break;

                case Phase.AwaitingJoin when _join!.IsCompleted:
                    JoinGroupResponse join = _join.Result;
                    switch ((ErrorCode)join.ErrorCode)
                    {
                        case ErrorCode.None:
                            MemberId = join.MemberId;
                            Generation = join.GenerationId;
                            var assignments = join.Members.Select((m, i) => (m.MemberId, Enumerable.Range(0, Partitions).Where(p => p % join.Members.Count == i).Select(p => (byte)p).ToArray())).ToArray();
                            _sync = h.Run(s => s.SyncGroup(Context(3, clientId), Sync("g", MemberId, Generation, instanceId, assignments)));
                            Phase = Phase.AwaitingSync;
                            break;
                        case ErrorCode.MemberIdRequired:
                            MemberId = join.MemberId;
                            Phase = Phase.Joining;
                            break;
                        default:
                            MemberId = join.ErrorCode == (short)ErrorCode.UnknownMemberId || join.ErrorCode == (short)ErrorCode.FencedInstanceId ? "" : MemberId;
                            Phase = Phase.Joining;
                            break;
                    }

                    break;

                case Phase.AwaitingSync when _sync!.IsCompleted:
                    Phase = _sync.Result.ErrorCode == 0 ? Phase.Stable : Phase.Joining;
                    if (_sync.Result.ErrorCode == (short)ErrorCode.UnknownMemberId)
                    {
                        MemberId = "";
                    }

                    break;

                case Phase.Stable:
                    ErrorCode error = (ErrorCode)h.Run(s => s.Heartbeat(Context(3, clientId), Heartbeat("g", MemberId, Generation, instanceId))).ErrorCode;
                    if (error != ErrorCode.None)
                    {
                        Phase = Phase.Joining;
                        if (error is ErrorCode.UnknownMemberId or ErrorCode.FencedInstanceId)
                        {
                            MemberId = "";
                        }
                    }

                    break;
            }
        }
    }
}
