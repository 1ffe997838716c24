namespace Chronik.Cluster.Quorum;

/// <summary>What a starting node does with the voter configuration of its metadata directory.</summary>
public enum VoterStartAction
{
    /// <summary>
    /// Write the bootstrap voters: the directory has no configuration yet (a new one, or one made before
    /// voters were persisted), or only a seeded one that no voter change ever replaced and the flags now differ.
    /// </summary>
    Seed,

    /// <summary>Use the persisted configuration as it is; the flags do not change it.</summary>
    Keep,

    /// <summary>The only voter (this node) moved to a new Raft address: rewrite the configuration of one with the new address.</summary>
    MoveSingleVoter,
}

/// <param name="Action">What to do.</param>
/// <param name="Voters">The configuration this node starts with.</param>
/// <param name="IsVoter">Whether this node is one of <paramref name="Voters"/> (a joining or removed node is not).</param>
/// <param name="Notice">A line worth logging (flags that no longer matter, an address change), or null.</param>
public sealed record VoterStartPlan(VoterStartAction Action, IReadOnlyList<QuorumPeer> Voters, bool IsVoter, string? Notice);

/// <summary>
/// Start-up decision of the voter configuration. The bootstrap voters (the --peers flags) seed it when the
/// metadata directory has none. Until a voter change commits, the quorum is static, like Kafka's
/// <c>controller.quorum.voters</c> (kraft.version 0): a seeded configuration (version 0) follows the flags,
/// so a static cluster can still be re-addressed or changed one node at a time by restarts, and a
/// <c>dev-cluster</c> restarted on new ports starts. The first committed AddRaftVoter / RemoveRaftVoter makes
/// it dynamic (KIP-853, kraft.version 1): from then on the replicated, persisted configuration wins over
/// the flags. A node started to join (<c>--join</c>) is not among the bootstrap voters: it seeds them as
/// they are and starts as a non-voter until the leader adds it. Pure: no I/O.
/// </summary>
public static class VoterBootstrap
{
    /// <param name="self">This node's id and Raft address (from its flags).</param>
    /// <param name="bootstrapVoters">The voters the flags name: this node included, unless it joins.</param>
    /// <param name="join">Whether this node was started to join an existing quorum.</param>
    /// <param name="persisted">The configuration in the metadata directory, or null if it has none.</param>
    /// <param name="persistedVersion">Its version: the log index of the voter change that made it, 0 if it was only seeded.</param>
    /// <exception cref="QuorumStartException">The flags contradict the persisted configuration in a way that cannot be safely resolved here.</exception>
    public static VoterStartPlan Decide(QuorumPeer self, IReadOnlyList<QuorumPeer> bootstrapVoters, bool join, IReadOnlyList<QuorumPeer>? persisted, long persistedVersion)
    {
        ArgumentNullException.ThrowIfNull(self);
        ArgumentNullException.ThrowIfNull(bootstrapVoters);
        if (persisted is null || persistedVersion == 0)
        {
            CheckBootstrap(self, bootstrapVoters, join);
            if (persisted is not null && SameVoters(bootstrapVoters, persisted))
            {
                return new VoterStartPlan(VoterStartAction.Keep, persisted, !join, null);
            }

            string? replaced = persisted is null ? null
                : $"no voter change was ever committed, so the voters follow the flags: {List(bootstrapVoters)} replace {List(persisted)}";
            return new VoterStartPlan(VoterStartAction.Seed, bootstrapVoters, !join, replaced);
        }

        string selfKey = QuorumPeer.Key(self.EndPoint);
        QuorumPeer? byId = persisted.FirstOrDefault(v => v.NodeId == self.NodeId);
        QuorumPeer? byAddress = persisted.FirstOrDefault(v => QuorumPeer.Key(v.EndPoint) == selfKey);
        if (byAddress is not null && byAddress.NodeId != self.NodeId)
        {
            throw new QuorumStartException(
                $"Raft address {self.Host}:{self.Port} belongs to node {byAddress.NodeId} in the persisted voter configuration ({List(persisted)}), but this node is {self.NodeId}: node ids cannot change");
        }

        if (byId is not null && byAddress is null)
        {
            if (persisted.Count > 1)
            {
                throw new QuorumStartException(
                    $"node {self.NodeId} is the voter {byId} in the persisted voter configuration ({List(persisted)}), but its Raft address is now {self.Host}:{self.Port}: " +
                    $"a voter's address cannot change while it is one of several (Kafka's UpdateRaftVoter is not supported); start it with raft_addr {byId.Host}:{byId.Port}, " +
                    "or remove it (RemoveRaftVoter) and add it again at the new address");
            }

            // A quorum of one has nobody else to agree with: its only voter may simply move (a standalone node picks a new loopback port on each start).
            return new VoterStartPlan(VoterStartAction.MoveSingleVoter, [self], true, $"the single voter {self.NodeId} moved from {byId.Host}:{byId.Port} to {self.Host}:{self.Port}");
        }

        bool isVoter = byId is not null;
        string? notice = SameVoters(bootstrapVoters, persisted) ? null
            : $"the persisted voter configuration ({List(persisted)}) is used; the bootstrap voters given by the flags ({List(bootstrapVoters)}) only seed a new metadata directory";
        if (!isVoter)
        {
            string state = $"node {self.NodeId} is not a voter of the persisted configuration ({List(persisted)}): it waits to be added (AddRaftVoter)";
            notice = notice is null ? state : $"{notice}; {state}";
        }

        return new VoterStartPlan(VoterStartAction.Keep, persisted, isVoter, notice);
    }

    private static void CheckBootstrap(QuorumPeer self, IReadOnlyList<QuorumPeer> bootstrapVoters, bool join)
    {
        bool listed = bootstrapVoters.Any(v => v.NodeId == self.NodeId);
        if (join)
        {
            if (listed)
            {
                throw new QuorumStartException($"node {self.NodeId} joins an existing quorum, so it must not be one of the bootstrap voters ({List(bootstrapVoters)})");
            }

            if (bootstrapVoters.Count == 0)
            {
                throw new QuorumStartException($"node {self.NodeId} joins an existing quorum but no current voter is given (peers)");
            }
        }
        else if (!listed)
        {
            throw new QuorumStartException(
                $"node {self.NodeId} is not one of the bootstrap voters ({List(bootstrapVoters)}) of its new metadata directory; to add it to a running quorum, start it to join (--join) and add it with AddRaftVoter");
        }
    }

    private static bool SameVoters(IReadOnlyList<QuorumPeer> a, IReadOnlyList<QuorumPeer> b) =>
        a.Count == b.Count && a.All(x => b.Any(y => y.NodeId == x.NodeId && QuorumPeer.Key(y.EndPoint) == QuorumPeer.Key(x.EndPoint)));

    private static string List(IReadOnlyList<QuorumPeer> voters) => voters.Count == 0 ? "none" : string.Join(",", voters.OrderBy(v => v.NodeId));
}
