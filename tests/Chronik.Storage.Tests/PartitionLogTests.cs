using Chronik.Protocol.Records;
using Chronik.Protocol.Wire;
using Microsoft.Extensions.Time.Testing;

namespace Chronik.Storage.Tests;

public class PartitionLogTests
{
    private static readonly LogConfig SmallSegments = LogConfig.Default with { SegmentBytes = 4096, IndexIntervalBytes = 256 };

    [Fact]
    public async Task Append_assigns_offsets_and_leader_epoch_and_read_returns_the_batches_unchanged_otherwise()
    {
        using var fx = new StorageFixture();
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp());
        byte[] first = TestBatches.Build([TestRecord.Of("a", "1"), TestRecord.Of("b", "2")], baseOffset: 999, partitionLeaderEpoch: 77);
        byte[] original = (byte[])first.Clone();

        var r1 = log.Append(first, leaderEpoch: 5);
        var r2 = log.Append(TestBatches.Build([TestRecord.Of("c", "3")]), leaderEpoch: 5);
        await log.WaitForDurabilityAsync(r2.LastOffset);

        Assert.Equal(original, first);
        Assert.Equal((0L, 1L), (r1.FirstOffset, r1.LastOffset));
        Assert.Equal((2L, 2L), (r2.FirstOffset, r2.LastOffset));
        Assert.Equal(3, log.LogEndOffset);
        Assert.Equal(-1, r1.LogAppendTime);

        var read = log.Read(0, 1 << 20);
        var batches = BatchParser.Parse(read.ToArray());
        Assert.Equal(2, batches.Count);
        Assert.All(batches, b => Assert.True(b.CrcValid));
        Assert.Equal(0, batches[0].BaseOffset);
        Assert.Equal(5, batches[0].LeaderEpoch);
        Assert.Equal(["a", "b"], batches[0].Records.Select(r => r.KeyString));
        Assert.Equal(2, batches[1].BaseOffset);

        // Only base offset and leader epoch differ from what the producer sent.
        byte[] stored = batches[0].Bytes;
        Assert.Equal(original.AsSpan(16).ToArray(), stored.AsSpan(16).ToArray());
        Assert.Equal(original.AsSpan(8, 4).ToArray(), stored.AsSpan(8, 4).ToArray());
    }

    [Fact]
    public void Several_batches_in_one_append_get_consecutive_offsets()
    {
        using var fx = new StorageFixture();
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp());
        var data = TestBatches.Concat(TestBatches.Values(3, 10), TestBatches.Values(2, 10), TestBatches.Values(4, 10));

        var result = log.Append(data, leaderEpoch: 0);

        Assert.Equal((0L, 8L, 3, 9), (result.FirstOffset, result.LastOffset, result.BatchCount, result.RecordCount));
        var batches = BatchParser.Parse(log.Read(0, 1 << 20).ToArray());
        Assert.Equal([0L, 3L, 5L], batches.Select(b => b.BaseOffset));
        Assert.Equal([2L, 4L, 8L], batches.Select(b => b.LastOffset));
    }

    [Fact]
    public void LogAppendTime_stamps_the_broker_clock_and_a_valid_crc()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000));
        using var fx = new StorageFixture(time);
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp(), LogConfig.Default with { MessageTimestampType = TimestampType.LogAppendTime });

        var result = log.Append(TestBatches.Values(2, 10), leaderEpoch: 0);

        Assert.Equal(1_800_000_000_000, result.LogAppendTime);
        var batch = BatchParser.Parse(log.Read(0, 1 << 20).ToArray()).Single();
        Assert.True(batch.CrcValid);
        Assert.Equal(1_800_000_000_000, batch.MaxTimestamp);
        Assert.True((batch.Attributes & RecordBatchAttributes.LogAppendTime) != 0);
    }

    [Fact]
    public void Read_respects_max_bytes_high_watermark_and_min_one_batch()
    {
        using var fx = new StorageFixture();
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp(), SmallSegments);
        byte[] batch = TestBatches.Values(1, 100);
        for (int i = 0; i < 10; i++)
        {
            log.Append(batch, 0);
        }

        Assert.Equal(3, BatchParser.Parse(log.Read(0, batch.Length * 3 + 10).ToArray()).Count);
        Assert.True(log.Read(0, 10, long.MaxValue, minOneBatch: false).IsEmpty);
        Assert.Single(BatchParser.Parse(log.Read(0, 10, long.MaxValue, minOneBatch: true).ToArray()));
        Assert.Equal([4L, 5L, 6L], BatchParser.Parse(log.Read(4, 1 << 20, maxOffsetExclusive: 7).ToArray()).Select(b => b.BaseOffset));
        Assert.True(log.Read(7, 1 << 20, maxOffsetExclusive: 7).IsEmpty);

        var atEnd = log.Read(10, 1 << 20);
        Assert.Equal(ErrorCode.None, atEnd.Error);
        Assert.True(atEnd.IsEmpty);
        Assert.Equal(ErrorCode.OffsetOutOfRange, log.Read(11, 1 << 20).Error);
        Assert.Equal(ErrorCode.OffsetOutOfRange, log.Read(-1, 1 << 20).Error);
    }

    [Fact]
    public void Read_starting_inside_a_batch_returns_that_whole_batch()
    {
        using var fx = new StorageFixture();
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp());
        log.Append(TestBatches.Values(5, 10), 0);
        log.Append(TestBatches.Values(5, 10), 0);

        var read = log.Read(7, 1 << 20);

        Assert.Equal(5, read.FirstOffset);
        Assert.Equal([5L], BatchParser.Parse(read.ToArray()).Select(b => b.BaseOffset));
    }

    [Fact]
    public async Task Segments_roll_by_size_and_reads_cross_them_and_survive_reopen()
    {
        using var fx = new StorageFixture();
        var tp = StorageFixture.Tp();
        var log = fx.Manager.GetOrCreateLog(tp, SmallSegments);
        var expected = new List<byte[]>();
        for (int i = 0; i < 60; i++)
        {
            byte[] b = TestBatches.Values(1 + (i % 3), 200 + i, seed: i);
            expected.Add(b);
            log.Append(b, 0);
        }

        await log.FlushAsync();
        Assert.True(log.SegmentCount > 5, $"only {log.SegmentCount} segments");
        Assert.All(Directory.GetFiles(fx.PartitionDirectory(tp), "*.log"), f => Assert.True(new FileInfo(f).Length <= SmallSegments.SegmentBytes));

        var all = ReadAll(log);
        Assert.Equal(60, all.Count);

        var reopened = fx.Reopen().GetOrCreateLog(tp, SmallSegments);
        Assert.True(fx.Manager.Recovery.CleanShutdown);
        Assert.Equal(log.LogEndOffset, reopened.LogEndOffset);
        var again = ReadAll(reopened);
        Assert.Equal(all.Select(b => b.Bytes), again.Select(b => b.Bytes));
        for (int i = 0; i < 60; i++)
        {
            Assert.Equal(BatchParser.Parse(expected[i])[0].Records.Select(r => r.Value), again[i].Records.Select(r => r.Value));
        }
    }

    [Fact]
    public void Segments_roll_by_time_using_the_first_batch_timestamp()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(TestBatches.BaseTimestamp));
        using var fx = new StorageFixture(time);
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp(), LogConfig.Default with { SegmentMs = 60_000 });

        log.Append(TestBatches.Values(1, 10, baseTimestamp: TestBatches.BaseTimestamp), 0);
        log.Append(TestBatches.Values(1, 10, baseTimestamp: TestBatches.BaseTimestamp + 30_000), 0);
        Assert.Equal(1, log.SegmentCount);
        log.Append(TestBatches.Values(1, 10, baseTimestamp: TestBatches.BaseTimestamp + 61_000), 0);
        Assert.Equal(2, log.SegmentCount);
    }

    [Fact]
    public void A_full_offset_index_rolls_the_segment()
    {
        using var fx = new StorageFixture();
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp(), LogConfig.Default with { SegmentIndexBytes = 8 * 4, IndexIntervalBytes = 0 });
        for (int i = 0; i < 12; i++)
        {
            log.Append(TestBatches.Values(1, 10), 0);
        }

        Assert.True(log.SegmentCount >= 2);
        Assert.Equal(12, ReadAll(log).Count);
    }

    [Fact]
    public void Fetch_offset_by_timestamp_finds_the_first_record_at_or_after_it()
    {
        using var fx = new StorageFixture();
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp(), LogConfig.Default with { SegmentBytes = 1024, IndexIntervalBytes = 200 });
        long t0 = TestBatches.BaseTimestamp;
        for (int i = 0; i < 40; i++)
        {
            // Each batch: 3 records 10 ms apart; batches 100 ms apart.
            log.Append(TestBatches.Build([TestRecord.Of("k", "v", 0), TestRecord.Of("k", "v", 10), TestRecord.Of("k", "v", 20)], baseTimestamp: t0 + (i * 100)), 3);
        }

        Assert.True(log.SegmentCount > 1);
        Assert.Equal(new TimestampAndOffset(t0, 0, 3), log.FetchOffsetByTimestamp(t0 - 5));
        Assert.Equal(new TimestampAndOffset(t0 + 1210, 37, 3), log.FetchOffsetByTimestamp(t0 + 1205));
        Assert.Equal(new TimestampAndOffset(t0 + 2500, 75, 3), log.FetchOffsetByTimestamp(t0 + 2500));
        Assert.Null(log.FetchOffsetByTimestamp(t0 + 10_000));
        Assert.Equal(new TimestampAndOffset(t0 + 3920, 119, 3), log.FetchOffsetByTimestamp(PartitionLog.MaxTimestamp));
        Assert.Equal(0, log.FetchOffsetByTimestamp(PartitionLog.EarliestTimestamp)!.Value.Offset);
        Assert.Equal(120, log.FetchOffsetByTimestamp(PartitionLog.LatestTimestamp)!.Value.Offset);
    }

    [Fact]
    public void Timestamp_lookups_are_record_exact_in_compressed_batches()
    {
        using var fx = new StorageFixture();
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp());
        long t0 = TestBatches.BaseTimestamp;
        log.Append(TestBatches.Build([TestRecord.Of("a", "1", 0), TestRecord.Of("b", "2", 500), TestRecord.Of("c", "3", 100)], compression: CompressionType.Lz4), 0);
        log.Append(TestBatches.Build([TestRecord.Of("d", "4", 0), TestRecord.Of("e", "5", 30)], baseTimestamp: t0 + 1000, compression: CompressionType.Gzip), 0);

        Assert.Equal(new TimestampAndOffset(t0 + 500, 1, 0), log.FetchOffsetByTimestamp(t0 + 50));
        Assert.Equal(new TimestampAndOffset(t0 + 1030, 4, 0), log.FetchOffsetByTimestamp(t0 + 1010));
        Assert.Equal(new TimestampAndOffset(t0 + 1030, 4, 0), log.FetchOffsetByTimestamp(PartitionLog.MaxTimestamp));
    }

    [Fact]
    public void Max_timestamp_lookup_finds_the_record_not_only_the_batch()
    {
        using var fx = new StorageFixture();
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp());
        log.Append(TestBatches.Build([TestRecord.Of("a", "1", 0), TestRecord.Of("b", "2", 500), TestRecord.Of("c", "3", 100)]), 0);
        log.Append(TestBatches.Build([TestRecord.Of("d", "4", 0)]), 0);

        var max = log.FetchOffsetByTimestamp(PartitionLog.MaxTimestamp);

        Assert.Equal(new TimestampAndOffset(TestBatches.BaseTimestamp + 500, 1, 0), max);
    }

    [Fact]
    public void Follower_append_keeps_leader_offsets_and_learns_epochs()
    {
        using var fx = new StorageFixture();
        var leader = fx.Manager.GetOrCreateLog(StorageFixture.Tp("leader"));
        var follower = fx.Manager.GetOrCreateLog(StorageFixture.Tp("follower"));
        leader.Append(TestBatches.Values(3, 10), leaderEpoch: 1);
        leader.Append(TestBatches.Values(2, 10), leaderEpoch: 2);
        leader.Append(TestBatches.Values(2, 10), leaderEpoch: 2);

        var fetched = leader.Read(0, 1 << 20).ToArray();
        var result = follower.AppendAsFollower(fetched);

        Assert.Equal((0L, 6L), (result.FirstOffset, result.LastOffset));
        Assert.Equal(7, follower.LogEndOffset);
        Assert.Equal(fetched, follower.Read(0, 1 << 20).ToArray());
        Assert.Equal(leader.LeaderEpochs.Entries, follower.LeaderEpochs.Entries);
        Assert.Throws<UnexpectedAppendOffsetException>(() => follower.AppendAsFollower(fetched));

        byte[] corrupt = (byte[])fetched.Clone();
        corrupt[^1] ^= 0xFF;
        var follower2 = fx.Manager.GetOrCreateLog(StorageFixture.Tp("follower2"));
        Assert.Equal(ErrorCode.CorruptMessage, Assert.Throws<StorageException>(() => follower2.AppendAsFollower(corrupt)).ErrorCode);
        Assert.Equal(0, follower2.LogEndOffset);
    }

    [Fact]
    public void Leader_epoch_cache_answers_offset_for_leader_epoch_and_survives_reopen()
    {
        using var fx = new StorageFixture();
        var tp = StorageFixture.Tp();
        var log = fx.Manager.GetOrCreateLog(tp);
        log.Append(TestBatches.Values(3, 10), 1);
        log.Append(TestBatches.Values(3, 10), 3);
        log.Append(TestBatches.Values(3, 10), 3);

        Assert.Equal((1, 3L), log.EndOffsetForEpoch(1));
        Assert.Equal((1, 3L), log.EndOffsetForEpoch(2));
        Assert.Equal((3, 9L), log.EndOffsetForEpoch(3));
        Assert.Equal((0, 0L), log.EndOffsetForEpoch(0));

        var reopened = fx.Reopen().GetOrCreateLog(tp);
        Assert.Equal([new(1, 0), new Epochs.EpochEntry(3, 3)], reopened.LeaderEpochs.Entries);
    }

    [Fact]
    public void Invalid_batches_are_rejected_with_the_kafka_error_and_leave_the_log_unchanged()
    {
        using var fx = new StorageFixture();
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp(), LogConfig.Default with { MaxMessageBytes = 500 });
        byte[] good = TestBatches.Values(1, 10);
        byte[] flipped = (byte[])good.Clone();
        flipped[^2] ^= 1;

        Assert.Equal(ErrorCode.CorruptMessage, Assert.Throws<StorageException>(() => log.Append(flipped, 0)).ErrorCode);
        Assert.Equal(ErrorCode.CorruptMessage, Assert.Throws<StorageException>(() => log.Append(good.AsMemory(0, good.Length - 3), 0)).ErrorCode);
        Assert.Equal(ErrorCode.MessageTooLarge, Assert.Throws<StorageException>(() => log.Append(TestBatches.Values(1, 600), 0)).ErrorCode);
        Assert.Equal(ErrorCode.InvalidRecord, Assert.Throws<StorageException>(() => log.Append(TestBatches.Marker(5, 0, commit: true), 0)).ErrorCode);
        Assert.Equal(0, log.LogEndOffset);

        log.Append(TestBatches.Marker(5, 0, commit: true), 0, AppendOrigin.Coordinator);
        Assert.Equal(1, log.LogEndOffset);
    }

    internal static List<ParsedBatch> ReadAll(PartitionLog log, long from = -1)
    {
        var result = new List<ParsedBatch>();
        long offset = from < 0 ? log.LogStartOffset : from;
        while (offset < log.LogEndOffset)
        {
            var read = log.Read(offset, 1 << 20);
            Assert.Equal(ErrorCode.None, read.Error);
            if (read.IsEmpty)
            {
                break;
            }

            var batches = BatchParser.Parse(read.ToArray());
            result.AddRange(batches);
            offset = batches[^1].LastOffset + 1;
        }

        return result;
    }
}
