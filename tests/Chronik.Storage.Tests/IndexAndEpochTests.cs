using Chronik.Storage.Epochs;
using Chronik.Storage.Segments;
using Chronik.Testing;

namespace Chronik.Storage.Tests;

public class IndexAndEpochTests
{
    [Fact]
    public void Offset_index_lookups_find_the_floor_entry_and_persist_incrementally()
    {
        using var dir = new TempDirectory("index");
        string path = Path.Combine(dir.Path, "x.index");
        var index = new OffsetIndex(path, 100, 1024);
        index.Reset();
        index.Append(105, 0);
        index.Append(120, 400);
        index.Append(130, 900);

        Assert.Equal(new OffsetPosition(100, 0), index.Lookup(104));
        Assert.Equal(new OffsetPosition(105, 0), index.Lookup(119));
        Assert.Equal(new OffsetPosition(120, 400), index.Lookup(125));
        Assert.Equal(new OffsetPosition(130, 900), index.Lookup(1000));
        Assert.Equal(new OffsetPosition(120, 400), index.LookupByPosition(899));
        Assert.Throws<InvalidOperationException>(() => index.Append(130, 1000));

        index.Persist(sync: false);
        Assert.Equal(24, new FileInfo(path).Length);
        index.TruncateTo(121);
        index.Persist(sync: false);
        Assert.Equal(16, new FileInfo(path).Length);

        var loaded = new OffsetIndex(path, 100, 1024);
        Assert.True(loaded.TryLoad(logSize: 1000));
        Assert.Equal(new OffsetPosition(120, 400), loaded.Lookup(200));
        Assert.False(new OffsetIndex(path, 100, 1024).TryLoad(logSize: 400), "an entry beyond the log must fail the sanity check");

        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.False(new OffsetIndex(path, 100, 1024).TryLoad(1000));
        File.WriteAllBytes(path, [0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
        Assert.False(new OffsetIndex(path, 100, 1024).TryLoad(1000), "offsets must increase");
    }

    [Fact]
    public void Time_index_keeps_only_increasing_timestamps()
    {
        using var dir = new TempDirectory("timeindex");
        var index = new TimeIndex(Path.Combine(dir.Path, "x.timeindex"), 10, 1200);
        index.Reset();
        index.MaybeAppend(1000, 12);
        index.MaybeAppend(900, 15);
        index.MaybeAppend(2000, 20);

        Assert.Equal(2, index.Count);
        Assert.Equal(new TimestampOffset(-1, 10), index.Lookup(999));
        Assert.Equal(new TimestampOffset(1000, 12), index.Lookup(1999));
        Assert.Equal(new TimestampOffset(2000, 20), index.Lookup(5000));
        index.TruncateTo(20);
        Assert.Equal(new TimestampOffset(1000, 12), index.LastEntry);
    }

    [Fact]
    public void Epoch_cache_follows_kafkas_rules()
    {
        using var dir = new TempDirectory("epochs");
        var cache = new LeaderEpochCache(dir.Path);
        cache.Assign(1, 0);
        cache.Assign(1, 5);
        cache.Assign(2, 10);
        cache.Assign(4, 20);
        Assert.Equal([new(1, 0), new(2, 10), new EpochEntry(4, 20)], cache.Entries);

        Assert.Equal((LeaderEpochCache.UndefinedEpoch, LeaderEpochCache.UndefinedEpochOffset), cache.EndOffsetFor(-1, 30));
        Assert.Equal((4, 30L), cache.EndOffsetFor(4, 30));
        Assert.Equal((2, 20L), cache.EndOffsetFor(3, 30));
        Assert.Equal((1, 10L), cache.EndOffsetFor(1, 30));
        Assert.Equal((0, 0L), cache.EndOffsetFor(0, 30));
        Assert.Equal((LeaderEpochCache.UndefinedEpoch, LeaderEpochCache.UndefinedEpochOffset), cache.EndOffsetFor(5, 30));
        Assert.Equal(2, cache.EpochForOffset(15));
        Assert.Equal(4, cache.EpochForOffset(20));

        // A new entry removes later conflicting ones (a lower start offset or a higher epoch).
        cache.Assign(3, 15);
        Assert.Equal([new(1, 0), new(2, 10), new EpochEntry(3, 15)], cache.Entries);

        cache.TruncateFromStart(12);
        Assert.Equal([new(2, 12), new EpochEntry(3, 15)], cache.Entries);
        cache.TruncateFromEnd(15);
        Assert.Equal([new EpochEntry(2, 12)], cache.Entries);

        Assert.Equal([new EpochEntry(2, 12)], new LeaderEpochCache(dir.Path).Entries);
        Assert.Equal("0\n1\n2 12\n", File.ReadAllText(Path.Combine(dir.Path, LeaderEpochCache.FileName)));
    }

    [Fact]
    public void Epoch_cache_randomized_against_a_model()
    {
        using var dir = new TempDirectory("epochs");
        var random = new Random(7);
        // Every change writes the checkpoint (with fsync), so the schedule is kept short.
        for (int round = 0; round < 40; round++)
        {
            var cache = new LeaderEpochCache(dir.Path);
            cache.Clear();
            int epoch = 0;
            long offset = 0;
            for (int step = 0; step < 20; step++)
            {
                epoch += random.Next(0, 3);
                offset += random.Next(0, 5);
                cache.Assign(epoch, offset);
                var entries = cache.Entries;
                for (int i = 1; i < entries.Count; i++)
                {
                    Assert.True(entries[i].Epoch > entries[i - 1].Epoch && entries[i].StartOffset > entries[i - 1].StartOffset, $"round {round}: {string.Join(",", entries)}");
                }

                long end = offset + 10;
                foreach (var e in entries)
                {
                    var (found, endOffset) = cache.EndOffsetFor(e.Epoch, end);
                    Assert.Equal(e.Epoch, found);
                    Assert.True(endOffset > e.StartOffset || endOffset == end);
                }
            }
        }
    }
}
