using Chronik.Protocol.Records;
using Chronik.Protocol.Wire;
using Chronik.Storage.Recovery;
using Chronik.Storage.Segments;

namespace Chronik.Storage.Tests;

/// <summary>Damaged files after a crash: torn tails, flipped bytes, missing or garbage indexes, leftovers.</summary>
public class RecoveryTests
{
    private static readonly LogConfig Small = LogConfig.Default with { SegmentBytes = 2048, IndexIntervalBytes = 200 };

    [Fact]
    public async Task A_tail_truncated_mid_batch_is_cut_back_to_the_last_whole_batch()
    {
        using var fx = new StorageFixture();
        var tp = StorageFixture.Tp();
        var (batches, _) = await Fill(fx, tp, 30);
        string last = LastLogFile(fx, tp);

        var log = fx.ReopenAfterCrash(() =>
        {
            using var f = new FileStream(last, FileMode.Open);
            f.SetLength(f.Length - 7);
        }).GetOrCreateLog(tp, Small);

        Assert.Equal(batches[^1].BaseOffset, log.LogEndOffset);
        Assert.True(fx.Manager.Recovery.BytesTruncated > 0);
        AssertPrefix(log, batches, batches.Count - 1);
        AssertAppendsWork(log);
    }

    [Fact]
    public async Task A_flipped_byte_in_the_last_batch_removes_that_batch()
    {
        using var fx = new StorageFixture();
        var tp = StorageFixture.Tp();
        var (batches, _) = await Fill(fx, tp, 30);
        string last = LastLogFile(fx, tp);

        var log = fx.ReopenAfterCrash(() =>
        {
            byte[] bytes = File.ReadAllBytes(last);
            bytes[^3] ^= 0x40;
            File.WriteAllBytes(last, bytes);
        }).GetOrCreateLog(tp, Small);

        Assert.Equal(batches[^1].BaseOffset, log.LogEndOffset);
        AssertPrefix(log, batches, batches.Count - 1);
        AssertAppendsWork(log);
    }

    [Fact]
    public async Task A_zero_filled_tail_is_truncated()
    {
        using var fx = new StorageFixture();
        var tp = StorageFixture.Tp();
        var (batches, _) = await Fill(fx, tp, 10);
        string last = LastLogFile(fx, tp);

        var log = fx.ReopenAfterCrash(() =>
        {
            using var f = new FileStream(last, FileMode.Append);
            f.Write(new byte[4096]);
        }).GetOrCreateLog(tp, Small);

        Assert.Equal(batches[^1].LastOffset + 1, log.LogEndOffset);
        Assert.Equal(4096, fx.Manager.Recovery.BytesTruncated);
        AssertPrefix(log, batches, batches.Count);
    }

    [Fact]
    public async Task Corruption_in_an_earlier_segment_drops_everything_after_it_when_it_is_scanned()
    {
        using var fx = new StorageFixture();
        var tp = StorageFixture.Tp();
        var (batches, _) = await Fill(fx, tp, 40);
        string[] logs = Directory.GetFiles(fx.PartitionDirectory(tp), "*.log").Order().ToArray();
        Assert.True(logs.Length >= 4);
        string victim = logs[1];
        SegmentFiles.TryParse(Path.GetFileName(victim), out long victimBase, out _);

        var log = fx.ReopenAfterCrash(() =>
        {
            byte[] bytes = File.ReadAllBytes(victim);
            bytes[RecordBatchHeader.Size + 3] ^= 0x01;
            File.WriteAllBytes(victim, bytes);
        }).GetOrCreateLog(tp, Small);

        Assert.Equal(victimBase, log.LogEndOffset);
        Assert.Equal(2, Directory.GetFiles(fx.PartitionDirectory(tp), "*.log").Length);
        AssertPrefix(log, batches, batches.Count(b => b.LastOffset < victimBase));
        AssertAppendsWork(log);
    }

    [Fact]
    public async Task Only_segments_from_the_recovery_point_on_are_scanned()
    {
        using var fx = new StorageFixture();
        var tp = StorageFixture.Tp();
        var (batches, log) = await Fill(fx, tp, 40);
        int segments = log.SegmentCount;
        Assert.True(segments >= 5);
        fx.Manager.WriteCheckpoints();

        var reopened = fx.ReopenAfterCrash(keepRecoveryPoints: true).GetOrCreateLog(tp, Small);

        Assert.False(fx.Manager.Recovery.CleanShutdown);
        Assert.Equal(1, fx.Manager.Recovery.SegmentsRecovered);
        AssertPrefix(reopened, batches, batches.Count);

        fx.ReopenAfterCrash(keepRecoveryPoints: false);
        Assert.Equal(segments, fx.Manager.Recovery.SegmentsRecovered);
    }

    [Fact]
    public async Task A_deleted_index_is_rebuilt_at_start_up()
    {
        using var fx = new StorageFixture();
        var tp = StorageFixture.Tp();
        var (batches, _) = await Fill(fx, tp, 30);
        string index = Directory.GetFiles(fx.PartitionDirectory(tp), "*.index").Order().First();
        fx.Manager.WriteCheckpoints();
        byte[] before = File.ReadAllBytes(index);

        var log = fx.ReopenAfterCrash(() => File.Delete(index), keepRecoveryPoints: true).GetOrCreateLog(tp, Small);

        Assert.Equal(1, fx.Manager.Recovery.IndexesRebuilt);
        Assert.Equal(before, File.ReadAllBytes(index));
        AssertPrefix(log, batches, batches.Count);
    }

    [Fact]
    public async Task A_garbage_index_fails_the_sanity_check_and_is_rebuilt_when_used()
    {
        using var fx = new StorageFixture();
        var tp = StorageFixture.Tp();
        var (batches, _) = await Fill(fx, tp, 30);
        string[] indexes = Directory.GetFiles(fx.PartitionDirectory(tp), "*.index").Order().ToArray();
        byte[] before = File.ReadAllBytes(indexes[0]);

        var log = fx.Reopen().GetOrCreateLog(tp, Small);
        fx.Manager.Dispose();
        var random = new Random(3);
        foreach (string index in indexes)
        {
            byte[] garbage = new byte[before.Length];
            random.NextBytes(garbage);
            File.WriteAllBytes(index, garbage);
        }

        log = fx.Reopen().GetOrCreateLog(tp, Small);
        AssertPrefix(log, batches, batches.Count);
        Assert.Equal(batches[7].BaseOffset, log.Read(batches[7].BaseOffset, 1).FirstOffset);
        fx.Manager.Dispose();
        Assert.Equal(before, File.ReadAllBytes(indexes[0]));
        fx.Reopen();
    }

    [Fact]
    public async Task Leftover_files_of_interrupted_work_are_removed()
    {
        using var fx = new StorageFixture();
        var tp = StorageFixture.Tp();
        var (batches, _) = await Fill(fx, tp, 10);
        string dir = fx.PartitionDirectory(tp);

        var log = fx.ReopenAfterCrash(() =>
        {
            File.WriteAllText(Path.Combine(dir, "00000000000000000000.log.cleaned"), "x");
            File.WriteAllText(Path.Combine(dir, "00000000000000000005.log.deleted"), "x");
            File.WriteAllText(Path.Combine(dir, "00000000000000099999.index"), "x");
            File.WriteAllText(Path.Combine(dir, "leader-epoch-checkpoint.tmp"), "x");
        }).GetOrCreateLog(tp, Small);

        Assert.Empty(Directory.GetFiles(dir, "*.cleaned"));
        Assert.Empty(Directory.GetFiles(dir, "*.deleted"));
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
        Assert.False(File.Exists(Path.Combine(dir, "00000000000000099999.index")));
        AssertPrefix(log, batches, batches.Count);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public async Task Randomized_damage_always_recovers_to_exactly_the_batches_before_it(int seed)
    {
        var random = new Random(seed);
        using var fx = new StorageFixture();
        var tp = StorageFixture.Tp();
        var config = LogConfig.Default with { SegmentBytes = 1 << 20 };
        var log = fx.Manager.GetOrCreateLog(tp, config);
        for (int i = 0; i < 25; i++)
        {
            log.Append(TestBatches.Values(random.Next(1, 6), random.Next(0, 300), seed: i), 0);
        }

        await log.FlushAsync();
        var batches = PartitionLogTests.ReadAll(log);
        var ends = new List<long>();
        long position = 0;
        foreach (var b in batches)
        {
            position += b.Bytes.Length;
            ends.Add(position);
        }

        for (int trial = 0; trial < 5; trial++)
        {
            string file = LastLogFile(fx, tp);
            long length = new FileInfo(file).Length;
            long damageAt = 0;
            var reopened = fx.ReopenAfterCrash(() =>
            {
                byte[] bytes = File.ReadAllBytes(file);
                switch (random.Next(3))
                {
                    case 0:
                        damageAt = random.NextInt64(0, length);
                        File.WriteAllBytes(file, bytes[..(int)damageAt]);
                        break;
                    case 1:
                        {
                            // Bytes the CRC covers, or the magic byte.
                            int batch = random.Next(batches.Count);
                            long start = batch == 0 ? 0 : ends[batch - 1];
                            long at = start + RecordBatchHeader.MagicOffset + random.NextInt64(0, ends[batch] - start - RecordBatchHeader.MagicOffset);
                            bytes[at] ^= (byte)(1 << random.Next(8));
                            File.WriteAllBytes(file, bytes);
                            damageAt = start;
                            break;
                        }

                    default:
                        damageAt = length;
                        byte[] garbage = new byte[random.Next(1, 200)];
                        random.NextBytes(garbage);
                        File.WriteAllBytes(file, [.. bytes, .. garbage]);
                        break;
                }
            }).GetOrCreateLog(tp, config);

            int intact = ends.Count(e => e <= damageAt);
            Assert.Equal(intact == 0 ? 0 : batches[intact - 1].LastOffset + 1, reopened.LogEndOffset);
            AssertPrefix(reopened, batches, intact);

            // Restore the original for the next trial.
            batches = batches.Take(intact).ToList();
            ends = ends.Take(intact).ToList();
            if (batches.Count == 0)
            {
                break;
            }
        }
    }

    [Fact]
    public void Planner_decisions()
    {
        FoundFile F(string name, long size = 100) => new(name, size);
        var files = new[]
        {
            F("00000000000000000000.log"), F("00000000000000000000.index"), F("00000000000000000000.timeindex"),
            F("00000000000000000100.log"), F("00000000000000000100.timeindex"),
            F("00000000000000000200.log"), F("00000000000000000200.index"), F("00000000000000000200.timeindex"),
            F("00000000000000000300.log"), F("00000000000000000300.index"), F("00000000000000000300.timeindex"),
            F("00000000000000000400.index"), F("00000000000000000300.log.cleaned"), F("leader-epoch-checkpoint"),
        };

        var clean = LogRecoveryPlanner.Plan(files, cleanShutdown: true, recoveryPointCheckpoint: 10, logStartOffsetCheckpoint: 50);
        Assert.Empty(clean.SegmentsToRecover);
        Assert.Equal([100L], clean.IndexesToRebuild);
        Assert.Equal(["00000000000000000300.log.cleaned", "00000000000000000400.index"], clean.FilesToDelete.Order());
        Assert.Equal(50, clean.LogStartOffset);

        var crashed = LogRecoveryPlanner.Plan(files, cleanShutdown: false, recoveryPointCheckpoint: 250, logStartOffsetCheckpoint: null);
        Assert.Equal([200L, 300L], crashed.SegmentsToRecover);
        Assert.Equal([100L], crashed.IndexesToRebuild);
        Assert.Equal(0, crashed.LogStartOffset);

        var noCheckpoint = LogRecoveryPlanner.Plan(files, cleanShutdown: false, recoveryPointCheckpoint: null, logStartOffsetCheckpoint: null);
        Assert.Equal([0L, 100L, 200L, 300L], noCheckpoint.SegmentsToRecover);
        Assert.Empty(noCheckpoint.IndexesToRebuild);

        var atStart = LogRecoveryPlanner.Plan(files, cleanShutdown: false, recoveryPointCheckpoint: 0, logStartOffsetCheckpoint: null);
        Assert.Equal([0L, 100L, 200L, 300L], atStart.SegmentsToRecover);

        var empty = LogRecoveryPlanner.Plan([F("leader-epoch-checkpoint")], cleanShutdown: false, recoveryPointCheckpoint: null, logStartOffsetCheckpoint: 42);
        Assert.Equal(42, empty.CreateSegmentAt);
        Assert.Equal(42, empty.LogStartOffset);
    }

    [Fact]
    public void Planner_randomized_recovers_every_segment_not_wholly_below_the_recovery_point()
    {
        var random = new Random(11);
        for (int round = 0; round < 500; round++)
        {
            var bases = Enumerable.Range(0, random.Next(1, 12)).Select(i => (long)i * 100 + random.Next(0, 50)).ToList();
            var files = bases.Select(b => new FoundFile(SegmentFiles.FileName(b, ".log"), 10)).ToList();
            long? point = random.Next(4) == 0 ? null : random.Next(0, 1300);
            var plan = LogRecoveryPlanner.Plan(files, cleanShutdown: false, point, null);
            var recovered = plan.SegmentsToRecover.ToList();
            for (int i = 0; i < bases.Count; i++)
            {
                long next = i + 1 < bases.Count ? bases[i + 1] : long.MaxValue;
                bool wholyBelow = point is { } p && next <= p && bases[i] <= p;
                Assert.True(wholyBelow != recovered.Contains(bases[i]) || (i == 0 && point < bases[0]), $"round {round}: point {point}, bases {string.Join(",", bases)}, recovered {string.Join(",", recovered)}");
            }

            Assert.Contains(bases[^1], recovered);
            Assert.Equal(recovered, recovered.Order());
        }
    }

    private static async Task<(List<ParsedBatch> Batches, PartitionLog Log)> Fill(StorageFixture fx, TopicPartition tp, int count)
    {
        fx.Options = fx.Options with { DefaultConfig = Small };
        var log = fx.Manager.GetOrCreateLog(tp, Small);
        for (int i = 0; i < count; i++)
        {
            log.Append(TestBatches.Values(1 + (i % 4), 60 + (i * 7 % 50), seed: i), leaderEpoch: 1 + (i / 10));
        }

        await log.FlushAsync();
        return (PartitionLogTests.ReadAll(log), log);
    }

    private static string LastLogFile(StorageFixture fx, TopicPartition tp) => Directory.GetFiles(fx.PartitionDirectory(tp), "*.log").Order().Last();

    private static void AssertPrefix(PartitionLog log, List<ParsedBatch> original, int count)
    {
        var now = PartitionLogTests.ReadAll(log);
        Assert.Equal(count, now.Count);
        for (int i = 0; i < count; i++)
        {
            Assert.True(now[i].CrcValid);
            Assert.Equal(original[i].Bytes, now[i].Bytes);
        }
    }

    private static void AssertAppendsWork(PartitionLog log)
    {
        long end = log.LogEndOffset;
        var result = log.Append(TestBatches.Values(2, 10), 9);
        Assert.Equal(end, result.FirstOffset);
        Assert.Equal(ErrorCode.None, log.Read(end, 1000).Error);
        Assert.Equal(9, log.LeaderEpochs.LatestEpoch);
    }
}
