using System.Collections.Concurrent;
using Chronik.Broker.Groups.Runtime;
using Chronik.Protocol.Records;

namespace Chronik.Broker.Tests.Groups;

/// <summary>
/// An <see cref="ICoordinatorLog"/> in memory: batches get offsets as a log assigns them; durability is
/// immediate unless <see cref="HoldDurability"/> is set, and <see cref="FailPending"/> loses the writes not
/// yet durable (as a crash or a failed fsync would).
/// </summary>
internal sealed class InMemoryCoordinatorLog : ICoordinatorLog
{
    private readonly List<byte[]> _batches = [];
    private readonly List<(long Offset, TaskCompletionSource Done)> _waiting = [];
    private readonly object _lock = new();
    private long _durableEnd;

    public bool HoldDurability { get; set; }

    public long LogStartOffset => 0;

    public long LogEndOffset { get; private set; }

    public int BatchCount
    {
        get
        {
            lock (_lock)
            {
                return _batches.Count;
            }
        }
    }

    public ValueTask<long> WaitForCommittedEndAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(LogEndOffset);
        }
    }

    public long Append(ReadOnlyMemory<byte> batches, int leaderEpoch)
    {
        lock (_lock)
        {
            var enumerator = new RecordBatchEnumerator(batches);
            long last = LogEndOffset - 1;
            while (enumerator.MoveNext())
            {
                byte[] batch = enumerator.Current.ToArray();
                RecordBatchHeader.SetBaseOffset(batch, LogEndOffset);
                RecordBatchHeader.SetPartitionLeaderEpoch(batch, leaderEpoch);
                last = RecordBatchHeader.LastOffset(batch);
                LogEndOffset = last + 1;
                _batches.Add(batch);
            }

            if (!HoldDurability)
            {
                _durableEnd = LogEndOffset;
            }

            return last;
        }
    }

    public ValueTask WaitForDurabilityAsync(long offset, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (offset < _durableEnd)
            {
                return ValueTask.CompletedTask;
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting.Add((offset, done));
            return new ValueTask(done.Task.WaitAsync(cancellationToken));
        }
    }

    public void ReleaseDurability()
    {
        lock (_lock)
        {
            HoldDurability = false;
            _durableEnd = LogEndOffset;
            foreach (var (_, done) in _waiting)
            {
                done.TrySetResult();
            }

            _waiting.Clear();
        }
    }

    /// <summary>Drops the batches that are not durable and fails their waiters.</summary>
    public void FailPending()
    {
        lock (_lock)
        {
            _batches.RemoveAll(b => RecordBatchHeader.BaseOffset(b) >= _durableEnd);
            LogEndOffset = _durableEnd;
            foreach (var (_, done) in _waiting)
            {
                done.TrySetException(new IOException("fsync failed"));
            }

            _waiting.Clear();
            HoldDurability = false;
        }
    }

    public ReadOnlyMemory<byte> Read(long offset, int maxBytes)
    {
        lock (_lock)
        {
            var output = new List<byte>();
            foreach (byte[] batch in _batches)
            {
                if (RecordBatchHeader.LastOffset(batch) >= offset && (output.Count == 0 || output.Count + batch.Length <= maxBytes))
                {
                    output.AddRange(batch);
                }
            }

            return output.ToArray();
        }
    }
}

internal sealed class InMemoryCoordinatorLogProvider : ICoordinatorLogProvider
{
    public ConcurrentDictionary<int, InMemoryCoordinatorLog> Logs { get; } = new();

    public ICoordinatorLog? GetLog(int partition) => Logs.GetOrAdd(partition, _ => new InMemoryCoordinatorLog());
}
