using Chronik.Storage.Files;
using Chronik.Testing;

namespace Chronik.Storage.Tests;

public class HandleCacheStressTests
{
    [Fact]
    public void Concurrent_acquire_release_close_never_hands_out_a_closed_handle()
    {
        using var dir = new TempDirectory("handles");
        var files = Enumerable.Range(0, 8).Select(i =>
        {
            string path = Path.Combine(dir.Path, $"f{i}");
            File.WriteAllBytes(path, new byte[64]);
            return new CachedFile(path);
        }).ToArray();
        using var cache = new FileHandleCache(3);
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            var random = new Random(t);
            for (int i = 0; i < 20_000; i++)
            {
                var file = files[random.Next(files.Length)];
                if (random.Next(10) == 0)
                {
                    cache.Close(file);
                    continue;
                }

                using var lease = cache.Acquire(file);
                if (lease.Handle is null || lease.Handle.IsClosed)
                {
                    failures.Enqueue($"thread {t} iteration {i}: {(lease.Handle is null ? "null" : "closed")}");
                    return;
                }

                byte[] buffer = new byte[8];
                RandomAccess.Read(lease.Handle, buffer, 0);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Empty(failures);
    }
}
