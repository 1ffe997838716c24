using Chronik.Broker.Partitions.FetchSessions;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Tests.Partitions;

public class FetchSessionCacheTests
{
    private const short Version = 12;

    private static List<(FetchPartitionKey Key, FetchPartitionParams Params)> Request(params (string Topic, int Partition, long Offset)[] partitions) =>
        [.. partitions.Select(p => (FetchPartitionKey.ByName(p.Topic, p.Partition), new FetchPartitionParams(p.Offset, 1024, -1, -1, -1)))];

    private static FetchPartitionOutcome[] Outcomes(int count, long highWatermark = 10, int bytes = 0) =>
        [.. Enumerable.Repeat(new FetchPartitionOutcome(ErrorCode.None, highWatermark, 0, bytes, false), count)];

    /// <summary>Opens a session over <paramref name="partitions"/> partitions of topic "t"; returns its id.</summary>
    private static int Open(FetchSessionCache cache, int partitions, long nowMs, bool follower = false)
    {
        var request = Request([.. Enumerable.Range(0, partitions).Select(p => ("t", p, 0L))]);
        var context = cache.NewContext(Version, 0, FetchSessionCache.InitialEpoch, follower, request, [], nowMs);
        Assert.Equal(FetchContextKind.Full, context.Kind);
        var include = new bool[partitions];
        var (id, error) = cache.Complete(context, Outcomes(partitions), include, nowMs);
        Assert.Equal(ErrorCode.None, error);
        Assert.All(include, Assert.True);
        return id;
    }

    [Fact]
    public void Versions_before_7_and_final_epoch_fetch_without_a_session()
    {
        var cache = new FetchSessionCache(random: new Random(1));
        var old = cache.NewContext(6, 0, 0, false, Request(("t", 0, 0)), [], 0);
        Assert.Equal(FetchContextKind.Sessionless, old.Kind);
        var final = cache.NewContext(Version, 0, FetchSessionCache.FinalEpoch, false, Request(("t", 0, 0)), [], 0);
        Assert.Equal(FetchContextKind.Sessionless, final.Kind);
        var include = new bool[1];
        Assert.Equal((0, ErrorCode.None), cache.Complete(final, Outcomes(1), include, 0));
        Assert.True(include[0]);
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Full_fetch_opens_a_session_and_incremental_fetches_answer_only_changes()
    {
        var cache = new FetchSessionCache(random: new Random(2));
        int id = Open(cache, 3, 0);
        Assert.NotEqual(0, id);
        Assert.Equal(1, cache.Get(id)!.Epoch);
        Assert.Equal(3, cache.PartitionCount);

        // Epoch 1: nothing named, so every session partition is read; only partition 1 has news.
        var context = cache.NewContext(Version, id, 1, false, [], [], 10);
        Assert.Equal(FetchContextKind.Incremental, context.Kind);
        Assert.Equal(3, context.Partitions.Count);
        var outcomes = Outcomes(3);
        outcomes[1] = outcomes[1] with { RecordsBytes = 100 };
        var include = new bool[3];
        Assert.Equal((id, ErrorCode.None), cache.Complete(context, outcomes, include, 10));
        Assert.Equal([false, true, false], include);

        // Partition 1 returned records, so it moved to the end (fairness under max_bytes).
        var next = cache.NewContext(Version, id, 2, false, [], [], 20);
        Assert.Equal([0, 2, 1], next.Partitions.Select(p => p.Key.Partition));

        // A high watermark change (partition 0) or an error (partition 1, last now) is news even without records.
        var changes = Outcomes(3);
        changes[0] = changes[0] with { HighWatermark = 11 };
        changes[2] = changes[2] with { Error = ErrorCode.NotLeaderOrFollower };
        Assert.Equal((id, ErrorCode.None), cache.Complete(next, changes, include, 20));
        Assert.Equal([true, false, true], include);
    }

    [Fact]
    public void Incremental_requests_update_add_and_forget_partitions()
    {
        var cache = new FetchSessionCache(random: new Random(3));
        int id = Open(cache, 2, 0);
        var context = cache.NewContext(Version, id, 1, false, Request(("t", 1, 55), ("u", 0, 7)), [FetchPartitionKey.ByName("t", 0)], 5);
        Assert.Equal(
            [("t", 1, 55L), ("u", 0, 7L)],
            context.Partitions.Select(p => (p.Key.Topic, p.Key.Partition, p.Params.FetchOffset)));

        // Forgetting the last partitions closes the session.
        var emptied = cache.NewContext(Version, id, 2, false, [], [FetchPartitionKey.ByName("t", 1), FetchPartitionKey.ByName("u", 0)], 6);
        Assert.Equal(FetchContextKind.Sessionless, emptied.Kind);
        Assert.Null(cache.Get(id));
    }

    [Fact]
    public void Session_errors()
    {
        var cache = new FetchSessionCache(random: new Random(4));
        int id = Open(cache, 1, 0);
        Assert.Equal(ErrorCode.FetchSessionIdNotFound, cache.NewContext(Version, id + 1, 1, false, [], [], 1).Error);
        Assert.Equal(ErrorCode.InvalidFetchSessionEpoch, cache.NewContext(Version, id, 5, false, [], [], 1).Error);
        Assert.Equal(ErrorCode.FetchSessionTopicIdError, cache.NewContext(13, id, 1, false, [], [], 1).Error);

        var error = cache.NewContext(Version, id, 7, false, [], [], 1);
        var include = new bool[0];
        Assert.Equal((0, ErrorCode.InvalidFetchSessionEpoch), cache.Complete(error, [], include, 1));

        // The failed requests did not advance the epoch: epoch 1 still works.
        Assert.Equal(FetchContextKind.Incremental, cache.NewContext(Version, id, 1, false, [], [], 2).Kind);
    }

    [Fact]
    public void A_concurrent_request_of_the_same_session_invalidates_the_slower_response()
    {
        var cache = new FetchSessionCache(random: new Random(5));
        int id = Open(cache, 1, 0);
        var first = cache.NewContext(Version, id, 1, false, [], [], 1);
        var second = cache.NewContext(Version, id, 2, false, [], [], 2);
        var include = new bool[1];
        Assert.Equal((id, ErrorCode.InvalidFetchSessionEpoch), cache.Complete(first, Outcomes(1), include, 3));
        Assert.Equal((id, ErrorCode.None), cache.Complete(second, Outcomes(1), include, 3));
    }

    [Fact]
    public void Full_request_naming_a_session_closes_it()
    {
        var cache = new FetchSessionCache(random: new Random(6));
        int id = Open(cache, 1, 0);
        var context = cache.NewContext(Version, id, FetchSessionCache.FinalEpoch, false, Request(("t", 0, 0)), [], 1);
        Assert.Equal(FetchContextKind.Sessionless, context.Kind);
        Assert.Null(cache.Get(id));
    }

    [Fact]
    public void Full_cache_refuses_new_sessions_until_one_is_stale()
    {
        var cache = new FetchSessionCache(maxEntries: 2, evictionMs: 1000, random: new Random(7));
        int a = Open(cache, 1, nowMs: 0);
        int b = Open(cache, 1, nowMs: 10);
        var context = cache.NewContext(Version, 0, 0, false, Request(("t", 0, 0)), [], 500);
        Assert.Equal(0, cache.Complete(context, Outcomes(1), new bool[1], 500).SessionId);

        // a has been idle for more than evictionMs: it goes.
        context = cache.NewContext(Version, 0, 0, false, Request(("t", 0, 0)), [], 1001);
        int c = cache.Complete(context, Outcomes(1), new bool[1], 1001).SessionId;
        Assert.NotEqual(0, c);
        Assert.Null(cache.Get(a));
        Assert.NotNull(cache.Get(b));
        Assert.Equal(1, cache.Evictions);
    }

    [Fact]
    public void Followers_displace_consumer_sessions_and_larger_sessions_displace_smaller_old_ones()
    {
        var cache = new FetchSessionCache(maxEntries: 2, evictionMs: 1000, random: new Random(8));
        int small = Open(cache, 1, nowMs: 0);
        int big = Open(cache, 5, nowMs: 0);

        // Sessions younger than evictionMs are safe from consumers, however large the newcomer.
        Assert.Equal(0, Create(cache, follower: false, partitions: 6, nowMs: 100));

        // A follower's session may take a consumer's slot at once: the least valuable (smallest) one goes.
        int follower = Create(cache, follower: true, partitions: 1, nowMs: 200);
        Assert.NotEqual(0, follower);
        Assert.Null(cache.Get(small));

        // Touched after evictionMs, the remaining sessions become evictable by size.
        cache.NewContext(Version, big, 1, false, [], [], 1600);
        cache.NewContext(Version, follower, 1, true, [], [], 1650);
        Assert.Equal(0, Create(cache, follower: false, partitions: 3, nowMs: 1700));
        Assert.NotEqual(0, Create(cache, follower: false, partitions: 6, nowMs: 1800));
        Assert.Null(cache.Get(big));
        Assert.NotNull(cache.Get(follower));
        Assert.Equal(2, cache.Evictions);
    }

    private static int Create(FetchSessionCache cache, bool follower, int partitions, long nowMs)
    {
        var request = Request([.. Enumerable.Range(0, partitions).Select(p => ("n", p, 0L))]);
        var context = cache.NewContext(Version, 0, 0, follower, request, [], nowMs);
        return cache.Complete(context, Outcomes(partitions), new bool[partitions], nowMs).SessionId;
    }

    [Fact]
    public void Random_schedules_keep_the_cache_bounded_and_its_bookkeeping_consistent()
    {
        for (int seed = 0; seed < 100; seed++)
        {
            var random = new Random(seed);
            var cache = new FetchSessionCache(maxEntries: 5, evictionMs: 1000, random: new Random(seed));
            var epochs = new Dictionary<int, int>();
            long now = 0;
            for (int step = 0; step < 300; step++)
            {
                now += random.Next(300);
                int op = random.Next(4);
                if (op == 0 || epochs.Count == 0)
                {
                    int size = 1 + random.Next(6);
                    var request = Request([.. Enumerable.Range(0, size).Select(p => ("t", p, 0L))]);
                    var context = cache.NewContext(Version, 0, 0, random.Next(4) == 0, request, [], now);
                    int id = cache.Complete(context, Outcomes(size), new bool[size], now).SessionId;
                    if (id != 0)
                    {
                        epochs[id] = 1;
                    }
                }
                else
                {
                    int id = epochs.Keys.ElementAt(random.Next(epochs.Count));
                    var added = Request([.. Enumerable.Range(0, random.Next(3)).Select(_ => ("t", random.Next(8), 5L))]);
                    var forgotten = Enumerable.Range(0, random.Next(3)).Select(_ => FetchPartitionKey.ByName("t", random.Next(8))).ToList();
                    var context = op == 3
                        ? cache.NewContext(Version, id, FetchSessionCache.FinalEpoch, false, added, [], now)
                        : cache.NewContext(Version, id, epochs[id], false, added, forgotten, now);
                    if (context.Kind == FetchContextKind.Incremental)
                    {
                        epochs[id] = FetchSessionCache.NextEpoch(epochs[id]);
                    }
                }

                foreach (int id in epochs.Keys.ToList())
                {
                    if (cache.Get(id) is null)
                    {
                        epochs.Remove(id);
                    }
                }

                Assert.True(cache.Count <= 5, $"seed {seed} step {step}: {cache.Count} sessions");
                Assert.Equal(epochs.Count, cache.Count);
                Assert.Equal(epochs.Keys.Sum(id => (long)cache.Get(id)!.Count), cache.PartitionCount);
                Assert.All(epochs, e => Assert.Equal(e.Value, cache.Get(e.Key)!.Epoch));
            }
        }
    }

    [Fact]
    public void Next_epoch_wraps_and_final_stays_final()
    {
        Assert.Equal(1, FetchSessionCache.NextEpoch(0));
        Assert.Equal(1, FetchSessionCache.NextEpoch(int.MaxValue));
        Assert.Equal(FetchSessionCache.FinalEpoch, FetchSessionCache.NextEpoch(FetchSessionCache.FinalEpoch));
    }
}
