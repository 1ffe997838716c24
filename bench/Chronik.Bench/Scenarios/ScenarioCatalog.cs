using Chronik.Bench.Cli;
using Chronik.Bench.Workloads;
using Confluent.Kafka;

namespace Chronik.Bench.Scenarios;

/// <summary>The scenarios of issue 7, their client settings, headline figures and targets.</summary>
public static class ScenarioCatalog
{
    public const string RecordsPerSecond = "records_per_second";
    public const string P99 = "p99_ms";
    public const string PeakRss = "broker_peak_rss_mb";

    public static readonly ProduceSettings S1Produce = new(100, Acks.Leader, CompressionType.None, 5, null);
    public static readonly ProduceSettings S2Produce = new(1024, Acks.All, CompressionType.Lz4, 5, null);
    public static readonly ProduceSettings S4Produce = new(1024, Acks.All, CompressionType.None, 1, null);
    public static readonly ProduceSettings S5Produce = new(100, Acks.Leader, CompressionType.None, 5, null);

    public const string S1Topic = "bench-s1";
    public const string S2Topic = "bench-s2";
    public const string S4Topic = "bench-s4";
    public const string S4PageCacheTopic = "bench-s4-flush-ms";
    public const string S5TopicPrefix = "bench-s5";
    public const string S6Topic = "bench-s6";
    public const int S2Partitions = 16;

    /// <summary>S4's second topic on chronik-server: flush.ms relaxes fsync-before-acknowledge to Kafka's page-cache acknowledgement.</summary>
    public static readonly IReadOnlyDictionary<string, string> S4PageCacheConfigs = new Dictionary<string, string>(StringComparer.Ordinal) { ["flush.ms"] = "1000" };

    /// <summary>"key=value, key=value" for reports.</summary>
    public static string DescribeConfigs(IReadOnlyDictionary<string, string> configs) =>
        string.Join(", ", configs.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}={c.Value}"));

    public static ScenarioDefinition S1 { get; } = new(
        "S1", "Produce: 1 partition, 100 B records, acks=1, linger 5 ms",
        $"One producer, topic {S1Topic} with 1 partition; {S1Produce.Describe()}; as fast as acknowledged.",
        RecordsPerSecond, "records/s", HigherIsBetter: true,
        new ScenarioTarget("≥ 0.8 × mock", (chronik, mock) => AtLeast(chronik, mock, 0.8)));

    public static ScenarioDefinition S2 { get; } = new(
        "S2", "Produce: 16 partitions, 1 KiB records, acks=all, lz4",
        $"One producer, topic {S2Topic} with {S2Partitions} partitions (null keys: librdkafka's sticky partitioner); {S2Produce.Describe()}; as fast as acknowledged.",
        RecordsPerSecond, "records/s", HigherIsBetter: true, Target: null);

    public static ScenarioDefinition S3 { get; } = new(
        "S3", "Consume S1's topic from the start",
        $"One consumer assigned {S1Topic} partition 0 from the beginning; on reaching the end it seeks back to the start and reads again " +
        $"(the mock keeps only the newest 5 MiB per partition, so its topic is short; fetch.wait.max.ms={ConsumeWorkload.FetchWaitMaxMs} so the fetch parked at the end costs little; " +
        $"fetch.queue.backoff.ms={ConsumeWorkload.FetchQueueBackoffMs}, not librdkafka's 1000, which pauses fetching for a second whenever the client's queue holds 100,000 records " +
        "and so measured the client's throttle — the mock escaped it because each rewind purges that queue). " +
        "Counted after the warm-up, from the first record to the last.",
        RecordsPerSecond, "records/s", HigherIsBetter: true,
        new ScenarioTarget("≥ 1 × mock", (chronik, mock) => AtLeast(chronik, mock, 1.0)));

    public static ScenarioDefinition S4(RunOptions options) => new(
        "S4", $"End-to-end latency at {options.LatencyRate:N0} records/s, 1 KiB, acks=all",
        $"Topic {S4Topic} with 1 partition; {S4Produce.Describe()}; paced every millisecond; a consumer in the same process " +
        $"(fetch.wait.max.ms={LatencyWorkload.FetchWaitMaxMs}: the mock holds a fetch that finds no data for the whole wait instead of answering when data arrives, " +
        "so the default 500 ms would make its figure meaningless; a broker that answers waiting fetches on arrival is unaffected) " +
        "reads from the partition's end as it starts; latency = consumer receipt − the Produce call's Stopwatch stamp carried in the value. " +
        "'ack' is Produce call → delivery report. 'disk meanwhile': a 4 KiB append + fdatasync every 20 ms on the brokers' filesystem during the measured interval — " +
        "chronik-server acknowledges acks=all and exposes records to consumers only after the group fsync, so its tail cannot be shorter than the disk's; " +
        "the probe's percentiles count one sample per stall, so it also reports the share of the time spent inside slow syncs, which is the share of appends that wait that long. " +
        $"After the measured interval chronik-server runs the same load once more on topic {S4PageCacheTopic} with {DescribeConfigs(S4PageCacheConfigs)}, " +
        "which acknowledges and exposes records from the page cache and fsyncs in the background, as Kafka does by default: the difference is the price of fsync-before-acknowledge on this disk.",
        P99, "p99 ms", HigherIsBetter: false,
        new ScenarioTarget("p99 ≤ 10 ms", (chronik, _) => chronik.Ok && chronik.Value(P99) is { } p99 ? p99 <= 10 : null));

    public static ScenarioDefinition S5(RunOptions options) => new(
        "S5", $"{options.ManyTopics:N0} topics × 1 partition at 1 record/s each",
        $"{options.ManyTopics:N0} topics {S5TopicPrefix}-00000… of 1 partition; one producer writes one 100 B record per second to each " +
        $"(acks=1, linger 5 ms), round robin, paced every 5 ms. Peak RSS covers topic creation and the steady phase; CPU is the steady phase.",
        PeakRss, "broker peak RSS MB", HigherIsBetter: false,
        new ScenarioTarget("RSS ≤ 200 MB", (chronik, _) => chronik.Ok && chronik.Value(PeakRss) is { } rss ? rss <= 200 : null));

    public static ScenarioDefinition S6(RunOptions options) => new(
        "S6", "S2 against a 3-node local cluster",
        $"As S2 (topic {S6Topic}, {S2Partitions} partitions, replication factor {options.ClusterReplicationFactor}) against a local cluster, beside a 3-broker mock cluster. " +
        (options.ClusterBootstrap is null
            ? "The cluster is 3 fresh chronik-server processes on loopback (raft-cluster, each a metadata-quorum voter and a broker, as `chronik-server dev-cluster --nodes 3` starts them); broker CPU is the three nodes' sum, peak RSS the largest node's."
            : $"The cluster is the one given with --cluster-bootstrap {options.ClusterBootstrap}; broker CPU and RSS cover the processes given with --cluster-pids."),
        RecordsPerSecond, "records/s", HigherIsBetter: true, Target: null);

    /// <summary>Topic names of S5.</summary>
    public static IReadOnlyList<string> ManyTopicNames(int count)
    {
        var names = new string[count];
        for (int i = 0; i < count; i++)
        {
            names[i] = $"{S5TopicPrefix}-{i.ToString("D5", System.Globalization.CultureInfo.InvariantCulture)}";
        }

        return names;
    }

    private static bool? AtLeast(TargetRun chronik, TargetRun? mock, double factor) =>
        chronik.Ok && mock?.Ok == true && chronik.Value(RecordsPerSecond) is { } c && mock.Value(RecordsPerSecond) is { } m
            ? c >= factor * m
            : null;
}
