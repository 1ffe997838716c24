using Chronik.Protocol.Records;
using Chronik.Storage.Cleaner;
using Microsoft.Extensions.Time.Testing;

namespace Chronik.Storage.Tests;

public class CleanerTests
{
    private static readonly LogConfig Compacted = LogConfig.Default with
    {
        CleanupPolicy = CleanupPolicy.Compact,
        SegmentBytes = 1024,
        IndexIntervalBytes = 100,
        DeleteRetentionMs = 60_000,
        MinCleanableDirtyRatio = 0.1,
        FileDeleteDelayMs = 0,
    };

    [Fact]
    public void Compaction_stops_at_the_first_offset_of_an_open_transaction()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(TestBatches.BaseTimestamp + 1000));
        using var fx = new StorageFixture(time);
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp(), Compacted);
        for (int i = 0; i < 40; i++)
        {
            log.Append(TestBatches.Build([TestRecord.Of($"k{i % 3}", $"before-{i}")]), 0);
        }

        long open = log.LogEndOffset;
        log.Append(TestBatches.Build([TestRecord.Of("k0", "in-transaction")], attributes: RecordBatchAttributes.Transactional, producerId: 9, producerEpoch: 0, baseSequence: 0), 0);
        for (int i = 0; i < 80; i++)
        {
            log.Append(TestBatches.Build([TestRecord.Of($"k{i % 3}", $"after-{i}")]), 0);
        }

        log.UpdateHighWatermark(log.LogEndOffset);
        Assert.Equal(open, log.LastStableOffset);
        var result = fx.Manager.Cleaner.Clean(log);

        Assert.True(result.SegmentsRewritten > 0);
        Assert.True(result.CleanedUpTo <= open, $"cleaned up to {result.CleanedUpTo}, past the open transaction at {open}");
        Assert.Equal(81, PartitionLogTests.ReadAll(log).SelectMany(b => b.Records).Count(r => r.Offset >= open));
    }

    [Fact]
    public void Compaction_keeps_the_newest_record_per_key_with_its_offset_and_leaves_the_active_segment_alone()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(TestBatches.BaseTimestamp + 1000));
        using var fx = new StorageFixture(time);
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp(), Compacted);
        var random = new Random(1);
        for (int i = 0; i < 120; i++)
        {
            var records = Enumerable.Range(0, random.Next(1, 4)).Select(_ => TestRecord.Of($"k{random.Next(12)}", $"v{i}-{random.Next(1000)}")).ToList();
            log.Append(TestBatches.Build(records), 0);
        }

        log.UpdateHighWatermark(log.LogEndOffset);
        var before = PartitionLogTests.ReadAll(log).SelectMany(b => b.Records).ToList();
        long activeBase = log.Segments[^1].BaseOffset;
        long sizeBefore = log.Size;

        var result = fx.Manager.Cleaner.Clean(log);

        Assert.True(result.SegmentsRewritten > 0);
        Assert.True(log.Size < sizeBefore);
        var after = PartitionLogTests.ReadAll(log);
        Assert.All(after, b => Assert.True(b.CrcValid));
        var latest = before.Where(r => r.Offset < activeBase).GroupBy(r => r.KeyString).ToDictionary(g => g.Key!, g => g.Max(r => r.Offset));
        var expected = before.Where(r => r.Offset >= activeBase || latest[r.KeyString!] == r.Offset).ToList();
        var actual = after.SelectMany(b => b.Records).ToList();
        Assert.Equal(expected.Select(r => (r.Offset, r.KeyString, r.ValueString)), actual.Select(r => (r.Offset, r.KeyString, r.ValueString)));

        // Batch boundaries and offsets are preserved: every batch still ends where it ended.
        Assert.Equal(log.LogEndOffset, after[^1].LastOffset + 1);
        Assert.Equal(result.CleanedUpTo, activeBase);

        // Idempotent: a second pass changes nothing.
        var again = fx.Manager.Cleaner.Clean(log);
        Assert.Equal(0, again.SegmentsRewritten);

        // And it survives a restart with rebuilt indexes.
        var reopened = fx.ReopenAfterCrash().GetOrCreateLog(StorageFixture.Tp(), Compacted);
        Assert.Equal(actual.Select(r => (r.Offset, r.ValueString)), PartitionLogTests.ReadAll(reopened).SelectMany(b => b.Records).Select(r => (r.Offset, r.ValueString)));
    }

    [Fact]
    public void Tombstones_are_kept_until_delete_retention_passed_then_dropped()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(TestBatches.BaseTimestamp + 1000));
        using var fx = new StorageFixture(time);
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp(), Compacted);
        log.Append(TestBatches.Build([TestRecord.Of("a", "1"), TestRecord.Of("b", "1")]), 0);
        log.Append(TestBatches.Build([TestRecord.Of("a", null)]), 0);
        RollPastCleanable(log);

        fx.Manager.Cleaner.Clean(log);
        var tombstoneBatch = PartitionLogTests.ReadAll(log).Single(b => b.Records.Any(r => r.KeyString == "a"));
        Assert.Null(tombstoneBatch.Records.Single().Value);
        Assert.True((tombstoneBatch.Attributes & RecordBatchAttributes.DeleteHorizon) != 0);
        Assert.Equal(time.GetUtcNow().ToUnixTimeMilliseconds() + 60_000, tombstoneBatch.BaseTimestamp);
        Assert.Equal(TestBatches.BaseTimestamp, tombstoneBatch.Records.Single().Timestamp);

        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Null(fx.Manager.Cleaner.CleanOnce());
        time.Advance(TimeSpan.FromSeconds(31));
        Assert.NotNull(fx.Manager.Cleaner.CleanOnce());

        var keys = PartitionLogTests.ReadAll(log).SelectMany(b => b.Records).Select(r => r.KeyString).ToList();
        Assert.DoesNotContain("a", keys);
        Assert.Contains("b", keys);
    }

    [Fact]
    public void Aborted_transactions_are_removed_and_markers_are_kept_until_safe()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(TestBatches.BaseTimestamp + 1000));
        using var fx = new StorageFixture(time);
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp(), Compacted);
        var txn = RecordBatchAttributes.Transactional;
        log.Append(TestBatches.Build([TestRecord.Of("a", "a-old")]), 0);
        log.Append(TestBatches.Build([TestRecord.Of("a", "a-aborted")], attributes: txn, producerId: 7, producerEpoch: 0, baseSequence: 0), 0);
        log.Append(TestBatches.Build([TestRecord.Of("b", "b-committed")], attributes: txn, producerId: 8, producerEpoch: 0, baseSequence: 0), 0);
        log.Append(TestBatches.Marker(7, 0, commit: false), 0, AppendOrigin.Coordinator);
        log.Append(TestBatches.Marker(8, 0, commit: true), 0, AppendOrigin.Coordinator);
        RollPastCleanable(log);

        fx.Manager.Cleaner.Clean(log);
        var batches = PartitionLogTests.ReadAll(log).Where(b => b.BaseOffset < 5).ToList();
        Assert.Equal(["a-old", "b-committed"], batches.SelectMany(b => b.Records).Where(r => (BatchOf(r, batches).Attributes & RecordBatchAttributes.Control) == 0).Select(r => r.ValueString));
        var markers = batches.Where(b => (b.Attributes & RecordBatchAttributes.Control) != 0).ToList();
        Assert.Equal(2, markers.Count);
        Assert.True((markers.Single(m => m.ProducerId == 7).Attributes & RecordBatchAttributes.DeleteHorizon) != 0, "an empty transaction's marker starts its horizon");
        Assert.True((markers.Single(m => m.ProducerId == 8).Attributes & RecordBatchAttributes.DeleteHorizon) == 0);

        time.Advance(TimeSpan.FromSeconds(61));
        fx.Manager.Cleaner.Clean(log);
        markers = PartitionLogTests.ReadAll(log).Where(b => (b.Attributes & RecordBatchAttributes.Control) != 0).ToList();
        Assert.Equal([8L], markers.Select(m => m.ProducerId));
    }

    [Theory]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public void Compressed_batches_are_compacted_and_keep_their_codec(CompressionType compression)
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(TestBatches.BaseTimestamp + 1000));
        using var fx = new StorageFixture(time);
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp(), Compacted);
        log.Append(TestBatches.Build([TestRecord.Of("a", "1"), TestRecord.Of("b", "1"), TestRecord.Of("c", null)], compression: compression), 0);
        log.Append(TestBatches.Build([TestRecord.Of("a", "2")], compression: compression), 0);
        RollPastCleanable(log);

        fx.Manager.Cleaner.Clean(log);
        var first = PartitionLogTests.ReadAll(log)[0];
        Assert.True(first.CrcValid);
        Assert.Equal(compression, (CompressionType)((int)first.Attributes & 7));
        Assert.True((first.Attributes & RecordBatchAttributes.DeleteHorizon) != 0, "the kept tombstone starts its horizon");
        Assert.Equal(["b", "c"], first.Records.Select(r => r.KeyString));
        Assert.Equal([1L, 2L], first.Records.Select(r => r.Offset));
        Assert.Equal([TestBatches.BaseTimestamp, TestBatches.BaseTimestamp], first.Records.Select(r => r.Timestamp));
        Assert.Equal(2, first.LastOffset);
    }

    [Fact]
    public void A_transaction_marker_of_a_compressed_transaction_is_kept_while_its_records_are()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(TestBatches.BaseTimestamp + 1000));
        using var fx = new StorageFixture(time);
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp(), Compacted);
        var txn = RecordBatchAttributes.Transactional;
        log.Append(TestBatches.Build([TestRecord.Of("a", "committed")], attributes: txn, producerId: 7, producerEpoch: 0, baseSequence: 0, compression: CompressionType.Zstd), 0);
        log.Append(TestBatches.Marker(7, 0, commit: true), 0, AppendOrigin.Coordinator);
        log.Append(TestBatches.Build([TestRecord.Of("b", "x")]), 0);
        RollPastCleanable(log);

        fx.Manager.Cleaner.Clean(log);
        var batches = PartitionLogTests.ReadAll(log).Where(b => b.BaseOffset < 3).ToList();
        Assert.Equal(["committed"], batches.SelectMany(b => b.Records).Where(r => r.KeyString == "a").Select(r => r.ValueString));
        var marker = batches.Single(b => (b.Attributes & RecordBatchAttributes.Control) != 0);
        Assert.True((marker.Attributes & RecordBatchAttributes.DeleteHorizon) == 0, "the transaction still has records");
    }

    [Fact]
    public void Background_cleaner_picks_a_dirty_log_by_ratio()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(TestBatches.BaseTimestamp + 1000));
        using var fx = new StorageFixture(time);
        var dirty = fx.Manager.GetOrCreateLog(StorageFixture.Tp("dirty"), Compacted);
        var plain = fx.Manager.GetOrCreateLog(StorageFixture.Tp("plain"), Compacted with { CleanupPolicy = CleanupPolicy.Delete });
        for (int i = 0; i < 50; i++)
        {
            dirty.Append(TestBatches.Build([TestRecord.Of("same", $"v{i}")]), 0);
            plain.Append(TestBatches.Build([TestRecord.Of("same", $"v{i}")]), 0);
        }

        dirty.UpdateHighWatermark(dirty.LogEndOffset);
        plain.UpdateHighWatermark(plain.LogEndOffset);

        var result = fx.Manager.Cleaner.CleanOnce();

        Assert.Equal(dirty.TopicPartition, result?.TopicPartition);
        Assert.True(result!.RecordsDropped > 0);
        Assert.Null(fx.Manager.Cleaner.CleanOnce());
    }

    [Fact]
    public void Truncation_pulls_the_cleaner_checkpoint_back()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(TestBatches.BaseTimestamp + 1000));
        using var fx = new StorageFixture(time);
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp(), Compacted);
        for (int i = 0; i < 30; i++)
        {
            log.Append(TestBatches.Build([TestRecord.Of($"k{i % 3}", new string('v', 100))]), 0);
        }

        log.UpdateHighWatermark(log.LogEndOffset);
        long cleanedUpTo = fx.Manager.Cleaner.Clean(log).CleanedUpTo;
        Assert.True(cleanedUpTo > 5);

        log.TruncateTo(5);
        for (int i = 0; i < 30; i++)
        {
            log.Append(TestBatches.Build([TestRecord.Of($"k{i % 3}", new string('w', 100))]), 0);
        }

        log.UpdateHighWatermark(log.LogEndOffset);
        Assert.Equal(5, fx.Manager.Cleaner.Clean(log).FirstDirtyOffset);
    }

    [Fact]
    public void Planner_computes_the_cleanable_range_and_ratio()
    {
        var config = Compacted;
        CleanerSegment S(long b, long size, long largest = 0, long first = 0) => new(b, size, largest, first);
        var segments = new[] { S(0, 100), S(10, 100), S(20, 100), S(30, 50) };

        var fresh = CleanerPlanner.Compute(segments, 0, 40, 40, null, config, 1000);
        Assert.Equal(new CleanableRange(0, 30, 0, 300, false), fresh);
        Assert.Equal(1.0, fresh.DirtyRatio);

        var half = CleanerPlanner.Compute(segments, 0, 40, 40, 20, config, 1000);
        Assert.Equal((20L, 30L, 200L, 100L), (half.FirstDirtyOffset, half.FirstUncleanableOffset, half.CleanBytes, half.DirtyBytes));
        Assert.False(CleanerPlanner.NeedsCleaning(half, config with { MinCleanableDirtyRatio = 0.5 }, null, 1000));
        Assert.True(CleanerPlanner.NeedsCleaning(half, config with { MinCleanableDirtyRatio = 0.3 }, null, 1000));

        Assert.Equal(15, CleanerPlanner.Compute(segments, 0, 40, 15, null, config, 1000).FirstUncleanableOffset);
        Assert.Equal(0, CleanerPlanner.Compute(segments, 0, 40, 40, 99, config, 1000).FirstDirtyOffset);

        var lagged = new[] { S(0, 100, largest: 500), S(10, 100, largest: 950), S(20, 100, largest: 990), S(30, 50) };
        Assert.Equal(10, CleanerPlanner.Compute(lagged, 0, 40, 40, null, config with { MinCompactionLagMs = 100 }, 1000).FirstUncleanableOffset);

        var old = new[] { S(0, 100, first: 100), S(10, 100, first: 900), S(20, 50) };
        var forced = CleanerPlanner.Compute(old, 0, 30, 30, 10, config with { MaxCompactionLagMs = 500, MinCleanableDirtyRatio = 0.9 }, 1000);
        Assert.False(forced.MaxLagExceeded);
        forced = CleanerPlanner.Compute(old, 0, 30, 30, 0, config with { MaxCompactionLagMs = 500, MinCleanableDirtyRatio = 0.99 }, 1000);
        Assert.True(forced.MaxLagExceeded);
        Assert.True(CleanerPlanner.NeedsCleaning(forced, config with { MinCleanableDirtyRatio = 0.99 }, null, 1000));
    }

    [Fact]
    public void Throttle_sleeps_just_enough_to_hold_the_rate()
    {
        Assert.Equal(TimeSpan.Zero, IoThrottler.DelayFor(1000, TimeSpan.FromSeconds(1), 2000));
        Assert.Equal(TimeSpan.FromSeconds(1), IoThrottler.DelayFor(4000, TimeSpan.FromSeconds(1), 2000));
        Assert.Equal(TimeSpan.Zero, IoThrottler.DelayFor(1e12, TimeSpan.Zero, double.PositiveInfinity));

        var time = new FakeTimeProvider();
        var throttler = new IoThrottler(1000, time);
        Assert.Equal(TimeSpan.Zero, throttler.Record(10));
        time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.Equal(TimeSpan.FromMilliseconds(800), throttler.Record(990));
        Assert.Equal(TimeSpan.FromMilliseconds(800), throttler.Throttled);
    }

    private static ParsedBatch BatchOf(ParsedRecord record, List<ParsedBatch> batches) => batches.Single(x => x.Records.Contains(record));

    // Pushes everything written so far out of the active segment and below the high watermark.
    private static void RollPastCleanable(PartitionLog log)
    {
        long activeBase = log.Segments[^1].BaseOffset;
        int i = 0;
        while (log.Segments[^1].BaseOffset == activeBase)
        {
            log.Append(TestBatches.Build([TestRecord.Of($"filler{i++}", new string('x', 300))]), 0);
        }

        log.UpdateHighWatermark(log.LogEndOffset);
    }
}
