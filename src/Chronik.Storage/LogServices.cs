using Chronik.Storage.Durability;
using Chronik.Storage.Files;

namespace Chronik.Storage;

/// <summary>What every partition log of a <see cref="LogManager"/> shares: file handles, the flusher, the clock.</summary>
internal sealed class LogServices
{
    private readonly object _retiredLock = new();
    private readonly List<(long DueMs, HandleLease Lease)> _retired = [];
    private Exception? _failure;

    public LogServices(FileHandleCache files, TimeProvider time)
    {
        Files = files;
        Time = time;
    }

    public FileHandleCache Files { get; }

    public TimeProvider Time { get; }

    /// <summary>Set once by the manager after construction (the flusher needs the failure callback below).</summary>
    public LogFlusher Flusher { get; set; } = null!;

    /// <summary>Set once by the manager after construction.</summary>
    public StorageMetrics Metrics { get; set; } = null!;

    /// <summary>producer.id.expiration.ms: how long a producer's state outlives its last batch.</summary>
    public long ProducerIdExpirationMs { get; set; } = LogManagerOptions.DefaultProducerIdExpirationMs;

    /// <summary>Whether transactional appends must be verified (see <see cref="LogManagerOptions.TransactionVerificationEnabled"/>).</summary>
    public bool TransactionVerificationEnabled { get; set; }

    /// <summary>Called when a log start offset moved (DeleteRecords, retention) so the checkpoint is written soon.</summary>
    public Action? LogStartOffsetChanged { get; set; }

    /// <summary>Called when a log was truncated to an offset (the cleaner must not treat re-appended data as clean).</summary>
    public Action<TopicPartition, long>? LogTruncated { get; set; }

    public long NowMs => Time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The first I/O failure of a write or fsync; after it the directory takes no appends (Kafka marks the log dir offline).</summary>
    public Exception? Failure => Volatile.Read(ref _failure);

    public void ReportFailure(Exception e) => Interlocked.CompareExchange(ref _failure, e, null);

    /// <summary>Releases <paramref name="lease"/> (the last handle of a retired segment) after <paramref name="delayMs"/>.</summary>
    public void RetireLater(HandleLease lease, long delayMs)
    {
        if (delayMs <= 0)
        {
            lease.Dispose();
            return;
        }

        lock (_retiredLock)
        {
            _retired.Add((NowMs + delayMs, lease));
        }
    }

    /// <summary>Releases retired segments whose delay passed (all of them with <paramref name="all"/>).</summary>
    public int ReleaseRetired(bool all)
    {
        var due = new List<HandleLease>();
        long now = NowMs;
        lock (_retiredLock)
        {
            for (int i = _retired.Count - 1; i >= 0; i--)
            {
                if (all || _retired[i].DueMs <= now)
                {
                    due.Add(_retired[i].Lease);
                    _retired.RemoveAt(i);
                }
            }
        }

        foreach (var lease in due)
        {
            lease.Dispose();
        }

        return due.Count;
    }
}
