using Chronik.Cluster.Controller;
using Chronik.Protocol.Wire;

namespace Chronik.Cluster.Tests.Controller;

public class ReplicaPlacerTests
{
    private static List<PlacementBroker> Brokers(int count, Func<int, string?>? rack = null) =>
        Enumerable.Range(1, count).Select(i => new PlacementBroker(i, rack?.Invoke(i))).ToList();

    [Fact]
    public void More_replicas_than_brokers_is_InvalidReplicationFactor()
    {
        var (assignment, error) = new ReplicaPlacer(new Random(1)).Place(Brokers(2), 3, 3);
        Assert.Null(assignment);
        Assert.Equal(ErrorCode.InvalidReplicationFactor, error.Code);
        Assert.Contains("only 2 broker(s)", error.Message);
    }

    [Fact]
    public void Leaders_and_replicas_spread_evenly_without_racks()
    {
        var (assignment, error) = new ReplicaPlacer(new Random(3)).Place(Brokers(3), 6, 2);
        Assert.False(error.IsError);
        Assert.All(assignment!.GroupBy(r => r[0]), g => Assert.Equal(2, g.Count()));
        Assert.All(assignment!.SelectMany(r => r).GroupBy(b => b), g => Assert.Equal(4, g.Count()));
    }

    [Fact]
    public void With_racks_each_partition_spans_as_many_racks_as_it_can()
    {
        var brokers = Brokers(6, i => "rack-" + (i % 3));
        var (assignment, _) = new ReplicaPlacer(new Random(7)).Place(brokers, 12, 3);
        var rackOf = brokers.ToDictionary(b => b.BrokerId, b => b.Rack);
        Assert.All(assignment!, replicas => Assert.Equal(3, replicas.Select(r => rackOf[r]).Distinct().Count()));
        Assert.All(assignment!.GroupBy(r => r[0]), g => Assert.Equal(2, g.Count()));
    }

    [Fact]
    public void Randomized_placements_always_are_valid_and_deterministic_per_seed()
    {
        for (int seed = 0; seed < 500; seed++)
        {
            var random = new Random(seed);
            int brokerCount = random.Next(1, 8);
            int racks = random.Next(0, 4);
            var brokers = Enumerable.Range(0, brokerCount)
                .Select(i => new PlacementBroker(random.Next(100) * 10 + i, racks == 0 ? null : random.Next(4) == 0 ? null : "r" + random.Next(racks)))
                .ToList();
            int rf = random.Next(1, brokerCount + 1);
            int partitions = random.Next(1, 30);
            int first = random.Next(0, 5);

            var (a, e1) = new ReplicaPlacer(new Random(seed)).Place(brokers, partitions, rf, first);
            var (b, e2) = new ReplicaPlacer(new Random(seed)).Place(brokers, partitions, rf, first);
            Assert.False(e1.IsError || e2.IsError);
            Assert.Equal(a, b);
            Assert.Equal(partitions, a!.Length);
            var ids = brokers.Select(x => x.BrokerId).ToHashSet();
            foreach (int[] replicas in a)
            {
                Assert.Equal(rf, replicas.Length);
                Assert.Equal(rf, replicas.Distinct().Count());
                Assert.All(replicas, r => Assert.Contains(r, ids));
                var rackCount = brokers.Select(x => x.Rack ?? "").Distinct().Count();
                Assert.Equal(Math.Min(rf, rackCount), replicas.Select(r => brokers.First(x => x.BrokerId == r).Rack ?? "").Distinct().Count());
            }
        }
    }
}
