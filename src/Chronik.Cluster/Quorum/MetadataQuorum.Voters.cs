using System.Net;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using Microsoft.Extensions.Logging;

namespace Chronik.Cluster.Quorum;

/// <summary>
/// The voter configuration (KIP-853 on DotNext's membership): persisted in <c>meta/voters</c>, seeded from
/// the bootstrap voters (<see cref="VoterBootstrap"/>), replicated as membership entries of the metadata log,
/// changed one voter at a time by the leader.
///
/// How DotNext 6.12 changes membership (read from the package): the leader catches the new member up
/// (<see cref="MetadataQuorumOptions.CatchUpRounds"/> replication rounds, after which it must hold every
/// entry committed when the change began, else the change is refused), commits an entry of its own term,
/// then appends the new configuration as a log entry. Unlike Raft's usual rule (and Kafka's, which uses a
/// VotersRecord once appended), a configuration takes effect on a node when its entry is committed and
/// applied there — it is committed by the old voters' majority, and the leader starts no second change
/// before it applied the first, so the voter sets in use differ by at most one member and their majorities
/// intersect. A node only grants votes to members of its configuration, so a removed voter cannot disturb
/// the others.
/// </summary>
public sealed partial class MetadataQuorum
{
    private const string VoterFileName = "voters";

    /// <summary>The voter configuration applied here and whether this node is one of its voters.</summary>
    private sealed record VoterState(IReadOnlyList<QuorumPeer> Voters, bool IsVoter);

    /// <summary>The voters of the configuration applied on this node, ordered by node id (before start: the bootstrap voters).</summary>
    public IReadOnlyList<QuorumPeer> Voters => Volatile.Read(ref _voters).Voters;

    /// <summary>
    /// Whether this node is a voter of its applied configuration. A node started to join is not until the
    /// leader added it; a removed one no longer is. DotNext replicates only to voters, so a non-voter's
    /// image does not advance and the node reports itself not ready.
    /// </summary>
    public bool IsVoter => Volatile.Read(ref _voters).IsVoter;

    /// <summary>
    /// Adds <paramref name="voter"/> (leader only). DotNext first catches the node up — it must run and
    /// listen at the voter's Raft address, started to join — then commits the configuration that holds it.
    /// Returns true once that configuration is committed and applied here; false if the node did not catch
    /// up in time (not running, unreachable, or rejecting the leader's entries).
    /// </summary>
    /// <exception cref="NotControllerException">This node is not (or stopped being) the leader.</exception>
    /// <exception cref="VoterChangeInProgressException">Another voter change is under way.</exception>
    public async Task<bool> AddVoterAsync(QuorumPeer voter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(voter);
        RaftCluster raft = LeaderRaftOrThrow();

        // The configuration entry names the new member by endpoint; encoding it needs the node id.
        _voterStorage.Register(voter);
        try
        {
            bool added = await raft.AddMemberAsync(voter.EndPoint, cancellationToken).ConfigureAwait(false);
            _logger.LogInformation("Metadata quorum: adding voter {Voter} {Outcome}", voter, added ? "committed" : "failed: it did not catch up");
            return added;
        }
        catch (NotLeaderException)
        {
            throw NotController();
        }
        catch (RaftCluster<RaftClusterMember>.ConcurrentMembershipModificationException)
        {
            throw new VoterChangeInProgressException($"a voter change is already in progress on node {NodeId}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw NotController();
        }
    }

    /// <summary>
    /// Removes <paramref name="voter"/> (leader only) and returns once the configuration without it is
    /// committed and applied here. A leader that removes itself steps down once the change applies (Kafka
    /// resigns likewise); that still counts as done. False if DotNext found nothing to remove.
    /// </summary>
    /// <exception cref="NotControllerException">This node is not (or stopped being) the leader and the change did not apply.</exception>
    /// <exception cref="VoterChangeInProgressException">Another voter change is under way.</exception>
    public async Task<bool> RemoveVoterAsync(QuorumPeer voter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(voter);
        RaftCluster raft = LeaderRaftOrThrow();
        try
        {
            bool removed = await raft.RemoveMemberAsync(voter.EndPoint, cancellationToken).ConfigureAwait(false);
            _logger.LogInformation("Metadata quorum: removing voter {Voter} {Outcome}", voter, removed ? "committed" : "found nothing to remove");
            return removed;
        }
        catch (Exception e) when (e is NotLeaderException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            if (!Voters.Any(v => v.NodeId == voter.NodeId))
            {
                _logger.LogInformation("Metadata quorum: removing voter {Voter} committed; this node is no longer the leader", voter);
                return true;
            }

            throw NotController();
        }
        catch (RaftCluster<RaftClusterMember>.ConcurrentMembershipModificationException)
        {
            throw new VoterChangeInProgressException($"a voter change is already in progress on node {NodeId}");
        }
    }

    private RaftCluster LeaderRaftOrThrow()
    {
        RaftCluster raft = _raft ?? throw new InvalidOperationException("the metadata quorum is not started");
        return IsLeader ? raft : throw NotController();
    }

    /// <summary>
    /// Reads the persisted configuration, decides with the bootstrap voters (<see cref="VoterBootstrap"/>)
    /// and writes what must be written, before Raft starts on it.
    /// </summary>
    private async Task PrepareVotersAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<QuorumPeer>? persisted = null;
        long version = 0;
        if (_voterStorage.Exists)
        {
            (persisted, version) = await _voterStorage.LoadAsync(cancellationToken).ConfigureAwait(false);
        }

        VoterStartPlan plan = VoterBootstrap.Decide(_options.Self, _options.Voters, _options.JoinAs is not null, persisted, version);
        switch (plan.Action)
        {
            case VoterStartAction.Seed:
                await _voterStorage.WriteAsync(plan.Voters, 0, cancellationToken).ConfigureAwait(false);
                _logger.LogInformation("Metadata quorum node {NodeId}: voter configuration seeded from the bootstrap voters {Voters}", NodeId, string.Join(",", plan.Voters));
                break;
            case VoterStartAction.MoveSingleVoter:
                await _voterStorage.WriteAsync(plan.Voters, version, cancellationToken).ConfigureAwait(false);
                break;
        }

        if (plan.Notice is { } notice)
        {
            _logger.LogWarning("Metadata quorum node {NodeId}: {Notice}", NodeId, notice);
        }

        Volatile.Write(ref _voters, new VoterState([.. plan.Voters.OrderBy(v => v.NodeId)], plan.IsVoter));
        _voterStorage.ConfigurationChanged += OnVotersChanged;
    }

    /// <summary>A new configuration was saved (applied from the log, or installed with a snapshot): the voters, and the leader's node id, may have changed.</summary>
    private ValueTask OnVotersChanged(IClusterConfiguration<EndPoint> configuration, CancellationToken cancellationToken)
    {
        IReadOnlyList<QuorumPeer> voters = _voterStorage.ToPeers(configuration);
        bool isVoter = voters.Any(v => v.NodeId == NodeId);
        Volatile.Write(ref _voters, new VoterState(voters, isVoter));
        _logger.LogInformation("Metadata quorum node {NodeId}: voters are now {Voters}{Role}",
            NodeId, string.Join(",", voters), isVoter ? "" : " (this node is not one of them)");

        // A leader that was not a voter here before is now mappable (e.g. this node was just added).
        UpdateLeader(_raft?.Leader);
        return ValueTask.CompletedTask;
    }
}
