using Chronik.Protocol.Wire;

namespace Chronik.Cluster.Controller;

/// <summary>A broker that can take replicas, with its rack (null when unset).</summary>
public readonly record struct PlacementBroker(int BrokerId, string? Rack);

/// <summary>
/// Places replicas the way Kafka's classic assignment does: brokers in id order, each partition's
/// first replica walks round robin from a random start, the followers follow at a shift that is
/// random too and grows after every full round, so leaders and followers both spread evenly.
/// When any broker has a rack, the broker list is interleaved rack by rack and each partition takes
/// one replica per rack before a rack gets a second (brokers without a rack form one group).
/// Deterministic for a given <see cref="Random"/> seed.
/// </summary>
public sealed class ReplicaPlacer(Random random)
{
    /// <summary>
    /// Replicas for <paramref name="partitionCount"/> partitions numbered from <paramref name="firstPartition"/>
    /// (CreatePartitions continues the sequence), or InvalidReplicationFactor when there are fewer
    /// brokers than <paramref name="replicationFactor"/>.
    /// </summary>
    public (int[][]? Assignment, ApiError Error) Place(IReadOnlyList<PlacementBroker> brokers, int partitionCount, int replicationFactor, int firstPartition = 0)
    {
        if (replicationFactor <= 0)
        {
            return (null, new ApiError(ErrorCode.InvalidReplicationFactor, "Replication factor must be larger than 0."));
        }

        if (replicationFactor > brokers.Count)
        {
            return (null, new ApiError(ErrorCode.InvalidReplicationFactor,
                $"Unable to replicate the partition {replicationFactor} time(s): The target replication factor of {replicationFactor} cannot be reached because only {brokers.Count} broker(s) are registered."));
        }

        bool rackAware = brokers.Any(b => b.Rack is not null);
        return rackAware
            ? (PlaceRackAware(brokers, partitionCount, replicationFactor, firstPartition), ApiError.None)
            : (PlaceRoundRobin(brokers, partitionCount, replicationFactor, firstPartition), ApiError.None);
    }

    private int[][] PlaceRoundRobin(IReadOnlyList<PlacementBroker> brokers, int partitionCount, int replicationFactor, int firstPartition)
    {
        int[] ids = brokers.Select(b => b.BrokerId).Order().ToArray();
        int n = ids.Length;
        int start = random.Next(n);
        int shift = random.Next(n);
        var result = new int[partitionCount][];
        for (int i = 0; i < partitionCount; i++)
        {
            int partition = firstPartition + i;
            if (partition > 0 && partition % n == 0)
            {
                shift++;
            }

            int first = (partition + start) % n;
            var replicas = new int[replicationFactor];
            replicas[0] = ids[first];
            for (int j = 0; j < replicationFactor - 1; j++)
            {
                replicas[j + 1] = ids[FollowerIndex(first, shift, j, n)];
            }

            result[i] = replicas;
        }

        return result;
    }

    private int[][] PlaceRackAware(IReadOnlyList<PlacementBroker> brokers, int partitionCount, int replicationFactor, int firstPartition)
    {
        var rackOf = brokers.ToDictionary(b => b.BrokerId, b => b.Rack ?? "");
        int rackCount = rackOf.Values.Distinct(StringComparer.Ordinal).Count();
        int[] arranged = RackAlternated(brokers);
        int n = arranged.Length;
        int start = random.Next(n);
        int shift = random.Next(n);
        var result = new int[partitionCount][];
        for (int i = 0; i < partitionCount; i++)
        {
            int partition = firstPartition + i;
            if (partition > 0 && partition % n == 0)
            {
                shift++;
            }

            int first = (partition + start) % n;
            int leader = arranged[first];
            var replicas = new List<int>(replicationFactor) { leader };
            var racksUsed = new HashSet<string>(StringComparer.Ordinal) { rackOf[leader] };
            var brokersUsed = new HashSet<int> { leader };
            int k = 0;
            while (replicas.Count < replicationFactor)
            {
                int broker = arranged[FollowerIndex(first, shift * rackCount, k++, n)];
                string rack = rackOf[broker];

                // A rack takes a second replica only once every rack has one; a broker never takes two.
                if ((!racksUsed.Contains(rack) || racksUsed.Count == rackCount) && !brokersUsed.Contains(broker))
                {
                    replicas.Add(broker);
                    racksUsed.Add(rack);
                    brokersUsed.Add(broker);
                }
            }

            result[i] = [.. replicas];
        }

        return result;
    }

    private static int FollowerIndex(int first, int shift, int j, int n) =>
        n == 1 ? first : (first + 1 + ((shift + j) % (n - 1))) % n;

    /// <summary>Brokers interleaved by rack (racks and brokers in order): r1b1, r2b1, r3b1, r1b2, …</summary>
    private static int[] RackAlternated(IReadOnlyList<PlacementBroker> brokers)
    {
        var byRack = brokers
            .GroupBy(b => b.Rack ?? "", StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.Select(b => b.BrokerId).Order().ToArray())
            .ToArray();
        var result = new List<int>(brokers.Count);
        for (int round = 0; result.Count < brokers.Count; round++)
        {
            foreach (int[] rack in byRack)
            {
                if (round < rack.Length)
                {
                    result.Add(rack[round]);
                }
            }
        }

        return [.. result];
    }
}
