using Chronik.Storage.Durability;

namespace Chronik.Storage.Tests;

public class DurabilityTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Every_completed_append_is_below_the_flushed_offset_with_many_concurrent_writers_across_partitions()
    {
        using var fx = new StorageFixture();
        const int partitions = 8;
        const int writersPerPartition = 4;
        const int appendsPerWriter = 150;
        var logs = Enumerable.Range(0, partitions).Select(p => fx.Manager.GetOrCreateLog(StorageFixture.Tp("durable", p), LogConfig.Default with { SegmentBytes = 64 * 1024 })).ToArray();
        var violations = 0;
        byte[] batch = TestBatches.Values(2, 200);

        var writers = new List<Task>();
        for (int p = 0; p < partitions; p++)
        {
            for (int w = 0; w < writersPerPartition; w++)
            {
                var log = logs[p];
                writers.Add(Task.Run(async () =>
                {
                    for (int i = 0; i < appendsPerWriter; i++)
                    {
                        var result = log.Append(batch, 0);
                        await log.WaitForDurabilityAsync(result.LastOffset);
                        if (log.RecoveryPoint <= result.LastOffset)
                        {
                            Interlocked.Increment(ref violations);
                        }
                    }
                }));
            }
        }

        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromMinutes(2));

        Assert.Equal(0, violations);
        Assert.All(logs, l => Assert.Equal(writersPerPartition * appendsPerWriter * 2, l.LogEndOffset));
        var stats = fx.Manager.FlushStatistics;
        int appends = partitions * writersPerPartition * appendsPerWriter;
        Assert.True(stats.Rounds < appends, $"{stats.Rounds} flush rounds for {appends} appends: no grouping");
        Assert.True(stats.LogsFlushed > stats.Rounds, $"rounds never covered more than one partition: {stats}");
    }

    [Fact]
    public async Task Pipelined_appends_complete_in_order_once_flushed()
    {
        using var fx = new StorageFixture();
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp());
        var waits = new List<(long Last, Task Done)>();
        for (int i = 0; i < 200; i++)
        {
            var r = log.Append(TestBatches.Values(1, 100), 0);
            waits.Add((r.LastOffset, log.WaitForDurabilityAsync(r.LastOffset).AsTask()));
        }

        foreach (var (last, done) in waits)
        {
            await done.WaitAsync(Generous);
            Assert.True(log.RecoveryPoint > last);
        }
    }

    [Fact]
    public async Task Explicit_flush_messages_acknowledges_from_the_page_cache_and_flushes_after_that_many_records()
    {
        using var fx = new StorageFixture();
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp(), LogConfig.Default with { FlushMessages = 10 });

        var first = log.Append(TestBatches.Values(4, 10), 0);
        Assert.True(log.WaitForDurabilityAsync(first.LastOffset).IsCompleted);
        log.Append(TestBatches.Values(4, 10), 0);
        log.Append(TestBatches.Values(4, 10), 0);

        await WaitUntil(() => log.RecoveryPoint >= 12);
    }

    [Fact]
    public async Task Explicit_flush_ms_flushes_in_the_background()
    {
        using var fx = new StorageFixture();
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp(), LogConfig.Default with { FlushMs = 50 });

        var result = log.Append(TestBatches.Values(3, 10), 0);

        Assert.True(log.WaitForDurabilityAsync(result.LastOffset).IsCompleted);
        await WaitUntil(() => log.RecoveryPoint == 3);
    }

    [Fact]
    public async Task Wait_for_flush_is_exact_even_when_the_policy_is_relaxed()
    {
        using var fx = new StorageFixture();
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp(), LogConfig.Default with { FlushMessages = long.MaxValue });
        var result = log.Append(TestBatches.Values(3, 10), 0);
        Assert.Equal(0, log.RecoveryPoint);

        await log.WaitForFlushAsync(result.LastOffset).AsTask().WaitAsync(Generous);

        Assert.Equal(3, log.RecoveryPoint);
    }

    [Theory]
    [InlineData(FlushStrategy.PerFile)]
    [InlineData(FlushStrategy.FileSystem)]
    public async Task Both_flush_strategies_make_every_partition_durable(FlushStrategy strategy)
    {
        using var fx = new StorageFixture();
        fx.Options = fx.Options with { FlushStrategy = strategy };
        fx.Reopen();
        var logs = Enumerable.Range(0, 20).Select(p => fx.Manager.GetOrCreateLog(StorageFixture.Tp("s", p))).ToArray();
        var waits = logs.Select(l => l.WaitForDurabilityAsync(l.Append(TestBatches.Values(2, 50), 0).LastOffset).AsTask()).ToArray();

        await Task.WhenAll(waits).WaitAsync(Generous);

        Assert.All(logs, l => Assert.Equal(2, l.RecoveryPoint));
        if (strategy == FlushStrategy.FileSystem && OperatingSystem.IsLinux())
        {
            Assert.True(fx.Manager.FlushStatistics.FileSystemSyncs > 0);
        }
    }

    [Fact]
    public async Task Truncation_fails_waiters_instead_of_completing_them_for_data_that_is_gone()
    {
        using var fx = new StorageFixture();
        var log = fx.Manager.GetOrCreateLog(StorageFixture.Tp());
        var r = log.Append(TestBatches.Values(3, 10), 0);
        await log.WaitForFlushAsync(r.LastOffset);
        log.TruncateTo(1);

        var e = await Assert.ThrowsAsync<StorageException>(() => log.WaitForFlushAsync(2).AsTask());
        Assert.Equal(Protocol.Wire.ErrorCode.NotLeaderOrFollower, e.ErrorCode);
        Assert.Equal(1, log.RecoveryPoint);
    }

    internal static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Generous;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            await Task.Delay(10);
        }
    }
}
