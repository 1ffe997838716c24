using Chronik.Broker.Groups.Consumer;

namespace Chronik.Broker.Tests.Groups;

public class AssignorTests
{
    private static readonly Guid T1 = Guid.Parse("00000000-0000-0000-0000-000000000001");
    private static readonly Guid T2 = Guid.Parse("00000000-0000-0000-0000-000000000002");

    private static AssignmentMember Member(Assignment? current = null, params Guid[] topics) => new(topics.ToHashSet(), null, current ?? Assignment.Empty);

    [Fact]
    public void Uniform_balances_a_homogeneous_group()
    {
        var spec = new AssignmentSpec(
            new Dictionary<string, AssignmentMember> { ["a"] = Member(null, T1, T2), ["b"] = Member(null, T1, T2), ["c"] = Member(null, T1, T2) },
            new Dictionary<Guid, int> { [T1] = 4, [T2] = 3 });
        var result = UniformAssignor.Instance.Assign(spec);
        Assert.Equal(7, result.Values.Sum(a => a.Count));
        Assert.True(result.Values.Max(a => a.Count) - result.Values.Min(a => a.Count) <= 1);
        Assert.Equal(7, result.Values.SelectMany(a => a.All()).Distinct().Count());
    }

    [Fact]
    public void Uniform_is_sticky_when_a_member_joins()
    {
        var before = UniformAssignor.Instance.Assign(new AssignmentSpec(
            new Dictionary<string, AssignmentMember> { ["a"] = Member(null, T1), ["b"] = Member(null, T1) },
            new Dictionary<Guid, int> { [T1] = 6 }));
        var after = UniformAssignor.Instance.Assign(new AssignmentSpec(
            new Dictionary<string, AssignmentMember> { ["a"] = Member(before["a"], T1), ["b"] = Member(before["b"], T1), ["c"] = Member(null, T1) },
            new Dictionary<Guid, int> { [T1] = 6 }));
        Assert.True(after["a"].IsSubsetOf(before["a"]) && after["b"].IsSubsetOf(before["b"]));
        Assert.Equal(2, after["c"].Count);
    }

    [Fact]
    public void Uniform_respects_heterogeneous_subscriptions()
    {
        var result = UniformAssignor.Instance.Assign(new AssignmentSpec(
            new Dictionary<string, AssignmentMember> { ["a"] = Member(null, T1), ["b"] = Member(null, T1, T2) },
            new Dictionary<Guid, int> { [T1] = 2, [T2] = 2 }));
        Assert.DoesNotContain(T2, result["a"].TopicIds);
        Assert.Equal(2, result["a"].Count);
        Assert.Equal(2, result["b"].Count);
    }

    [Fact]
    public void Range_gives_contiguous_ranges_per_topic_extra_partitions_to_the_first_members()
    {
        var result = RangeAssignor.Instance.Assign(new AssignmentSpec(
            new Dictionary<string, AssignmentMember> { ["a"] = Member(null, T1, T2), ["b"] = Member(null, T1, T2) },
            new Dictionary<Guid, int> { [T1] = 3, [T2] = 3 }));
        Assert.Equal([0, 1], result["a"].Partitions(T1).Order());
        Assert.Equal([2], result["b"].Partitions(T1).Order());
        Assert.Equal([0, 1], result["a"].Partitions(T2).Order());
    }
}
