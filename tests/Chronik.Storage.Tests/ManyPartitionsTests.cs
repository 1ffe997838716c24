using Chronik.Protocol.Wire;
using Chronik.Storage.Files;
using Chronik.Testing;

namespace Chronik.Storage.Tests;

public class ManyPartitionsTests
{
    [Fact]
    public async Task Open_files_stay_bounded_and_idle_partitions_drop_their_indexes()
    {
        using var fx = new StorageFixture(maxOpenFiles: 40);
        var logs = Enumerable.Range(0, 600).Select(p => fx.Manager.GetOrCreateLog(StorageFixture.Tp("many", p), LogConfig.Default with { IndexIntervalBytes = 64 })).ToArray();
        byte[] batch = TestBatches.Values(2, 100);
        for (int round = 0; round < 3; round++)
        {
            foreach (var log in logs)
            {
                log.Append(batch, 0);
            }
        }

        await Task.WhenAll(logs.Select(l => l.FlushAsync().AsTask()));
        foreach (var log in logs)
        {
            Assert.Equal(3, BatchParser.Parse(log.Read(0, 1 << 20).ToArray()).Count);
        }

        Assert.True(fx.Manager.OpenFileCount <= 40, $"{fx.Manager.OpenFileCount} files open");
        Assert.True(fx.Manager.FilesOpenedTotal > 600);
        Assert.True(logs.Sum(l => l.IndexMemoryBytes) > 0);

        Assert.True(fx.Manager.UnloadIdleIndexes(TimeSpan.Zero) >= 600);
        Assert.Equal(0, logs.Sum(l => l.IndexMemoryBytes));
        Assert.Equal(ErrorCode.None, logs[123].Read(3, 1 << 20).Error);
        Assert.Equal(2, BatchParser.Parse(logs[123].Read(2, 1 << 20).ToArray()).Count);

        var reopened = fx.Reopen();
        Assert.Equal(600, reopened.Logs.Count);
        Assert.All(reopened.Logs, l => Assert.Equal(6, l.LogEndOffset));
        Assert.True(reopened.OpenFileCount <= 40);
    }

    [Fact]
    public void Handle_cache_evicts_least_recently_used_files_without_leases()
    {
        using var dir = new TempDirectory("handles");
        var files = Enumerable.Range(0, 4).Select(i =>
        {
            string path = Path.Combine(dir.Path, $"f{i}");
            File.WriteAllBytes(path, [1, 2, 3]);
            return new CachedFile(path);
        }).ToArray();
        using var cache = new FileHandleCache(2);

        var held = cache.Acquire(files[0]);
        cache.Acquire(files[1]).Dispose();
        cache.Acquire(files[2]).Dispose();
        cache.Acquire(files[3]).Dispose();

        Assert.Equal(2, cache.OpenCount);
        Assert.NotNull(files[0].Handle);
        Assert.Null(files[1].Handle);
        held.Dispose();

        cache.Retire(files[3]);
        cache.Close(files[3]);
        Assert.Throws<FileNotFoundException>(() => cache.Acquire(files[3]));
    }

    [Fact]
    public void Deleting_a_log_removes_its_directory_and_it_is_gone_after_restart()
    {
        using var fx = new StorageFixture();
        var tp = StorageFixture.Tp("doomed");
        var log = fx.Manager.GetOrCreateLog(tp);
        log.Append(TestBatches.Values(1, 10), 0);

        Assert.True(fx.Manager.DeleteLog(tp));

        Assert.Null(fx.Manager.GetLog(tp));
        Assert.False(Directory.Exists(fx.PartitionDirectory(tp)));
        Assert.Throws<ObjectDisposedException>(() => log.Append(TestBatches.Values(1, 10), 0));
        Assert.Empty(fx.Reopen().Logs);
        Assert.Empty(Directory.GetDirectories(fx.LogsDirectory));
    }
}
