namespace Chronik.Cluster.Chaos.Checking;

/// <summary>
/// One offset commit of the group consumer for one partition. <paramref name="Succeeded"/> false: the
/// commit returned an error or never returned, neither of which says whether the coordinator stored it
/// (a timeout may come after the write), so the checker treats it as "maybe stored".
/// </summary>
public readonly record struct CommitAttempt(int Partition, long Offset, bool Succeeded);

/// <summary>
/// Thread-safe record of every commit the group consumer attempted, in order. An attempt is recorded
/// when it starts and completed when the client returns, so a commit that hangs still counts as tried.
/// </summary>
public sealed class CommitLedger
{
    private readonly Lock _lock = new();
    private readonly List<CommitAttempt> _attempts = [];

    /// <summary>Records a commit about to be sent; returns its handle for <see cref="Succeeded"/>.</summary>
    public int Begin(int partition, long offset)
    {
        lock (_lock)
        {
            _attempts.Add(new CommitAttempt(partition, offset, Succeeded: false));
            return _attempts.Count - 1;
        }
    }

    /// <summary>The commit <paramref name="attempt"/> returned without error for its partition.</summary>
    public void Succeeded(int attempt)
    {
        lock (_lock)
        {
            _attempts[attempt] = _attempts[attempt] with { Succeeded = true };
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
