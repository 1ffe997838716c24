using Chronik.Cluster.Quorum;

namespace Chronik.Cluster.Tests.Quorum;

/// <summary>The start-up decision between the bootstrap voters (flags) and the persisted voter configuration.</summary>
public class VoterBootstrapTests
{
    private static readonly QuorumPeer One = new(1, "10.0.0.1", 9093);
    private static readonly QuorumPeer Two = new(2, "10.0.0.2", 9093);
    private static readonly QuorumPeer Three = new(3, "10.0.0.3", 9093);
    private static readonly QuorumPeer Four = new(4, "10.0.0.4", 9093);

    /// <summary>The version of a configuration a committed voter change made (a log index).</summary>
    private const long Changed = 42;

    [Fact]
    public void A_new_directory_is_seeded_from_the_bootstrap_voters()
    {
        VoterStartPlan plan = VoterBootstrap.Decide(Two, [One, Two, Three], join: false, persisted: null, persistedVersion: 0);

        Assert.Equal(VoterStartAction.Seed, plan.Action);
        Assert.Equal([One, Two, Three], plan.Voters);
        Assert.True(plan.IsVoter);
        Assert.Null(plan.Notice);
    }

    [Fact]
    public void A_joining_node_seeds_the_current_voters_and_starts_as_a_non_voter()
    {
        VoterStartPlan plan = VoterBootstrap.Decide(Four, [One, Two, Three], join: true, persisted: null, persistedVersion: 0);

        Assert.Equal(VoterStartAction.Seed, plan.Action);
        Assert.Equal([One, Two, Three], plan.Voters);
        Assert.False(plan.IsVoter);
    }

    [Fact]
    public void Joining_and_bootstrap_membership_must_agree()
    {
        Assert.Contains("must not be one of the bootstrap voters", Assert.Throws<QuorumStartException>(() => VoterBootstrap.Decide(Four, [One, Four], join: true, persisted: null, persistedVersion: 0)).Message);
        Assert.Contains("no current voter", Assert.Throws<QuorumStartException>(() => VoterBootstrap.Decide(Four, [], join: true, persisted: null, persistedVersion: 0)).Message);
        Assert.Contains("--join", Assert.Throws<QuorumStartException>(() => VoterBootstrap.Decide(Four, [One, Two, Three], join: false, persisted: null, persistedVersion: 0)).Message);
    }

    [Fact]
    public void A_configuration_no_voter_change_replaced_follows_the_flags()
    {
        // A static cluster: node 1 restarted with a fourth voter in its flags (the rolling-restart procedure), or on a new address.
        VoterStartPlan grown = VoterBootstrap.Decide(One, [One, Two, Three, Four], join: false, persisted: [One, Two, Three], persistedVersion: 0);
        Assert.Equal(VoterStartAction.Seed, grown.Action);
        Assert.Equal([One, Two, Three, Four], grown.Voters);
        Assert.Contains("follow the flags", grown.Notice);

        var moved = Two with { Port = 19093 };
        Assert.Equal(VoterStartAction.Seed, VoterBootstrap.Decide(moved, [One, moved, Three], join: false, persisted: [One, Two, Three], persistedVersion: 0).Action);

        VoterStartPlan same = VoterBootstrap.Decide(Two, [Three, Two, One], join: false, persisted: [One, Two, Three], persistedVersion: 0);
        Assert.Equal(VoterStartAction.Keep, same.Action);
        Assert.Null(same.Notice);

        // A joining node that was not added yet keeps waiting as a non-voter.
        VoterStartPlan waiting = VoterBootstrap.Decide(Four, [One, Two, Three], join: true, persisted: [One, Two, Three], persistedVersion: 0);
        Assert.Equal(VoterStartAction.Keep, waiting.Action);
        Assert.False(waiting.IsVoter);
    }

    [Fact]
    public void After_a_voter_change_the_persisted_configuration_wins_over_the_flags()
    {
        // Added at run time: node 4 restarted with its joining flags is a voter; node 1 restarted with the old list sees four voters.
        VoterStartPlan four = VoterBootstrap.Decide(Four, [One, Two, Three], join: true, persisted: [One, Two, Three, Four], persistedVersion: Changed);
        Assert.Equal(VoterStartAction.Keep, four.Action);
        Assert.True(four.IsVoter);
        Assert.Equal([One, Two, Three, Four], four.Voters);

        VoterStartPlan one = VoterBootstrap.Decide(One, [One, Two, Three], join: false, persisted: [One, Two, Three, Four], persistedVersion: Changed);
        Assert.Equal(VoterStartAction.Keep, one.Action);
        Assert.Equal([One, Two, Three, Four], one.Voters);
        Assert.Contains("only seed a new metadata directory", one.Notice);

        // Flags that still match say nothing.
        Assert.Null(VoterBootstrap.Decide(One, [Three, Two, One], join: false, persisted: [One, Two, Three], persistedVersion: Changed).Notice);
    }

    [Fact]
    public void A_removed_or_not_yet_added_node_keeps_the_configuration_as_a_non_voter()
    {
        VoterStartPlan removed = VoterBootstrap.Decide(Three, [One, Two, Three], join: false, persisted: [One, Two], persistedVersion: Changed);

        Assert.Equal(VoterStartAction.Keep, removed.Action);
        Assert.False(removed.IsVoter);
        Assert.Contains("not a voter of the persisted configuration", removed.Notice);
    }

    [Fact]
    public void Only_a_single_voter_may_move_to_a_new_address()
    {
        var moved = One with { Port = 40000 };
        VoterStartPlan plan = VoterBootstrap.Decide(moved, [moved], join: false, persisted: [One], persistedVersion: Changed);
        Assert.Equal(VoterStartAction.MoveSingleVoter, plan.Action);
        Assert.Equal([moved], plan.Voters);
        Assert.True(plan.IsVoter);

        string refused = Assert.Throws<QuorumStartException>(() => VoterBootstrap.Decide(moved, [moved, Two], join: false, persisted: [One, Two], persistedVersion: Changed)).Message;
        Assert.Contains("cannot change while it is one of several", refused);
        Assert.Contains("10.0.0.1:9093", refused);
    }

    [Fact]
    public void A_node_cannot_take_over_another_voters_address()
    {
        var impostor = new QuorumPeer(5, Two.Host, Two.Port);
        Assert.Contains("belongs to node 2", Assert.Throws<QuorumStartException>(() => VoterBootstrap.Decide(impostor, [One, impostor], join: false, persisted: [One, Two], persistedVersion: Changed)).Message);
    }

    /// <summary>
    /// Whatever the flags say, a node whose configuration a voter change made starts from exactly that
    /// configuration — except a quorum of one whose only voter is this node, which may take its new address;
    /// a configuration that was only seeded is the flags' (or refused with the flags).
    /// </summary>
    [Fact]
    public void Randomized_flags_never_undo_a_voter_change()
    {
        var random = new Random(853);
        int kept = 0;
        for (int round = 0; round < 4000; round++)
        {
            QuorumPeer[] pool = [.. Enumerable.Range(1, 6).Select(id => new QuorumPeer(id, $"10.0.0.{id}", 9093 + random.Next(2)))];
            QuorumPeer self = pool[random.Next(pool.Length)];
            QuorumPeer[] persisted = [.. pool.Where(_ => random.Next(2) == 0).Select(p => random.Next(4) == 0 ? p with { Port = 9100 } : p)];
            long version = random.Next(3) == 0 ? 0 : random.Next(1, 1000);
            bool join = random.Next(3) == 0;
            QuorumPeer[] flags = [.. pool.Where(p => p != self && random.Next(2) == 0)];
            if (!join)
            {
                flags = [.. flags, self];
            }

            string context = $"round {round} (seed 853): self {self}, flags {string.Join(",", flags)}, join {join}, persisted {string.Join(",", persisted)} at {version}";
            VoterStartPlan plan;
            try
            {
                plan = VoterBootstrap.Decide(self, flags, join, persisted, version);
            }
            catch (QuorumStartException)
            {
                continue;
            }

            if (version == 0)
            {
                Assert.True(plan.Voters.OrderBy(v => v.NodeId).SequenceEqual(flags.OrderBy(v => v.NodeId)), context);
                Assert.Equal(!join, plan.IsVoter);
            }
            else if (plan.Action == VoterStartAction.MoveSingleVoter)
            {
                Assert.True(persisted.Length == 1 && persisted[0].NodeId == self.NodeId, context);
                Assert.Equal([self], plan.Voters);
            }
            else
            {
                Assert.True(plan.Action == VoterStartAction.Keep, context);
                Assert.Equal(persisted, plan.Voters);
                Assert.Equal(persisted.Contains(self), plan.IsVoter);
                kept++;
            }
        }

        Assert.True(kept > 500, $"only {kept} rounds kept a changed configuration");
    }
}
