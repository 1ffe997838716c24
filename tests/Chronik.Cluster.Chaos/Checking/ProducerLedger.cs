namespace Chronik.Cluster.Chaos.Checking;

/// <summary>
/// A successful delivery report: record <paramref name="Sequence"/> is stored at
/// <paramref name="Partition"/>/<paramref name="Offset"/> (-1 when the client reported no offset, as
/// librdkafka does for a batch the broker recognised as a duplicate). Times are since the run started.
/// </summary>
public readonly record struct Acknowledgement(long Sequence, int Partition, long Offset, TimeSpan SentAt, TimeSpan AcknowledgedAt);

/// <summary>
/// What one producer did, as the checker sees it: records 0 .. <paramref name="Sent"/>-1 were handed to
/// the client (so no other record of this producer may ever appear), <paramref name="Acknowledged"/>
/// got a successful delivery report, <paramref name="Failed"/> got an error report (they may or may not
/// be stored), the rest got no report at all. <paramref name="Idempotent"/>: enable.idempotence, so no
/// record may be stored twice.
/// </summary>
public sealed record ProducerHistory(string ProducerId, bool Idempotent, long Sent, IReadOnlyList<Acknowledgement> Acknowledged, long Failed, IReadOnlyList<string> FatalErrors)
{
    /// <summary>Records that got no delivery report at all.</summary>
    public long Unresolved => Sent - Acknowledged.Count - Failed;
}

/// <summary>
/// The thread-safe ledger a producer's send loop and delivery handler write to: a sequence number is
/// taken before the record is handed to the client, and each delivery report is recorded once.
/// </summary>
public sealed class ProducerLedger(string producerId, bool idempotent, TimeProvider time, long startTimestamp)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<long, TimeSpan> _outstanding = [];
    private readonly List<Acknowledgement> _acknowledged = [];
    private readonly List<string> _fatalErrors = [];
    private long _sent;
    private long _failed;

    public string ProducerId { get; } = producerId;

    public bool Idempotent { get; } = idempotent;

    /// <summary>The next sequence number, counted as sent from now on.</summary>
    public long NextSequence()
    {
        lock (_lock)
        {
            long sequence = _sent++;
            _outstanding[sequence] = Now();
            return sequence;
        }
    }

    /// <summary>
    /// The client refused the record synchronously (e.g. its queue was full): it never left, so the
    /// sequence is handed out again by <see cref="NextSequence"/>. Only valid for the latest sequence.
    /// </summary>
    public void Return(long sequence)
    {
        lock (_lock)
        {
            if (sequence != _sent - 1)
            {
                throw new InvalidOperationException($"only the latest sequence can be returned ({sequence} is not {_sent - 1})");
            }

            _outstanding.Remove(sequence);
            _sent--;
        }
    }

    public void Acknowledged(long sequence, int partition, long offset)
    {
        lock (_lock)
        {
            if (_outstanding.Remove(sequence, out TimeSpan sentAt))
            {
                _acknowledged.Add(new Acknowledgement(sequence, partition, offset, sentAt, Now()));
            }
        }
    }

    public void Failed(long sequence)
    {
        lock (_lock)
        {
            if (_outstanding.Remove(sequence))
            {
                _failed++;
            }
        }
    }

    /// <summary>A fatal client error (for an idempotent producer: its sequence state is broken).</summary>
    public void Fatal(string error)
    {
        lock (_lock)
        {
            _fatalErrors.Add(error);
        }
    }

    public long AcknowledgedCount
    {
        get
        {
            lock (_lock)
            {
                return _acknowledged.Count;
            }
        }
    }

    public ProducerHistory Snapshot()
    {
        lock (_lock)
        {
            return new ProducerHistory(ProducerId, Idempotent, _sent, [.. _acknowledged], _failed, [.. _fatalErrors]);
        }
    }

    private TimeSpan Now() => time.GetElapsedTime(startTimestamp);
}
