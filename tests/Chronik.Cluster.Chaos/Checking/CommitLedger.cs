namespace Chronik.Cluster.Chaos.Checking;

/// <summary>
/// One offset commit of the group consumer for one partition. <paramref name="Succeeded"/> false: the
/// commit returned an error, which does not say whether the coordinator stored it (a timeout may come
/// after the write), so the checker treats it as "maybe stored".
/// </summary>
public readonly record struct CommitAttempt(int Partition, long Offset, bool Succeeded);

/// <summary>Thread-safe record of every commit the group consumer attempted, in order.</summary>
public sealed class CommitLedger
{
    private readonly Lock _lock = new();
    private readonly List<CommitAttempt> _attempts = [];

    public void Record(int partition, long offset, bool succeeded)
    {
        lock (_lock)
        {
            _attempts.Add(new CommitAttempt(partition, offset, succeeded));
        }
    }

    public IReadOnlyList<CommitAttempt> Snapshot()
    {
        lock (_lock)
        {
            return [.. _attempts];
        }
    }
}
