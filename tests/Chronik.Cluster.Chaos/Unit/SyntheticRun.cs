using Chronik.Cluster.Chaos.Checking;

namespace Chronik.Cluster.Chaos.Unit;

/// <summary>
/// Builds the evidence of an imagined chaos run for the checker's tests: producers send, the log gets
/// records appended at the next offset of their partition, acknowledgements name those offsets, and
/// the consumer and commits can be added. Tests then corrupt the evidence in one specific way.
/// </summary>
internal sealed class SyntheticRun(int partitions = 3)
{
    public const int ValueSize = 64;

    private readonly Dictionary<string, (bool Idempotent, long Sent, List<Acknowledgement> Acks, List<string> Fatal)> _producers = [];
    private readonly Dictionary<(string, long), TimeSpan> _sentAt = [];
    private long _clock;
    private readonly List<LogRecord>[] _log = [.. Enumerable.Range(0, partitions).Select(_ => new List<LogRecord>())];

    public int Partitions { get; } = partitions;

    public List<LogRecord> Consumed { get; } = [];

    public List<CommitAttempt> Commits { get; } = [];

    public Dictionary<int, long> Committed { get; } = [];

    /// <summary>Replicas' own copies (node → records); <see cref="CopyToReplicas"/> makes faithful ones.</summary>
    public Dictionary<int, List<LogRecord>> Replicas { get; } = [];

    public SyntheticRun Producer(string id, bool idempotent)
    {
        _producers[id] = (idempotent, 0, [], []);
        return this;
    }

    /// <summary>Hands the producer's next record to the "client" (one tick of the run's clock); returns its sequence.</summary>
    public long Send(string producer)
    {
        var p = _producers[producer];
        _producers[producer] = p with { Sent = p.Sent + 1 };
        _sentAt[(producer, p.Sent)] = Tick();
        return p.Sent;
    }

    /// <summary>Appends a record to the end of its partition; returns the offset.</summary>
    public long Store(string producer, long sequence, int? partition = null)
    {
        List<LogRecord> log = _log[partition ?? RecordValue.PartitionOf(sequence, Partitions)];
        long offset = log.Count;
        log.Add(new LogRecord(partition ?? RecordValue.PartitionOf(sequence, Partitions), offset, RecordValue.Encode(producer, sequence, ValueSize)));
        return offset;
    }

    /// <summary>The delivery report arrives (one tick of the run's clock).</summary>
    public void Acknowledge(string producer, long sequence, long offset) =>
        _producers[producer].Acks.Add(new Acknowledgement(sequence, RecordValue.PartitionOf(sequence, Partitions), offset, _sentAt.GetValueOrDefault((producer, sequence)), Tick()));

    /// <summary>Changes the offset an acknowledgement names (the broker answered with another offset).</summary>
    public void Reacknowledge(string producer, long sequence, long offset)
    {
        List<Acknowledgement> acks = _producers[producer].Acks;
        int index = acks.FindIndex(a => a.Sequence == sequence);
        acks[index] = acks[index] with { Offset = offset };
    }

    /// <summary>Send, store and acknowledge at the stored offset.</summary>
    public long SendStoredAcknowledged(string producer)
    {
        long sequence = Send(producer);
        long offset = Store(producer, sequence);
        Acknowledge(producer, sequence, offset);
        return sequence;
    }

    public void Fatal(string producer, string error) => _producers[producer].Fatal.Add(error);

    public List<LogRecord> LogOf(int partition) => _log[partition];

    public LogRecord At(int partition, long offset) => _log[partition].Single(r => r.Offset == offset);

    /// <summary>Replaces the value at a position, keeping the offset.</summary>
    public void Overwrite(int partition, long offset, byte[] value)
    {
        int index = _log[partition].FindIndex(r => r.Offset == offset);
        _log[partition][index] = _log[partition][index] with { Value = value };
    }

    /// <summary>The group consumer read everything stored so far in <paramref name="partition"/> and committed its position.</summary>
    public long ConsumeAndCommit(int partition, bool succeeded = true)
    {
        Consumed.AddRange(_log[partition].Where(r => !Consumed.Contains(r)));
        long position = _log[partition].Count;
        Commits.Add(new CommitAttempt(partition, position, succeeded));
        return position;
    }

    /// <summary>Every node holds exactly the log as it stands.</summary>
    public void CopyToReplicas(params int[] nodes)
    {
        foreach (int node in nodes)
        {
            Replicas[node] = [.. _log.SelectMany(l => l)];
        }
    }

    public ChaosEvidence Evidence() => new()
    {
        PartitionCount = Partitions,
        Producers = [.. _producers.Select(p => new ProducerHistory(p.Key, p.Value.Idempotent, p.Value.Sent, [.. p.Value.Acks], 0, [.. p.Value.Fatal]))],
        FinalLog = [.. _log.SelectMany(l => l)],
        LogStartOffsets = Enumerable.Range(0, Partitions).ToDictionary(p => p, _ => 0L),
        HighWatermarks = Enumerable.Range(0, Partitions).ToDictionary(p => p, p => _log[p].Count == 0 ? 0 : _log[p].Max(r => r.Offset) + 1),
        ConsumedDuringRun = [.. Consumed],
        Commits = [.. Commits],
        CommittedAfterRun = new Dictionary<int, long>(Committed),
        Replicas = Replicas.ToDictionary(r => r.Key, r => (IReadOnlyList<LogRecord>)[.. r.Value]),
    };

    public ChaosVerdict Check() => ChaosChecker.Check(Evidence());

    private TimeSpan Tick() => TimeSpan.FromMilliseconds(++_clock);
}
