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
}
