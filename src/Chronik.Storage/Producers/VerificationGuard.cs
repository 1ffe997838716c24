namespace Chronik.Storage.Producers;

/// <summary>
/// One transaction verification of one producer on one partition (KIP-890 part 1, Kafka's VerificationGuard).
/// Before a transactional batch opens a transaction on a partition, the broker asks the transaction coordinator
/// whether the partition is in the producer's transaction; the log hands out a guard when that check starts and
/// keeps it until the producer's next transactional batch or marker. The append must present the same guard, so a
/// marker that lands between the check and the append (the transaction ended meanwhile) makes the append fail
/// instead of opening a transaction nobody will ever end. <see cref="None"/> verifies nothing.
/// </summary>
public readonly record struct VerificationGuard(long Value)
{
    private static long s_last;

    /// <summary>No verification: returned when the producer already has the transaction open on the partition.</summary>
    public static VerificationGuard None => default;

    public bool IsNone => Value == 0;

    /// <summary>Whether <paramref name="presented"/> is this guard (never true for <see cref="None"/>).</summary>
    public bool Verifies(VerificationGuard presented) => !presented.IsNone && presented.Value == Value;

    internal static VerificationGuard Next() => new(Interlocked.Increment(ref s_last));
}
