using Chronik.Cluster.Chaos.Checking;

namespace Chronik.Cluster.Chaos.Unit;

/// <summary>
/// Randomized schedules: seeded random runs that keep every guarantee (records lost in flight,
/// unacknowledged records stored, plain-producer retries stored twice, failed commits) always pass;
/// the same runs with one injected fault — a lost acknowledged record, two records of an idempotent
/// producer swapped, two acknowledged records at each other's offsets, an idempotent duplicate, a
/// phantom, a corrupted value, a hole in the offsets, a wrong committed offset — are always caught as
/// that fault's kind. A failing seed is printed in the message.
/// </summary>
public sealed class RandomizedCheckerTests
{
    private const string Plain = "plain";
    private static readonly string[] ProducerIds = ["idem1", "idem2", Plain];

    private enum Mutation
    {
        LoseAcknowledged,
        SwapTwoRecords,
        InvertAcknowledgedOrder,
        DuplicateIdempotent,
        Phantom,
        Corrupt,
        Hole,
        WrongCommit,
    }

    [Fact]
    public void Faithful_random_runs_pass()
    {
        for (int seed = 0; seed < 200; seed++)
        {
            SyntheticRun run = FaithfulRun(new Random(seed));
            ChaosVerdict verdict = run.Check();
            Assert.True(verdict.Passed, $"seed {seed}: {verdict.Summary()}\n{string.Join("\n", verdict.Violations)}");
        }
    }

    [Fact]
    public void Every_injected_fault_is_caught_as_its_kind()
    {
        var caught = new Dictionary<Mutation, int>();
        for (int seed = 0; seed < 400; seed++)
        {
            var random = new Random(seed);
            SyntheticRun run = FaithfulRun(random);
            var mutation = (Mutation)(seed % Enum.GetValues<Mutation>().Length);
            if (!TryApply(mutation, run, random))
            {
                continue;
            }

            ChaosVerdict verdict = run.Check();
            Assert.True(verdict.CountOf(KindOf(mutation)) > 0, $"seed {seed}: {mutation} not reported as {KindOf(mutation)}; verdict: {verdict.Summary()}");
            caught[mutation] = caught.GetValueOrDefault(mutation) + 1;
        }

        foreach (Mutation mutation in Enum.GetValues<Mutation>())
        {
            Assert.True(caught.GetValueOrDefault(mutation) >= 20, $"{mutation} was applied only {caught.GetValueOrDefault(mutation)} times");
        }
    }

    private static ViolationKind KindOf(Mutation mutation) => mutation switch
    {
        Mutation.LoseAcknowledged => ViolationKind.AcknowledgedLost,
        Mutation.SwapTwoRecords => ViolationKind.Reordered,
        Mutation.InvertAcknowledgedOrder => ViolationKind.AcknowledgedOutOfOrder,
        Mutation.DuplicateIdempotent => ViolationKind.Duplicate,
        Mutation.Phantom => ViolationKind.NeverSent,
        Mutation.Corrupt => ViolationKind.Unreadable,
        Mutation.Hole => ViolationKind.OffsetGap,
        _ => ViolationKind.CommittedOffsetWrong,
    };

    private static SyntheticRun FaithfulRun(Random random)
    {
        var run = new SyntheticRun(partitions: random.Next(1, 5));
        foreach (string id in ProducerIds)
        {
            run.Producer(id, idempotent: id != Plain);
        }

        int steps = random.Next(50, 300);
        for (int step = 0; step < steps; step++)
        {
            string producer = ProducerIds[random.Next(ProducerIds.Length)];
            long sequence = run.Send(producer);
            if (random.NextDouble() < 0.15)
            {
                continue; // lost in flight: never stored, never acknowledged
            }

            long offset = run.Store(producer, sequence);
            if (producer == Plain && random.NextDouble() < 0.1)
            {
                offset = run.Store(producer, sequence); // a retry stored the batch again
            }

            if (random.NextDouble() < 0.85)
            {
                run.Acknowledge(producer, sequence, random.NextDouble() < 0.05 ? -1 : offset);
            }

            if (random.NextDouble() < 0.1)
            {
                int partition = random.Next(run.Partitions);
                long position = run.ConsumeAndCommit(partition, succeeded: random.NextDouble() < 0.8);
                run.Committed[partition] = position;
            }
        }

        // OffsetFetch returns the last successful commit unless a later failed one was stored after all.
        foreach (IGrouping<int, CommitAttempt> partition in run.Commits.GroupBy(c => c.Partition))
        {
            List<CommitAttempt> attempts = [.. partition];
            int lastSuccess = attempts.FindLastIndex(a => a.Succeeded);
            if (lastSuccess >= 0 && random.NextDouble() < 0.7)
            {
                run.Committed[partition.Key] = attempts[lastSuccess].Offset;
            }
            else if (lastSuccess < 0 && random.NextDouble() < 0.5)
            {
                run.Committed.Remove(partition.Key);
            }
        }

        return run;
    }

    private static bool TryApply(Mutation mutation, SyntheticRun run, Random random)
    {
        List<(int Partition, int Index)> positions = [.. Enumerable.Range(0, run.Partitions).SelectMany(p => run.LogOf(p).Select((_, i) => (p, i)))];
        if (positions.Count < 2)
        {
            return false;
        }

        switch (mutation)
        {
            case Mutation.LoseAcknowledged:
                {
                    // The record is gone and later records slid into its offsets (a truncation then rewrites).
                    ChaosEvidence evidence = run.Evidence();
                    var acknowledged = evidence.Producers.SelectMany(p => p.Acknowledged.Where(a => a.Offset >= 0).Select(a => (p.ProducerId, a))).ToList();
                    if (acknowledged.Count == 0)
                    {
                        return false;
                    }

                    var (producer, ack) = acknowledged[random.Next(acknowledged.Count)];
                    List<LogRecord> log = run.LogOf(ack.Partition);
                    byte[] value = RecordValue.Encode(producer, ack.Sequence, SyntheticRun.ValueSize);
                    log.RemoveAll(r => r.Value.AsSpan().SequenceEqual(value));
                    for (int i = 0; i < log.Count; i++)
                    {
                        log[i] = log[i] with { Offset = i };
                    }

                    run.Consumed.Clear();
                    return true;
                }

            case Mutation.SwapTwoRecords:
                {
                    // Two records of the same idempotent producer in one partition, stored in the opposite order.
                    foreach (int partition in Enumerable.Range(0, run.Partitions).OrderBy(_ => random.Next()))
                    {
                        List<LogRecord> log = run.LogOf(partition);
                        foreach (string producer in ProducerIds.Where(p => p != Plain))
                        {
                            var mine = log.Select((r, i) => (r, i)).Where(x => RecordValue.TryDecode(x.r.Value, out string p, out _) && p == producer).ToList();
                            var distinct = mine.GroupBy(x => Convert.ToBase64String(x.r.Value)).Select(g => g.First()).ToList();
                            if (distinct.Count >= 2 && mine.Count == distinct.Count)
                            {
                                int a = distinct[0].i;
                                int b = distinct[^1].i;
                                (byte[] first, byte[] last) = (log[a].Value, log[b].Value);
                                log[a] = log[a] with { Value = last };
                                log[b] = log[b] with { Value = first };
                                run.Consumed.Clear();
                                return true;
                            }
                        }
                    }

                    return false;
                }

            case Mutation.InvertAcknowledgedOrder:
                {
                    // Two acknowledged records of one partition, the later one sent after the earlier one's
                    // acknowledgement, stored (and acknowledged) at each other's offsets.
                    ChaosEvidence evidence = run.Evidence();
                    var acks = evidence.Producers
                        .SelectMany(p => p.Acknowledged.Where(a => a.Offset >= 0).Select(a => (Producer: p.ProducerId, Ack: a)))
                        .GroupBy(x => x.Ack.Partition)
                        .Select(g => g.OrderBy(x => x.Ack.Offset).ToList())
                        .Where(g => g.Count >= 2 && g[0].Ack.AcknowledgedAt < g[^1].Ack.SentAt)
                        .ToList();
                    if (acks.Count == 0)
                    {
                        return false;
                    }

                    List<(string Producer, Acknowledgement Ack)> chosen = acks[random.Next(acks.Count)];
                    var (early, late) = (chosen[0], chosen[^1]);
                    run.Overwrite(early.Ack.Partition, early.Ack.Offset, RecordValue.Encode(late.Producer, late.Ack.Sequence, SyntheticRun.ValueSize));
                    run.Overwrite(late.Ack.Partition, late.Ack.Offset, RecordValue.Encode(early.Producer, early.Ack.Sequence, SyntheticRun.ValueSize));
                    run.Reacknowledge(early.Producer, early.Ack.Sequence, late.Ack.Offset);
                    run.Reacknowledge(late.Producer, late.Ack.Sequence, early.Ack.Offset);
                    run.Consumed.Clear();
                    return true;
                }

            case Mutation.DuplicateIdempotent:
                {
                    var idempotent = positions.Where(p => RecordValue.TryDecode(run.LogOf(p.Partition)[p.Index].Value, out string id, out _) && id != Plain).ToList();
                    if (idempotent.Count == 0)
                    {
                        return false;
                    }

                    var (partition, index) = idempotent[random.Next(idempotent.Count)];
                    List<LogRecord> log = run.LogOf(partition);
                    log.Add(new LogRecord(partition, log.Count, log[index].Value));
                    return true;
                }

            case Mutation.Phantom:
                {
                    string producer = ProducerIds[random.Next(ProducerIds.Length)];
                    long sequence = run.Evidence().Producers.Single(p => p.ProducerId == producer).Sent + random.Next(0, 10);
                    run.Store(producer, sequence);
                    return true;
                }

            case Mutation.Corrupt:
                {
                    var (partition, index) = positions[random.Next(positions.Count)];
                    LogRecord record = run.LogOf(partition)[index];
                    byte[] value = (byte[])record.Value.Clone();
                    value[random.Next(value.Length)] ^= (byte)(1 << random.Next(8));
                    run.Overwrite(partition, record.Offset, value);
                    run.Consumed.Clear();
                    return true;
                }

            case Mutation.Hole:
                {
                    var inner = positions.Where(p => p.Index < run.LogOf(p.Partition).Count - 1).ToList();
                    if (inner.Count == 0)
                    {
                        return false;
                    }

                    var (partition, index) = inner[random.Next(inner.Count)];
                    run.LogOf(partition).RemoveAt(index);
                    return true;
                }

            default:
                {
                    var committed = run.Committed.Where(c => c.Value > 0).ToList();
                    if (committed.Count == 0)
                    {
                        return false;
                    }

                    var (partition, offset) = committed[random.Next(committed.Count)];
                    var allowed = new HashSet<long>(run.Commits.Where(c => c.Partition == partition).Select(c => c.Offset));
                    long wrong = Enumerable.Range(0, (int)offset).Select(o => (long)o).Where(o => !allowed.Contains(o)).DefaultIfEmpty(-1).Last();
                    if (wrong < 0)
                    {
                        return false;
                    }

                    run.Committed[partition] = wrong;
                    return true;
                }
        }
    }
}
