namespace Chronik.Cluster.Chaos.Checking;

/// <summary>The checker's findings and what it counted on the way.</summary>
/// <param name="Violations">Violations found, at most <see cref="ChaosChecker.ListedPerKind"/> listed per kind.</param>
/// <param name="Counts">Exact number of violations per kind.</param>
public sealed record ChaosVerdict(
    IReadOnlyList<Violation> Violations,
    IReadOnlyDictionary<ViolationKind, int> Counts,
    long RecordsInLog,
    long AcknowledgedRecords,
    long UnacknowledgedPresent,
    long NonIdempotentDuplicates)
{
    public bool Passed => Counts.Count == 0;

    public int CountOf(ViolationKind kind) => Counts.GetValueOrDefault(kind);

    /// <summary>Violations counted by kind, e.g. "AcknowledgedLost=3, Reordered=1".</summary>
    public string Summary() => Passed
        ? "no violations"
        : string.Join(", ", Counts.OrderBy(c => c.Key).Select(c => $"{c.Key}={c.Value}"));
}

/// <summary>
/// Decides whether a chaos run kept Kafka's guarantees, from the ledgers and the topic read back
/// afterwards. No I/O. The rules, each a <see cref="ViolationKind"/>:
/// <list type="bullet">
/// <item>An acknowledged record (acks=all) is present at exactly the partition and offset its delivery
/// report named: an acknowledged offset is below the high watermark on every in-sync replica, so no
/// leader change may truncate or move it (Kafka's replication guarantee, unclean election off). A report
/// without an offset (librdkafka's answer to DUPLICATE_SEQUENCE_NUMBER) only needs the record present
/// in its partition.</item>
/// <item>Every stored value decodes to a record some producer handed to its client, in the partition
/// it was sent to: anything else is corruption or a phantom.</item>
/// <item>Per partition, an idempotent producer's records appear in send order (KIP-98 sequences;
/// librdkafka drains in-flight requests before moving a partition to a new leader).</item>
/// <item>Per partition, a record acknowledged before another record (of any producer) was handed to
/// its client is stored before it: once acknowledged it is committed, and every later append goes
/// after it, whichever broker leads. This is the order the non-idempotent producer can be held to —
/// librdkafka keeps its max.in.flight=1 per connection, so when a partition's leader changes while a
/// request is in flight, later batches may reach the new leader before the retried one (seen in a
/// chaos run, see README) — and it holds for the idempotent producers as well.</item>
/// <item>An idempotent producer's record is stored at most once.</item>
/// <item>Offsets from log start to high watermark are contiguous (no transactions, no compaction).</item>
/// <item>What the group consumer read during the run (up to the high watermark at the time) is still
/// there, byte for byte, at the same offset.</item>
/// <item>OffsetFetch after the run returns the offset of the last successful commit — or of a later
/// failed one, since a failed commit may still have been stored — and never one beyond the high
/// watermark; no commit at all means no committed offset.</item>
/// <item>When the replicas' own files were collected (every replica back in the ISR, no writes
/// pending): each replica holds exactly what the leader served, offset for offset, and nothing beyond
/// the high watermark — the followers fetched everything and kept no divergent tail.</item>
/// <item>No producer hit a fatal error.</item>
/// </list>
/// </summary>
public static class ChaosChecker
{
    /// <summary>At most this many violations of one kind are listed; the count is still exact.</summary>
    public const int ListedPerKind = 20;

    public static ChaosVerdict Check(ChaosEvidence evidence)
    {
        var violations = new ViolationList();
        Dictionary<string, ProducerHistory> producers = evidence.Producers.ToDictionary(p => p.ProducerId, StringComparer.Ordinal);
        foreach (ProducerHistory producer in evidence.Producers)
        {
            foreach (string fatal in producer.FatalErrors)
            {
                violations.Add(ViolationKind.ProducerFatal, $"producer {producer.ProducerId}: {fatal}");
            }
        }

        Dictionary<(int Partition, long Offset), LogRecord> byPosition = CheckOffsets(evidence, violations);
        Dictionary<(string Producer, long Sequence), List<(int Partition, long Offset)>> occurrences =
            CheckRecords(evidence, producers, violations, out long nonIdempotentDuplicates);
        long acknowledged = CheckAcknowledged(evidence, byPosition, occurrences, violations);
        CheckRealTimeOrder(evidence, violations);

        long unacknowledgedPresent = 0;
        var acknowledgedIds = new HashSet<(string, long)>();
        foreach (ProducerHistory producer in evidence.Producers)
        {
            foreach (Acknowledgement ack in producer.Acknowledged)
            {
                acknowledgedIds.Add((producer.ProducerId, ack.Sequence));
            }
        }

        foreach ((string, long) id in occurrences.Keys)
        {
            if (!acknowledgedIds.Contains(id))
            {
                unacknowledgedPresent++;
            }
        }

        CheckConsumed(evidence, byPosition, violations);
        CheckReplicas(evidence, byPosition, violations);
        CheckCommits(evidence, violations);
        return new ChaosVerdict(violations.Items, violations.Counts, evidence.FinalLog.Count, acknowledged, unacknowledgedPresent, nonIdempotentDuplicates);
    }

    private static Dictionary<(int, long), LogRecord> CheckOffsets(ChaosEvidence evidence, ViolationList violations)
    {
        var byPosition = new Dictionary<(int, long), LogRecord>();
        foreach (LogRecord record in evidence.FinalLog)
        {
            byPosition.TryAdd((record.Partition, record.Offset), record);
        }

        for (int partition = 0; partition < evidence.PartitionCount; partition++)
        {
            long start = evidence.LogStartOffsets.GetValueOrDefault(partition);
            long end = evidence.HighWatermarks.GetValueOrDefault(partition);
            long missing = 0;
            long firstMissing = -1;
            for (long offset = start; offset < end; offset++)
            {
                if (!byPosition.ContainsKey((partition, offset)))
                {
                    missing++;
                    firstMissing = firstMissing < 0 ? offset : firstMissing;
                }
            }

            if (missing > 0)
            {
                violations.Add(ViolationKind.OffsetGap, $"partition {partition}: {missing} offset(s) in [{start}, {end}) have no record, the first {firstMissing}");
            }
        }

        return byPosition;
    }

    private static Dictionary<(string, long), List<(int, long)>> CheckRecords(
        ChaosEvidence evidence,
        Dictionary<string, ProducerHistory> producers,
        ViolationList violations,
        out long nonIdempotentDuplicates)
    {
        nonIdempotentDuplicates = 0;
        var occurrences = new Dictionary<(string, long), List<(int, long)>>();
        // Highest sequence whose first occurrence was seen so far, per (partition, producer).
        var lastFirstSeen = new Dictionary<(int, string), (long Sequence, long Offset)>();
        foreach (LogRecord record in evidence.FinalLog.OrderBy(r => r.Partition).ThenBy(r => r.Offset))
        {
            string where = $"{record.Partition}/{record.Offset}";
            if (!RecordValue.TryDecode(record.Value, out string producerId, out long sequence))
            {
                violations.Add(ViolationKind.Unreadable, $"{where}: {Printable(record.Value)}");
                continue;
            }

            if (!producers.TryGetValue(producerId, out ProducerHistory? producer) || sequence >= producer.Sent)
            {
                violations.Add(ViolationKind.NeverSent, $"{where}: record {producerId}#{sequence} was never sent (producer {(producer is null ? "unknown" : $"sent {producer.Sent}")})");
                continue;
            }

            int expectedPartition = RecordValue.PartitionOf(sequence, evidence.PartitionCount);
            if (record.Partition != expectedPartition)
            {
                violations.Add(ViolationKind.WrongPartition, $"{where}: record {producerId}#{sequence} was sent to partition {expectedPartition}");
            }

            if (!occurrences.TryGetValue((producerId, sequence), out List<(int, long)>? seen))
            {
                occurrences[(producerId, sequence)] = seen = [];
            }

            seen.Add((record.Partition, record.Offset));
            if (seen.Count > 1)
            {
                if (producer.Idempotent)
                {
                    violations.Add(ViolationKind.Duplicate, $"{where}: record {producerId}#{sequence} of an idempotent producer is already at {seen[0].Item1}/{seen[0].Item2}");
                }
                else
                {
                    nonIdempotentDuplicates++;
                }

                continue;
            }

            if (!producer.Idempotent)
            {
                continue;
            }

            if (lastFirstSeen.TryGetValue((record.Partition, producerId), out var last) && sequence < last.Sequence)
            {
                violations.Add(ViolationKind.Reordered, $"{where}: record {producerId}#{sequence} comes after {producerId}#{last.Sequence} at offset {last.Offset}");
            }
            else
            {
                lastFirstSeen[(record.Partition, producerId)] = (sequence, record.Offset);
            }
        }

        return occurrences;
    }

    private static long CheckAcknowledged(
        ChaosEvidence evidence,
        Dictionary<(int, long), LogRecord> byPosition,
        Dictionary<(string, long), List<(int, long)>> occurrences,
        ViolationList violations)
    {
        long acknowledged = 0;
        foreach (ProducerHistory producer in evidence.Producers)
        {
            foreach (Acknowledgement ack in producer.Acknowledged)
            {
                acknowledged++;
                string name = $"{producer.ProducerId}#{ack.Sequence}";
                occurrences.TryGetValue((producer.ProducerId, ack.Sequence), out List<(int Partition, long Offset)>? stored);
                if (ack.Offset < 0)
                {
                    if (stored is null || !stored.Exists(s => s.Partition == ack.Partition))
                    {
                        violations.Add(ViolationKind.AcknowledgedLost, $"record {name} acknowledged in partition {ack.Partition} (no offset reported) is not there");
                    }

                    continue;
                }

                if (byPosition.TryGetValue((ack.Partition, ack.Offset), out LogRecord? atOffset)
                    && RecordValue.TryDecode(atOffset.Value, out string producerId, out long sequence)
                    && producerId == producer.ProducerId && sequence == ack.Sequence)
                {
                    continue;
                }

                string there = atOffset is null
                    ? "nothing"
                    : RecordValue.TryDecode(atOffset.Value, out string otherProducer, out long otherSequence) ? $"{otherProducer}#{otherSequence}" : "an unreadable value";
                if (stored is null)
                {
                    violations.Add(ViolationKind.AcknowledgedLost, $"record {name} acknowledged at {ack.Partition}/{ack.Offset} (after {ack.AcknowledgedAt.TotalSeconds:F1} s) is gone; {there} is at that offset");
                }
                else
                {
                    violations.Add(ViolationKind.AcknowledgedMoved, $"record {name} acknowledged at {ack.Partition}/{ack.Offset} is at {string.Join(", ", stored.Select(s => $"{s.Partition}/{s.Offset}"))}; {there} is at the acknowledged offset");
                }
            }
        }

        return acknowledged;
    }

    private static void CheckRealTimeOrder(ChaosEvidence evidence, ViolationList violations)
    {
        var byPartition = new Dictionary<int, List<(long Offset, TimeSpan SentAt, TimeSpan AcknowledgedAt, string Name)>>();
        foreach (ProducerHistory producer in evidence.Producers)
        {
            foreach (Acknowledgement ack in producer.Acknowledged)
            {
                if (ack.Offset < 0)
                {
                    continue;
                }

                if (!byPartition.TryGetValue(ack.Partition, out var list))
                {
                    byPartition[ack.Partition] = list = [];
                }

                list.Add((ack.Offset, ack.SentAt, ack.AcknowledgedAt, $"{producer.ProducerId}#{ack.Sequence}"));
            }
        }

        foreach (var (partition, acks) in byPartition.OrderBy(p => p.Key))
        {
            acks.Sort((a, b) => a.Offset.CompareTo(b.Offset));
            // Walking down from the highest offset: the earliest acknowledgement among higher offsets.
            (long Offset, TimeSpan AcknowledgedAt, string Name) earliestAbove = (-1, TimeSpan.MaxValue, "");
            for (int i = acks.Count - 1; i >= 0; i--)
            {
                var record = acks[i];
                if (earliestAbove.AcknowledgedAt < record.SentAt)
                {
                    violations.Add(
                        ViolationKind.AcknowledgedOutOfOrder,
                        $"partition {partition}: {earliestAbove.Name}, acknowledged at t={earliestAbove.AcknowledgedAt.TotalSeconds:F3} s, is at offset {earliestAbove.Offset}, after {record.Name} at {record.Offset}, which was only sent at t={record.SentAt.TotalSeconds:F3} s");
                }

                if (record.AcknowledgedAt < earliestAbove.AcknowledgedAt)
                {
                    earliestAbove = (record.Offset, record.AcknowledgedAt, record.Name);
                }
            }
        }
    }

    private static void CheckConsumed(ChaosEvidence evidence, Dictionary<(int, long), LogRecord> byPosition, ViolationList violations)
    {
        foreach (LogRecord consumed in evidence.ConsumedDuringRun)
        {
            if (!byPosition.TryGetValue((consumed.Partition, consumed.Offset), out LogRecord? final))
            {
                violations.Add(ViolationKind.ConsumedRecordChanged, $"{consumed.Partition}/{consumed.Offset}: read during the run as {Describe(consumed.Value)}, absent at the end");
            }
            else if (!final.Value.AsSpan().SequenceEqual(consumed.Value))
            {
                violations.Add(ViolationKind.ConsumedRecordChanged, $"{consumed.Partition}/{consumed.Offset}: read during the run as {Describe(consumed.Value)}, at the end {Describe(final.Value)}");
            }
        }
    }

    private static void CheckReplicas(ChaosEvidence evidence, Dictionary<(int, long), LogRecord> byPosition, ViolationList violations)
    {
        foreach (var (node, records) in evidence.Replicas.OrderBy(r => r.Key))
        {
            var held = new Dictionary<(int, long), LogRecord>();
            foreach (LogRecord record in records)
            {
                held.TryAdd((record.Partition, record.Offset), record);
            }

            for (int partition = 0; partition < evidence.PartitionCount; partition++)
            {
                long start = evidence.LogStartOffsets.GetValueOrDefault(partition);
                long end = evidence.HighWatermarks.GetValueOrDefault(partition);
                long missing = 0;
                long different = 0;
                long first = -1;
                for (long offset = start; offset < end; offset++)
                {
                    bool served = byPosition.TryGetValue((partition, offset), out LogRecord? leader);
                    bool has = held.TryGetValue((partition, offset), out LogRecord? replica);
                    if (served && !has)
                    {
                        missing++;
                    }
                    else if (served && !replica!.Value.AsSpan().SequenceEqual(leader!.Value))
                    {
                        different++;
                    }
                    else
                    {
                        continue;
                    }

                    first = first < 0 ? offset : first;
                }

                long beyond = 0;
                foreach (LogRecord record in records)
                {
                    if (record.Partition == partition && record.Offset >= end)
                    {
                        beyond++;
                    }
                }

                if (missing + different + beyond > 0)
                {
                    string detail = first < 0 ? "" : $", the first at offset {first}: {(held.TryGetValue((partition, first), out LogRecord? r) ? Describe(r.Value) : "nothing")} where the leader served {Describe(byPosition[(partition, first)].Value)}";
                    violations.Add(
                        ViolationKind.ReplicaDiverged,
                        $"node {node}, partition {partition}: {missing} record(s) missing and {different} different below the high watermark {end}, {beyond} beyond it{detail}");
                }
            }
        }
    }

    private static void CheckCommits(ChaosEvidence evidence, ViolationList violations)
    {
        var attemptsByPartition = evidence.Commits.GroupBy(c => c.Partition).ToDictionary(g => g.Key, g => g.ToList());
        var partitions = new SortedSet<int>(attemptsByPartition.Keys);
        partitions.UnionWith(evidence.CommittedAfterRun.Keys);
        foreach (int partition in partitions)
        {
            List<CommitAttempt> attempts = attemptsByPartition.GetValueOrDefault(partition) ?? [];
            int lastSuccess = attempts.FindLastIndex(a => a.Succeeded);
            // What may be stored: the last success, or any failed attempt after it (it may have been written).
            var allowed = new HashSet<long>();
            for (int i = Math.Max(lastSuccess, 0); i < attempts.Count; i++)
            {
                allowed.Add(attempts[i].Offset);
            }

            bool noneAllowed = lastSuccess < 0;
            bool hasCommitted = evidence.CommittedAfterRun.TryGetValue(partition, out long committed);
            string expected = lastSuccess < 0
                ? attempts.Count == 0 ? "no committed offset" : $"no committed offset or one of the failed commits {string.Join(", ", allowed)}"
                : allowed.Count == 1 ? $"{attempts[lastSuccess].Offset}" : $"{attempts[lastSuccess].Offset} (last success) or a later failed commit among {string.Join(", ", allowed)}";
            if (!hasCommitted)
            {
                if (!noneAllowed)
                {
                    violations.Add(ViolationKind.CommittedOffsetWrong, $"partition {partition}: OffsetFetch returns no committed offset, expected {expected}");
                }

                continue;
            }

            if (!allowed.Contains(committed))
            {
                violations.Add(ViolationKind.CommittedOffsetWrong, $"partition {partition}: OffsetFetch returns {committed}, expected {expected}");
            }

            long highWatermark = evidence.HighWatermarks.GetValueOrDefault(partition);
            if (committed > highWatermark)
            {
                violations.Add(ViolationKind.CommittedBeyondHighWatermark, $"partition {partition}: committed offset {committed} is beyond the high watermark {highWatermark}");
            }
        }
    }

    private static string Describe(byte[] value) =>
        RecordValue.TryDecode(value, out string producer, out long sequence) ? $"{producer}#{sequence}" : Printable(value);

    private static string Printable(byte[] value)
    {
        int shown = Math.Min(value.Length, 40);
        var text = new char[shown];
        for (int i = 0; i < shown; i++)
        {
            text[i] = value[i] is >= 32 and < 127 ? (char)value[i] : '.';
        }

        return $"'{new string(text)}{(value.Length > shown ? "…" : "")}' ({value.Length} bytes)";
    }

    /// <summary>Counts every violation, keeping the messages of the first <see cref="ListedPerKind"/> of each kind.</summary>
    private sealed class ViolationList
    {
        private readonly Dictionary<ViolationKind, int> _counts = [];
        private readonly List<Violation> _items = [];

        public IReadOnlyList<Violation> Items => _items;

        public IReadOnlyDictionary<ViolationKind, int> Counts => _counts;

        public void Add(ViolationKind kind, string message)
        {
            int count = _counts.GetValueOrDefault(kind) + 1;
            _counts[kind] = count;
            if (count <= ListedPerKind)
            {
                _items.Add(new Violation(kind, message));
            }
        }
    }
}
