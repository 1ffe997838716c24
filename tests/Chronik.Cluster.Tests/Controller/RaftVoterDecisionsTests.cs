using Chronik.Cluster.Controller;
using Chronik.Cluster.Quorum;
using Chronik.Protocol.Wire;

namespace Chronik.Cluster.Tests.Controller;

/// <summary>AddRaftVoter / RemoveRaftVoter validation: Kafka's errors in Kafka's order, and the voter set invariants.</summary>
public class RaftVoterDecisionsTests
{
    private const string ClusterId = "cluster-a";
    private static readonly QuorumPeer[] Three = [new(1, "10.0.0.1", 9093), new(2, "10.0.0.2", 9093), new(3, "10.0.0.3", 9093)];

    private static RaftVoterAddition Add(int id, string host = "10.0.0.4", int port = 9093, string listener = "CONTROLLER", string? clusterId = null) =>
        new(clusterId, id, Guid.NewGuid(), [new RaftVoterListener("PLAINTEXT", host, 9092), new RaftVoterListener(listener, host, port)]);

    [Fact]
    public void An_addition_takes_the_address_of_the_controller_listener()
    {
        var (error, voter) = RaftVoterDecisions.CheckAdd(Add(4, listener: "controller", clusterId: ClusterId), ClusterId, Three);

        Assert.False(error.IsError);
        Assert.Equal(new QuorumPeer(4, "10.0.0.4", 9093), voter);
    }

    [Fact]
    public void Additions_are_refused_with_Kafkas_errors_in_Kafkas_order()
    {
        Assert.Equal(ErrorCode.InconsistentClusterId, RaftVoterDecisions.CheckAdd(Add(1, clusterId: "other"), ClusterId, Three).Error.Code);
        Assert.Equal(ErrorCode.InconsistentClusterId, RaftVoterDecisions.CheckAdd(Add(4, clusterId: ""), ClusterId, Three).Error.Code);
        Assert.Equal(ErrorCode.InvalidRequest, RaftVoterDecisions.CheckAdd(Add(-1), ClusterId, Three).Error.Code);
        Assert.Contains("CONTROLLER", RaftVoterDecisions.CheckAdd(Add(4, listener: "RAFT"), ClusterId, Three).Error.Message);
        Assert.Equal(ErrorCode.InvalidRequest, RaftVoterDecisions.CheckAdd(Add(4, port: 0), ClusterId, Three).Error.Code);
        Assert.Equal(ErrorCode.InvalidRequest, RaftVoterDecisions.CheckAdd(Add(4, host: " "), ClusterId, Three).Error.Code);
        Assert.Equal(ErrorCode.DuplicateVoter, RaftVoterDecisions.CheckAdd(Add(2, host: "10.0.0.9"), ClusterId, Three).Error.Code);

        // DotNext knows members by address: a second voter at an existing voter's address is refused.
        var (clash, _) = RaftVoterDecisions.CheckAdd(Add(4, host: "10.0.0.3"), ClusterId, Three);
        Assert.Equal(ErrorCode.InvalidRequest, clash.Code);
        Assert.Contains("voter 3", clash.Message);
    }

    [Fact]
    public void Removals_need_a_voter_and_never_remove_the_last()
    {
        Assert.Equal(ErrorCode.InconsistentClusterId, RaftVoterDecisions.CheckRemove(new RaftVoterRemoval("other", 1, Guid.Empty), ClusterId, Three).Error.Code);
        Assert.Equal(ErrorCode.VoterNotFound, RaftVoterDecisions.CheckRemove(new RaftVoterRemoval(null, 7, Guid.Empty), ClusterId, Three).Error.Code);
        Assert.Equal(ErrorCode.InvalidRequest, RaftVoterDecisions.CheckRemove(new RaftVoterRemoval(null, 1, Guid.Empty), ClusterId, [Three[0]]).Error.Code);

        var (error, voter) = RaftVoterDecisions.CheckRemove(new RaftVoterRemoval(ClusterId, 2, Guid.Empty), ClusterId, Three);
        Assert.False(error.IsError);
        Assert.Equal(Three[1], voter);
    }

    /// <summary>
    /// A random stream of requests applied through the decisions: every accepted change moves the voter set
    /// by exactly one member, ids and addresses stay unique, and the set is never empty.
    /// </summary>
    [Fact]
    public void Randomized_requests_keep_the_voter_set_valid_and_change_it_one_voter_at_a_time()
    {
        var random = new Random(80_81);
        var voters = new List<QuorumPeer>(Three);
        int accepted = 0;
        for (int step = 0; step < 5000; step++)
        {
            int id = random.Next(-1, 8);
            string host = $"10.0.0.{random.Next(1, 9)}";
            IReadOnlyList<QuorumPeer> before = [.. voters];
            string context = $"step {step} (seed 8081), voters {string.Join(",", before)}";
            if (random.Next(2) == 0)
            {
                var (error, voter) = RaftVoterDecisions.CheckAdd(Add(id, host, listener: random.Next(10) == 0 ? "OTHER" : "CONTROLLER"), ClusterId, before);
                if (!error.IsError)
                {
                    Assert.DoesNotContain(before, v => v.NodeId == voter!.NodeId || v.Host == voter.Host);
                    voters.Add(voter!);
                }
            }
            else
            {
                var (error, voter) = RaftVoterDecisions.CheckRemove(new RaftVoterRemoval(null, id, Guid.Empty), ClusterId, before);
                if (!error.IsError)
                {
                    Assert.Contains(voter!, before);
                    voters.Remove(voter!);
                }
                else
                {
                    Assert.True(before.All(v => v.NodeId != id) || before.Count == 1, context);
                }
            }

            accepted += voters.Count != before.Count ? 1 : 0;
            Assert.True(Math.Abs(voters.Count - before.Count) <= 1 && voters.Count >= 1, context);
            Assert.Equal(voters.Count, voters.Select(v => v.NodeId).Distinct().Count());
            Assert.Equal(voters.Count, voters.Select(v => v.Host).Distinct().Count());
        }

        Assert.True(accepted > 500, $"only {accepted} changes were accepted: the stream does not exercise the decisions");
    }
}
