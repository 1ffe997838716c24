using Chronik.Broker.Replication;
using Chronik.Storage;
using Chronik.Testing;
using Microsoft.Extensions.Logging;

namespace Chronik.Broker.Tests.Replication;

/// <summary>How a follower's fetcher reports an unreachable leader: once per outage, not once per retry.</summary>
public class ReplicaFetcherLoggingTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    // The fetcher's LoggerMessage event ids.
    private const int FetchFailed = 1;
    private const int FetchFailedAgain = 6;
    private const int FetchRecovered = 7;

    private static List<RecordingLoggerFactory.LogLine> FetcherLines(ReplicationCluster cluster, int eventId) =>
        [.. cluster.Logs.Lines.Where(l => l.Category == typeof(ReplicaFetcher).FullName && l.EventId == eventId)];

    [Fact]
    public async Task An_unreachable_leader_is_warned_about_once_per_outage_and_the_fetch_that_succeeds_again_counts_the_failed_attempts()
    {
        await using var cluster = new ReplicationCluster(2);
        cluster.CreateTopic("t", [1, 2]);
        var tp = new TopicPartition("t", 0);
        await Wait.UntilAsync(() => cluster[2].Fetchers!.State(tp) is not null, "broker 2 to follow broker 1", Patience);

        for (int outage = 1; outage <= 2; outage++)
        {
            int debugBefore = FetcherLines(cluster, FetchFailedAgain).Count;
            cluster.Cut(2, 1);
            await Wait.UntilAsync(() => FetcherLines(cluster, FetchFailedAgain).Count >= debugBefore + 3, $"outage {outage}: three retries to fail", Patience);
            cluster.Cut(2, 1, cut: false);
            await Wait.UntilAsync(() => FetcherLines(cluster, FetchRecovered).Count == outage, $"outage {outage}: the fetcher to reach broker 1 again", Patience);

            var warnings = FetcherLines(cluster, FetchFailed);
            Assert.Equal(outage, warnings.Count);
            Assert.All(warnings, w => Assert.Equal(LogLevel.Warning, w.Level));
            Assert.Contains("retrying every 50 ms until it answers", warnings[^1].Message);

            var retries = FetcherLines(cluster, FetchFailedAgain).Skip(debugBefore).ToList();
            Assert.All(retries, r => Assert.Equal(LogLevel.Debug, r.Level));
            var recovered = FetcherLines(cluster, FetchRecovered)[^1];
            Assert.Equal(LogLevel.Information, recovered.Level);
            Assert.Equal(1, recovered.Values["Leader"]);

            // Every failed attempt of this outage is counted: the warning and each Debug retry.
            Assert.Equal(1 + retries.Count, recovered.Values["Failures"]);
            Assert.Equal(Enumerable.Range(2, retries.Count).Cast<object?>(), retries.Select(r => r.Values["Failures"]));
            Assert.StartsWith($"Fetching from broker 1 again after {1 + retries.Count} failed attempts over ", recovered.Message);
        }
    }
}
