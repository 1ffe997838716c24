using Chronik.Protocol.Wire;
using Chronik.Storage.Retention;
using Microsoft.Extensions.Time.Testing;

namespace Chronik.Storage.Tests;

public class TruncationAndRetentionTests
{
    private static readonly LogConfig Small = LogConfig.Default with { SegmentBytes = 1024, IndexIntervalBytes = 100, FileDeleteDelayMs = 0, RetentionMs = -1 };

    [Fact]
    public async Task Truncate_to_an_offset_inside_an_earlier_segment_removes_everything_after_it()
    {
        using var fx = new StorageFixture();
        var tp = StorageFixture.Tp();
        var log = Fill(fx, tp, 40, epochEvery: 10);
        log.UpdateHighWatermark(log.LogEndOffset);
        int segments = log.SegmentCount;
        var before = PartitionLogTests.ReadAll(log);
        var target = before[15];

        log.TruncateTo(target.BaseOffset);

        Assert.Equal(target.BaseOffset, log.LogEndOffset);
        Assert.Equal(target.BaseOffset, log.HighWatermark);
        Assert.True(log.SegmentCount < segments);
        Assert.Equal(before.Take(15).Select(b => b.Bytes), PartitionLogTests.ReadAll(log).Select(b => b.Bytes));
        Assert.All(log.LeaderEpochs.Entries, e => Assert.True(e.StartOffset < target.BaseOffset));
        Assert.Equal(target.BaseOffset, log.Append(TestBatches.Values(1, 10), 9).FirstOffset);

        var reopened = fx.Reopen().GetOrCreateLog(tp, Small);
        Assert.Equal(target.BaseOffset + 1, reopened.LogEndOffset);
        await Task.CompletedTask;
    }

    [Fact]
    public void Truncate_to_a_segment_base_keeps_that_segment_empty_and_active()
    {
        using var fx = new StorageFixture();
        var log = Fill(fx, StorageFixture.Tp(), 40);
        var bases = log.Segments.Select(s => s.BaseOffset).ToArray();

        log.TruncateTo(bases[2]);

        Assert.Equal(3, log.SegmentCount);
        Assert.Equal(0, log.Segments[^1].Size);
        Assert.True(log.Segments[^1].IsActive);
        Assert.Equal(bases[2], log.Append(TestBatches.Values(1, 10), 0).FirstOffset);
    }

    [Fact]
    public void Truncate_fully_restarts_the_log_at_the_offset()
    {
        using var fx = new StorageFixture();
        var tp = StorageFixture.Tp();
        var log = Fill(fx, tp, 20);

        log.TruncateFullyAndStartAt(5000);

        Assert.Equal((5000L, 5000L, 5000L, 1), (log.LogStartOffset, log.LogEndOffset, log.HighWatermark, log.SegmentCount));
        Assert.Empty(log.LeaderEpochs.Entries);
        Assert.Equal(ErrorCode.OffsetOutOfRange, log.Read(0, 100).Error);
        Assert.Equal(5000, log.Append(TestBatches.Values(1, 10), 0).FirstOffset);
        Assert.Single(Directory.GetFiles(fx.PartitionDirectory(tp), "*.log"));

        var reopened = fx.Reopen().GetOrCreateLog(tp);
        Assert.Equal((5000L, 5001L), (reopened.LogStartOffset, reopened.LogEndOffset));
    }

    [Fact]
    public void Delete_records_advances_the_log_start_up_to_the_high_watermark_and_drops_whole_segments()
    {
        using var fx = new StorageFixture();
        var tp = StorageFixture.Tp();
        var log = Fill(fx, tp, 40, epochEvery: 10);
        int segments = log.SegmentCount;
        log.UpdateHighWatermark(50);
        Assert.Equal(ErrorCode.OffsetOutOfRange, Assert.Throws<StorageException>(() => log.DeleteRecordsBefore(51)).ErrorCode);

        long low = log.DeleteRecordsBefore(45);

        Assert.Equal(45, low);
        Assert.Equal(45, log.LogStartOffset);
        Assert.True(log.SegmentCount < segments);
        Assert.True(log.Segments[0].BaseOffset <= 45);
        Assert.Equal(ErrorCode.OffsetOutOfRange, log.Read(44, 100).Error);
        Assert.Equal(ErrorCode.None, log.Read(45, 100).Error);
        Assert.Equal(45, log.LeaderEpochs.Entries[0].StartOffset);
        Assert.Equal(45, log.FetchOffsetByTimestamp(PartitionLog.EarliestTimestamp)!.Value.Offset);

        fx.Manager.WriteCheckpoints();
        var reopened = fx.ReopenAfterCrash(keepRecoveryPoints: true).GetOrCreateLog(tp, Small);
        Assert.Equal(45, reopened.LogStartOffset);
        Assert.Equal(50, reopened.HighWatermark);
    }

    [Fact]
    public void Retention_bytes_deletes_the_oldest_whole_segments_below_the_high_watermark()
    {
        using var fx = new StorageFixture();
        var tp = StorageFixture.Tp();
        var log = Fill(fx, tp, 60);
        long size = log.Size;
        log.Config = Small with { RetentionBytes = 3000 };
        Assert.Equal(0, log.DeleteOldSegments());

        log.UpdateHighWatermark(log.LogEndOffset);
        int deleted = log.DeleteOldSegments();

        Assert.True(deleted > 0);
        Assert.True(log.Size <= 3000 + Small.SegmentBytes, $"{log.Size} bytes left");
        Assert.True(log.Size < size);
        Assert.Equal(log.Segments[0].BaseOffset, log.LogStartOffset);
        Assert.Equal(log.SegmentCount, Directory.GetFiles(fx.PartitionDirectory(tp), "*.log").Length);
        Assert.Equal(ErrorCode.OffsetOutOfRange, log.Read(0, 100).Error);
    }

    [Fact]
    public void Retention_ms_deletes_segments_whose_newest_timestamp_is_too_old_even_the_active_one()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(TestBatches.BaseTimestamp));
        using var fx = new StorageFixture(time);
        var tp = StorageFixture.Tp();
        var log = Fill(fx, tp, 30);
        log.Config = Small with { RetentionMs = 60_000, RetentionBytes = -1 };
        log.UpdateHighWatermark(log.LogEndOffset);
        long end = log.LogEndOffset;

        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(0, fx.Manager.RunRetention());
        time.Advance(TimeSpan.FromSeconds(31));
        Assert.True(fx.Manager.RunRetention() > 0);

        Assert.Equal((end, end, 1), (log.LogStartOffset, log.LogEndOffset, log.SegmentCount));
        Assert.Equal(end, log.Append(TestBatches.Values(1, 10), 0).FirstOffset);
    }

    [Fact]
    public void A_read_that_resolved_to_a_segment_still_copies_after_retention_deletes_it()
    {
        using var fx = new StorageFixture();
        var log = Fill(fx, StorageFixture.Tp(), 30);
        log.Config = Small with { FileDeleteDelayMs = 60_000, RetentionBytes = 0 };
        var read = log.Read(0, 100_000);
        byte[] expected = read.ToArray();
        log.UpdateHighWatermark(log.LogEndOffset);

        Assert.True(log.DeleteOldSegments() > 0);
        Assert.False(File.Exists(read.FilePath));

        Assert.Equal(expected, read.ToArray());
    }

    [Fact]
    public void Retention_planner_rules()
    {
        var config = LogConfig.Default with { RetentionBytes = 250, RetentionMs = 1000 };
        SegmentSummary S(long b, long size, long ts) => new(b, size, ts);
        var segments = new[] { S(0, 100, 100), S(10, 100, 5000), S(20, 100, 100), S(30, 100, 9000) };

        Assert.Equal(new RetentionDecision(1, RetentionReason.Size), RetentionPlanner.Plan(segments, 40, 40, 0, config, 6000));
        Assert.Equal(new RetentionDecision(4, RetentionReason.Size), RetentionPlanner.Plan(segments, 40, 40, 0, config, 20_000));
        Assert.Equal(new RetentionDecision(1, RetentionReason.Size), RetentionPlanner.Plan(segments, 40, 19, 0, config, 6000));
        Assert.Equal(new RetentionDecision(0, RetentionReason.None), RetentionPlanner.Plan(segments, 40, 9, 0, config, 6000));
        Assert.Equal(new RetentionDecision(1, RetentionReason.Time), RetentionPlanner.Plan(segments, 40, 40, 0, config with { RetentionBytes = -1 }, 2000));
        Assert.Equal(new RetentionDecision(2, RetentionReason.LogStartOffset), RetentionPlanner.Plan(segments, 40, 40, 25, config with { CleanupPolicy = CleanupPolicy.Compact }, 10_000));
        Assert.Equal(new RetentionDecision(4, RetentionReason.Time), RetentionPlanner.Plan(segments, 40, 40, 0, config with { RetentionBytes = -1 }, 100_000));

        var lastEmpty = new[] { S(0, 100, 100), S(10, 0, 100) };
        Assert.Equal(1, RetentionPlanner.Plan(lastEmpty, 10, 10, 0, config with { RetentionBytes = -1 }, 100_000).DeleteCount);
    }

    [Fact]
    public void Retention_planner_randomized_never_deletes_at_or_above_the_high_watermark()
    {
        var random = new Random(5);
        for (int round = 0; round < 2000; round++)
        {
            int n = random.Next(1, 8);
            long b = 0;
            var segments = new List<SegmentSummary>();
            for (int i = 0; i < n; i++)
            {
                segments.Add(new SegmentSummary(b, random.Next(0, 200), random.Next(0, 10_000)));
                b += random.Next(1, 20);
            }

            long end = b;
            long hw = random.NextInt64(0, end + 1);
            var config = LogConfig.Default with { RetentionBytes = random.Next(-1, 600), RetentionMs = random.Next(-1, 5000) };
            var decision = RetentionPlanner.Plan(segments, end, hw, 0, config, 10_000);
            for (int i = 0; i < decision.DeleteCount; i++)
            {
                long next = i + 1 < n ? segments[i + 1].BaseOffset : end;
                Assert.True(next <= hw, $"round {round}: deleted segment {i} ending at {next} above hw {hw}");
            }

            if (decision.DeleteCount == n)
            {
                Assert.True(segments[^1].Size > 0);
            }
        }
    }

    private static PartitionLog Fill(StorageFixture fx, TopicPartition tp, int count, int epochEvery = int.MaxValue)
    {
        var log = fx.Manager.GetOrCreateLog(tp, Small);
        for (int i = 0; i < count; i++)
        {
            log.Append(TestBatches.Values(1 + (i % 3), 40 + (i % 7), seed: i), leaderEpoch: i / epochEvery);
        }

        return log;
    }
}
