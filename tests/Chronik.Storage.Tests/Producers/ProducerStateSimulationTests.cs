using Chronik.Protocol.Records;
using Chronik.Protocol.Wire;
using Chronik.Storage.Producers;
using static Chronik.Storage.Tests.Producers.ProducerBatches;

namespace Chronik.Storage.Tests.Producers;

/// <summary>
/// Randomized schedules of idempotent producers against a real log: new batches, retries of recent ones (in and
/// out of order), epoch bumps, truncations to batch boundaries, clean restarts and crashes (with snapshots lost).
/// Every append's outcome is compared with an oracle computed from what the log holds (Kafka's rules), and after
/// every step the log must hold no batch twice and, per producer and epoch, contiguous sequences (from 0, unless
/// the producer had no state left when its epoch began).
/// The seed is in every failure message; a failing seed becomes a case of its own.
/// </summary>
public class ProducerStateSimulationTests
{
    private const int Producers = 3;
    private const int Steps = 350;

    public static TheoryData<int> Seeds() => [.. Enumerable.Range(1, 12)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Random_schedules_never_append_a_batch_twice_and_keep_sequences_contiguous(int seed)
    {
        var random = new Random(seed);
        using var fx = new StorageFixture();
        var tp = StorageFixture.Tp();
        var config = LogConfig.Default with { SegmentBytes = 1500, IndexIntervalBytes = 200, FileDeleteDelayMs = 0 };
        var log = fx.Manager.GetOrCreateLog(tp, config);
        var stored = new List<Stored>();
        var clients = Enumerable.Range(0, Producers).Select(p => new Client(100 + p)).ToArray();
        for (int step = 0; step < Steps; step++)
        {
            string where = $"seed {seed}, step {step}";
            var client = clients[random.Next(Producers)];
            int action = random.Next(100);
            if (action < 45)
            {
                var batch = client.Next(random.Next(1, 5));
                Recover(client, Send(log, stored, batch, where), random);
            }
            else if (action < 80 && client.Sent.Count > 0)
            {
                var batch = client.Sent[Math.Max(0, client.Sent.Count - 1 - random.Next(Math.Min(8, client.Sent.Count)))];
                Recover(client, Send(log, stored, batch, where), random);
            }
            else if (action < 85)
            {
                client.BumpEpoch();
            }
            else if (action < 91 && stored.Count > 0)
            {
                // A follower truncating to a batch boundary (replication); the clients resend what went.
                int keep = random.Next(Math.Max(0, stored.Count - 6), stored.Count);
                long offset = stored[keep].FirstOffset;
                log.TruncateTo(offset);
                stored.RemoveRange(keep, stored.Count - keep);
            }
            else if (action < 95)
            {
                log = fx.Reopen().GetOrCreateLog(tp, config);
            }
            else if (action < 100)
            {
                bool loseSnapshots = random.Next(2) == 0;
                log = fx.ReopenAfterCrash(() =>
                {
                    if (loseSnapshots)
                    {
                        Array.ForEach(Directory.GetFiles(fx.PartitionDirectory(tp), "*.snapshot"), File.Delete);
                    }
                }).GetOrCreateLog(tp, config);
            }

            CheckLog(log, stored, where);
        }

        Assert.True(stored.Count > 20, $"seed {seed}: only {stored.Count} batches were appended");
    }

    /// <summary>Like librdkafka, a producer that cannot continue its sequence sometimes bumps its epoch (otherwise it resends).</summary>
    private static void Recover(Client client, ErrorCode error, Random random)
    {
        if (error == ErrorCode.OutOfOrderSequenceNumber && random.Next(3) == 0)
        {
            client.BumpEpoch();
        }
    }

    private static ErrorCode Send(PartitionLog log, List<Stored> stored, Sent batch, string where)
    {
        var expected = Oracle(stored, batch);
        AppendResult result = default;
        var error = ErrorCode.None;
        try
        {
            result = log.Append(batch.Bytes, 0);
        }
        catch (StorageException e)
        {
            error = e.ErrorCode;
        }

        switch (expected.Outcome)
        {
            case Outcome.Appended:
                Assert.True(error == ErrorCode.None && !result.IsDuplicate, $"{where}: {batch} should be appended, got {error} duplicate={result.IsDuplicate}");
                Assert.Equal(log.LogEndOffset - batch.Count, result.FirstOffset);
                stored.Add(new Stored(batch, result.FirstOffset));
                break;
            case Outcome.Duplicate:
                Assert.True(error == ErrorCode.None && result.IsDuplicate, $"{where}: {batch} should be a duplicate, got {error} duplicate={result.IsDuplicate}");
                Assert.Equal(expected.FirstOffset, result.FirstOffset);
                Assert.Equal(expected.FirstOffset + batch.Count - 1, result.LastOffset);
                break;
            default:
                Assert.True(error == expected.Error, $"{where}: {batch} should fail with {expected.Error}, got {error} (duplicate={result.IsDuplicate}, offset {result.FirstOffset})");
                break;
        }

        return error;
    }

    /// <summary>Kafka's decision for a client batch, from the batches the log holds (state = the producer's last epoch and its last five batches).</summary>
    private static (Outcome Outcome, ErrorCode Error, long FirstOffset) Oracle(List<Stored> stored, Sent batch)
    {
        var mine = stored.Where(s => s.Batch.ProducerId == batch.ProducerId).ToList();
        if (mine.Count == 0)
        {
            return (Outcome.Appended, ErrorCode.None, -1);
        }

        short epoch = mine[^1].Batch.Epoch;
        var retained = mine.Where(s => s.Batch.Epoch == epoch).TakeLast(ProducerState.BatchesToRetain).ToList();
        if (batch.Epoch == epoch && retained.FirstOrDefault(s => s.Batch.Sequence == batch.Sequence && s.Batch.Count == batch.Count) is { } original)
        {
            return (Outcome.Duplicate, ErrorCode.None, original.FirstOffset);
        }

        if (batch.Epoch < epoch)
        {
            return (Outcome.Rejected, ErrorCode.InvalidProducerEpoch, -1);
        }

        int expectedSequence = batch.Epoch > epoch ? 0 : retained[^1].Batch.Sequence + retained[^1].Batch.Count;
        return batch.Sequence == expectedSequence ? (Outcome.Appended, ErrorCode.None, -1) : (Outcome.Rejected, ErrorCode.OutOfOrderSequenceNumber, -1);
    }

    private static void CheckLog(PartitionLog log, List<Stored> stored, string where)
    {
        var batches = PartitionLogTests.ReadAll(log);
        Assert.True(batches.Count == stored.Count, $"{where}: the log holds {batches.Count} batches, the appends say {stored.Count}");
        var seen = new HashSet<(long, short, int)>();
        var producers = new HashSet<long>();
        var next = new Dictionary<(long, short), int>();
        for (int i = 0; i < batches.Count; i++)
        {
            var bytes = batches[i].Bytes;
            long producerId = RecordBatchHeader.ProducerId(bytes);
            short epoch = RecordBatchHeader.ProducerEpoch(bytes);
            int sequence = RecordBatchHeader.BaseSequence(bytes);
            Assert.True(seen.Add((producerId, epoch, sequence)), $"{where}: producer {producerId} epoch {epoch} sequence {sequence} is in the log twice");
            // A new epoch starts at 0, except for a producer the partition had no state of (KIP-360: any sequence).
            if (next.TryGetValue((producerId, epoch), out int expected) || producers.Contains(producerId))
            {
                Assert.True(sequence == expected, $"{where}: producer {producerId} epoch {epoch} continues at sequence {sequence}, expected {expected}");
            }

            producers.Add(producerId);
            next[(producerId, epoch)] = sequence + RecordBatchHeader.LastOffsetDelta(bytes) + 1;
            Assert.Equal(stored[i].FirstOffset, batches[i].BaseOffset);
        }
    }

    private enum Outcome
    {
        Appended,
        Duplicate,
        Rejected,
    }

    private sealed record Sent(long ProducerId, short Epoch, int Sequence, int Count, byte[] Bytes)
    {
        public override string ToString() => $"batch(pid {ProducerId}, epoch {Epoch}, seq {Sequence}+{Count})";
    }

    private sealed record Stored(Sent Batch, long FirstOffset);

    /// <summary>A producer as a client sees itself: its epoch, next sequence and the batches it sent in this epoch.</summary>
    private sealed class Client(long producerId)
    {
        private short _epoch;
        private int _nextSequence;

        public List<Sent> Sent { get; } = [];

        public Sent Next(int count)
        {
            var batch = new Sent(producerId, _epoch, _nextSequence, count, Idempotent(producerId, _epoch, _nextSequence, count));
            _nextSequence += count;
            Sent.Add(batch);
            return batch;
        }

        /// <summary>KIP-360: the producer gives up on its in-flight batches and starts a new epoch at sequence 0.</summary>
        public void BumpEpoch()
        {
            _epoch++;
            _nextSequence = 0;
            Sent.Clear();
        }
    }
}
