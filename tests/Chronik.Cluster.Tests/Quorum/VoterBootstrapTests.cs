using Chronik.Cluster.Quorum;

namespace Chronik.Cluster.Tests.Quorum;

/// <summary>The start-up decision between the bootstrap voters (flags) and the persisted voter configuration.</summary>
public class VoterBootstrapTests
{
    private static readonly QuorumPeer One = new(1, "10.0.0.1", 9093);
    private static readonly QuorumPeer Two = new(2, "10.0.0.2", 9093);
    private static readonly QuorumPeer Three = new(3, "10.0.0.3", 9093);
    private static readonly QuorumPeer Four = new(4, "10.0.0.4", 9093);

    [Fact]
    public void A_new_directory_is_seeded_from_the_bootstrap_voters()
    {
        VoterStartPlan plan = VoterBootstrap.Decide(Two, [One, Two, Three], join: false, persisted: null);

        Assert.Equal(VoterStartAction.Seed, plan.Action);
        Assert.Equal([One, Two, Three], plan.Voters);
        Assert.True(plan.IsVoter);
        Assert.Null(plan.Notice);
    }

    [Fact]
    public void A_joining_node_seeds_the_current_voters_and_starts_as_a_non_voter()
    {
        VoterStartPlan plan = VoterBootstrap.Decide(Four, [One, Two, Three], join: true, persisted: null);

        Assert.Equal(VoterStartAction.Seed, plan.Action);
        Assert.Equal([One, Two, Three], plan.Voters);
        Assert.False(plan.IsVoter);
    }

    [Fact]
    public void Joining_and_bootstrap_membership_must_agree()
    {
        Assert.Contains("must not be one of the bootstrap voters", Assert.Throws<QuorumStartException>(() => VoterBootstrap.Decide(Four, [One, Four], join: true, persisted: null)).Message);
        Assert.Contains("no current voter", Assert.Throws<QuorumStartException>(() => VoterBootstrap.Decide(Four, [], join: true, persisted: null)).Message);
        Assert.Contains("--join", Assert.Throws<QuorumStartException>(() => VoterBootstrap.Decide(Four, [One, Two, Three], join: false, persisted: null)).Message);
    }

    [Fact]
    public void The_persisted_configuration_wins_over_the_flags()
    {
        // Added at run time: node 4 restarted with its joining flags is a voter; node 1 restarted with the old list sees four voters.
        VoterStartPlan four = VoterBootstrap.Decide(Four, [One, Two, Three], join: true, persisted: [One, Two, Three, Four]);
        Assert.Equal(VoterStartAction.Keep, four.Action);
        Assert.True(four.IsVoter);
        Assert.Equal([One, Two, Three, Four], four.Voters);

        VoterStartPlan one = VoterBootstrap.Decide(One, [One, Two, Three], join: false, persisted: [One, Two, Three, Four]);
        Assert.Equal(VoterStartAction.Keep, one.Action);
        Assert.Equal([One, Two, Three, Four], one.Voters);
        Assert.Contains("only seed a new metadata directory", one.Notice);

        // Flags that still match say nothing.
        Assert.Null(VoterBootstrap.Decide(One, [Three, Two, One], join: false, persisted: [One, Two, Three]).Notice);
    }

    [Fact]
    public void A_removed_or_not_yet_added_node_keeps_the_configuration_as_a_non_voter()
    {
        VoterStartPlan removed = VoterBootstrap.Decide(Three, [One, Two, Three], join: false, persisted: [One, Two]);

        Assert.Equal(VoterStartAction.Keep, removed.Action);
        Assert.False(removed.IsVoter);
        Assert.Contains("not a voter of the persisted configuration", removed.Notice);
    }

    [Fact]
    public void Only_a_single_voter_may_move_to_a_new_address()
    {
        var moved = One with { Port = 40000 };
        VoterStartPlan plan = VoterBootstrap.Decide(moved, [moved], join: false, persisted: [One]);
        Assert.Equal(VoterStartAction.MoveSingleVoter, plan.Action);
        Assert.Equal([moved], plan.Voters);
        Assert.True(plan.IsVoter);

        string refused = Assert.Throws<QuorumStartException>(() => VoterBootstrap.Decide(moved, [moved, Two], join: false, persisted: [One, Two])).Message;
        Assert.Contains("cannot change while it is one of several", refused);
        Assert.Contains("10.0.0.1:9093", refused);
    }

    [Fact]
    public void A_node_cannot_take_over_another_voters_address()
    {
        var impostor = new QuorumPeer(5, Two.Host, Two.Port);
        Assert.Contains("belongs to node 2", Assert.Throws<QuorumStartException>(() => VoterBootstrap.Decide(impostor, [One, impostor], join: false, persisted: [One, Two])).Message);
    }

    /// <summary>
    /// Whatever the flags say, a node with a persisted configuration starts from exactly that configuration —
    /// except a quorum of one whose only voter is this node, which may take this node's new address.
    /// </summary>
    [Fact]
    public void Randomized_flags_never_change_a_persisted_configuration_of_several_voters()
    {
        var random = new Random(853);
        for (int round = 0; round < 2000; round++)
        {
            QuorumPeer[] pool = [.. Enumerable.Range(1, 6).Select(id => new QuorumPeer(id, $"10.0.0.{id}", 9093 + random.Next(2)))];
            QuorumPeer self = pool[random.Next(pool.Length)];
            QuorumPeer[] persisted = [.. pool.Where(_ => random.Next(2) == 0).Select(p => random.Next(4) == 0 ? p with { Port = 9100 } : p)];
            QuorumPeer[] flags = [.. pool.Where(p => p == self || random.Next(2) == 0)];
            bool join = random.Next(3) == 0;
            string context = $"round {round} (seed 853): self {self}, flags {string.Join(",", flags)}, join {join}, persisted {string.Join(",", persisted)}";

            VoterStartPlan plan;
            try
            {
                plan = VoterBootstrap.Decide(self, join ? [.. flags.Where(p => p.NodeId != self.NodeId)] : flags, join, persisted);
            }
            catch (QuorumStartException)
            {
                continue;
            }

            if (plan.Action == VoterStartAction.MoveSingleVoter)
            {
                Assert.True(persisted.Length == 1 && persisted[0].NodeId == self.NodeId, context);
                Assert.Equal([self], plan.Voters);
            }
            else
            {
                Assert.True(plan.Action == VoterStartAction.Keep, context);
                Assert.Equal(persisted, plan.Voters);
                Assert.Equal(persisted.Contains(self), plan.IsVoter);
            }
        }
    }
}
