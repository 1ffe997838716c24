namespace Chronik.Broker.Groups;

/// <summary>
/// Which partition of an internal coordinator topic owns a key: Kafka's
/// <c>Utils.abs(key.hashCode()) % partitionCount</c>, with Java's String.hashCode over UTF-16 code units,
/// so kafka tools, Kafka brokers and Chronik agree on the partition (and so on the coordinator).
/// </summary>
public static class CoordinatorPartitioner
{
    public static int PartitionFor(string key, int partitionCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partitionCount, 1);
        return Abs(JavaHashCode(key)) % partitionCount;
    }

    /// <summary>Java's String.hashCode: s[0]*31^(n-1) + ... + s[n-1] in 32-bit wrapping arithmetic.</summary>
    public static int JavaHashCode(string value)
    {
        int hash = 0;
        foreach (char c in value)
        {
            hash = unchecked((31 * hash) + c);
        }

        return hash;
    }

    // Kafka's Utils.abs: int.MinValue maps to 0 instead of overflowing.
    private static int Abs(int value) => value == int.MinValue ? 0 : Math.Abs(value);
}
