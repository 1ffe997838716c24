using Chronik.Cluster.Metadata;
using Chronik.Cluster.Quorum;
using Chronik.Testing;
using DotNext.Net.Cluster.Consensus.Raft;
using static Chronik.Cluster.Tests.Quorum.QuorumTestNode;

namespace Chronik.Cluster.Tests.Quorum;

/// <summary>
/// Regression (chaos seed 366341058): a leader frozen past the election timeout takes the new leader's
/// higher term as soon as it resumes, while its leader state is still in place for a moment. A proposal
/// in that moment was stamped with the new term — one this node never led — and appended; the new
/// leader's own entry at that index has the same term, so the follower kept the forged one and applied
/// a different record than every other node, diverging for good (Raft's log matching broken).
/// </summary>
public class DeposedLeaderTests
{
    [Fact]
    public async Task A_leader_whose_term_moved_on_refuses_to_propose_and_appends_nothing()
    {
        using var dir = new TempDirectory("deposed");
        await using MetadataQuorum quorum = Create(1, Voters(FreePort.Next()), dir.Path);
        await quorum.StartAsync(CancellationToken.None);
        await Eventually(() => quorum.IsLeader, "the single voter leads");
        long proposed = await quorum.ProposeAsync([new TopicRecord("before", Guid.NewGuid())], CancellationToken.None);
        IPersistentState log = quorum.PersistentState!;
        long lastIndex = quorum.Describe().LastIndex;
        Assert.Equal(proposed, lastIndex);

        // The moment between taking a newer term (a vote request or append from the new leader) and stepping down.
        await log.UpdateTermAsync(log.Term + 1, resetLastVote: true, CancellationToken.None);
        Assert.True(quorum.IsLeader, "the leader state outlives the term change for a moment");

        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await Assert.ThrowsAsync<NotControllerException>(() => quorum.ProposeAsync([new TopicRecord("forged", Guid.NewGuid())], patience.Token));
        Assert.Equal(lastIndex, quorum.Describe().LastIndex);
        Assert.Null(quorum.Current.GetTopic("forged"));
    }
}
