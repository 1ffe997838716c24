using Chronik.Protocol.Wire;

namespace Chronik.Storage.Tests;

public class ConcurrencyTests
{
    [Fact]
    public async Task Readers_racing_appends_rolls_and_retention_only_ever_see_whole_valid_batches()
    {
        using var fx = new StorageFixture();
        var config = LogConfig.Default with { SegmentBytes = 4096, IndexIntervalBytes = 300, RetentionBytes = 40_000, RetentionMs = -1, FileDeleteDelayMs = 5_000 };
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp(), config);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        long reads = 0;
        long batchesSeen = 0;

        // Dedicated threads: spinning readers on the 2-core thread pool would starve the durability continuations.
        var writer = Task.Factory.StartNew(() =>
        {
            int i = 0;
            while (!stop.IsCancellationRequested)
            {
                var r = log.Append(TestBatches.Values(1 + (i % 5), 20 + (i % 200), seed: i), 0);
                log.UpdateHighWatermark(r.LastOffset + 1);
                if (++i % 50 == 0)
                {
                    log.WaitForDurabilityAsync(r.LastOffset).AsTask().Wait();
                    log.DeleteOldSegments();
                }
            }
        }, TaskCreationOptions.LongRunning);

        var readers = Enumerable.Range(0, 2).Select(seed => Task.Factory.StartNew(() =>
        {
            var random = new Random(seed);
            while (!stop.IsCancellationRequested)
            {
                long start = log.LogStartOffset;
                long hw = log.HighWatermark;
                if (hw <= start)
                {
                    continue;
                }

                long offset = start + random.NextInt64(hw - start);
                var read = log.Read(offset, random.Next(1, 5000), hw, minOneBatch: random.Next(2) == 0);
                if (read.Error == ErrorCode.OffsetOutOfRange)
                {
                    Assert.True(offset < log.LogStartOffset, $"out of range at {offset} but the log starts at {log.LogStartOffset}");
                    continue;
                }

                Assert.Equal(ErrorCode.None, read.Error);
                if (read.IsEmpty)
                {
                    continue;
                }

                var batches = BatchParser.Parse(read.ToArray());
                Assert.True(batches[0].BaseOffset <= offset && offset <= batches[0].LastOffset, $"read at {offset} began with batch [{batches[0].BaseOffset}, {batches[0].LastOffset}]");
                for (int i = 0; i < batches.Count; i++)
                {
                    Assert.True(batches[i].CrcValid);
                    Assert.True(batches[i].LastOffset < hw);
                    if (i > 0)
                    {
                        Assert.Equal(batches[i - 1].LastOffset + 1, batches[i].BaseOffset);
                    }
                }

                Interlocked.Increment(ref reads);
                Interlocked.Add(ref batchesSeen, batches.Count);
            }
        }, TaskCreationOptions.LongRunning)).ToArray();

        await Task.WhenAll([writer, .. readers]);
        Assert.True(reads > 100, $"only {reads} reads");
        Assert.True(log.LogStartOffset > 0, $"retention never ran: end {log.LogEndOffset}, {log.SegmentCount} segments, {log.Size} bytes, hw {log.HighWatermark}");
    }

    [Fact]
    public async Task Compaction_under_live_appends_and_reads_keeps_reads_valid_and_the_latest_value_per_key()
    {
        using var fx = new StorageFixture();
        var config = LogConfig.Default with
        {
            CleanupPolicy = CleanupPolicy.Compact,
            SegmentBytes = 2048,
            IndexIntervalBytes = 200,
            MinCleanableDirtyRatio = 0.01,
            FileDeleteDelayMs = 5_000,
        };
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp(), config);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        var latest = new System.Collections.Concurrent.ConcurrentDictionary<string, string>();
        long passes = 0;

        var writer = Task.Factory.StartNew(() =>
        {
            var random = new Random(1);
            int i = 0;
            while (!stop.IsCancellationRequested)
            {
                string key = $"k{random.Next(40)}";
                string value = $"v{i++}";
                var r = log.Append(TestBatches.Build([TestRecord.Of(key, value)]), 0);
                latest[key] = value;
                log.UpdateHighWatermark(r.LastOffset + 1);
            }
        }, TaskCreationOptions.LongRunning);

        var cleaner = Task.Factory.StartNew(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (fx.Manager.Cleaner.CleanOnce() is { SegmentsCleaned: > 0 })
                {
                    Interlocked.Increment(ref passes);
                }
            }
        }, TaskCreationOptions.LongRunning);

        var reader = Task.Factory.StartNew(() =>
        {
            var random = new Random(2);
            while (!stop.IsCancellationRequested)
            {
                long hw = log.HighWatermark;
                if (hw == 0)
                {
                    continue;
                }

                long offset = random.NextInt64(hw);
                var read = log.Read(offset, 3000, hw);
                Assert.Equal(ErrorCode.None, read.Error);
                long previous = offset - 1;
                foreach (var batch in BatchParser.Parse(read.ToArray()))
                {
                    Assert.True(batch.CrcValid);
                    Assert.True(batch.LastOffset > previous, $"batch [{batch.BaseOffset}, {batch.LastOffset}] after {previous}");
                    previous = batch.LastOffset;
                }
            }
        }, TaskCreationOptions.LongRunning);

        await Task.WhenAll(writer, cleaner, reader);
        Assert.True(passes > 0);

        // Everything below the active segment compacts down to one record per key, the latest one.
        log.Append(TestBatches.Build([TestRecord.Of("end", new string('x', 1900))]), 0);
        log.Append(TestBatches.Build([TestRecord.Of("end", new string('x', 1900))]), 0);
        log.UpdateHighWatermark(log.LogEndOffset);
        fx.Manager.Cleaner.Clean(log);
        var records = PartitionLogTests.ReadAll(log).SelectMany(b => b.Records).Where(r => r.KeyString != "end").ToList();
        Assert.Equal(records.Count, records.Select(r => r.KeyString).Distinct().Count());
        Assert.All(records, r => Assert.Equal(latest[r.KeyString!], r.ValueString));
        Assert.Equal(latest.Count, records.Count);
    }
}
