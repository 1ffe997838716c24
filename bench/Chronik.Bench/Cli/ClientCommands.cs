using System.Globalization;
using Chronik.Bench.Limits;
using Chronik.Bench.Measure;
using Chronik.Bench.Native;
using Chronik.Bench.Scenarios;
using Chronik.Bench.Targets;
using Chronik.Bench.Workloads;
using Confluent.Kafka;

namespace Chronik.Bench.Cli;

/// <summary>
/// Single measurements against any loopback bootstrap address (a broker started by hand, another
/// build, a cluster): produce, consume and latency with the scenario knobs as options, and the
/// machine's raw limits. Results are printed, not written to a report.
/// </summary>
public static class ClientCommands
{
    public static async Task<int> ProduceAsync(Arguments args, CancellationToken cancellationToken)
    {
        var (bootstrap, topic, pids) = Common(args);
        var settings = Settings(args, recordSize: 100, acks: "1", lingerMs: 5);
        int partitions = args.Int("--partitions", 1, 1, 100_000);
        bool create = args.Flag("--create");
        int replication = args.Int("--replication", 1, 1, 16);
        var duration = args.Seconds("--duration", TimeSpan.FromSeconds(15), RunOptions.MaxScenarioSeconds);
        var warmup = args.Seconds("--warmup", TimeSpan.FromSeconds(2), 10);
        args.EnsureAllUsed();
        Console.Out.WriteLine($"librdkafka {BundledLibrdkafka.LoadForConfluent()}; producing to {topic} at {bootstrap}: {settings.Describe()}");
        if (create)
        {
            await CreateAsync(bootstrap, topic, partitions, replication, cancellationToken);
        }

        var window = new MeasuredWindow(pids);
        var result = await ProduceWorkload.RunAsync(bootstrap, topic, settings, warmup, duration, "produce", window.Begin, cancellationToken);
        PrintThroughput(result);
        await PrintUsageAsync(window);
        return 0;
    }

    public static async Task<int> ConsumeAsync(Arguments args, CancellationToken cancellationToken)
    {
        var (bootstrap, topic, pids) = Common(args);
        int partitions = args.Int("--partitions", 1, 1, 100_000);
        var duration = args.Seconds("--duration", TimeSpan.FromSeconds(15), RunOptions.MaxScenarioSeconds);
        var warmup = args.Seconds("--warmup", TimeSpan.FromSeconds(2), 10);
        args.EnsureAllUsed();
        Console.Out.WriteLine($"librdkafka {BundledLibrdkafka.LoadForConfluent()}; consuming {topic} ({partitions} partitions) at {bootstrap} from the start");
        var window = new MeasuredWindow(pids);
        var result = await ConsumeWorkload.RunAsync(bootstrap, topic, partitions, warmup, duration, "consume", window.Begin, cancellationToken);
        PrintThroughput(result);
        Console.Out.WriteLine($"full passes over the topic: {result.Passes}");
        await PrintUsageAsync(window);
        return 0;
    }

    public static async Task<int> LatencyAsync(Arguments args, CancellationToken cancellationToken)
    {
        var (bootstrap, topic, pids) = Common(args);
        var settings = Settings(args, recordSize: 1024, acks: "all", lingerMs: 1);
        int rate = args.Int("--rate", 10_000, 1, 1_000_000);
        bool create = args.Flag("--create");
        var duration = args.Seconds("--duration", TimeSpan.FromSeconds(15), RunOptions.MaxScenarioSeconds);
        var warmup = args.Seconds("--warmup", TimeSpan.FromSeconds(2), 10);
        args.EnsureAllUsed();
        Console.Out.WriteLine($"librdkafka {BundledLibrdkafka.LoadForConfluent()}; latency on {topic} partition 0 at {bootstrap}: {rate:N0} records/s, {settings.Describe()}");
        if (create)
        {
            await CreateAsync(bootstrap, topic, 1, 1, cancellationToken);
        }

        var window = new MeasuredWindow(pids);
        var result = await LatencyWorkload.RunAsync(bootstrap, topic, settings, rate, warmup, duration, "latency", window.Begin, cancellationToken);
        Console.Out.WriteLine($"sent {result.Sent:N0} at {result.AchievedRate:N0}/s, consumed {result.Received:N0}, lost {result.Lost:N0}");
        Console.Out.WriteLine($"end-to-end ms: p50 {result.EndToEnd.P50:0.00}  p99 {result.EndToEnd.P99:0.00}  p99.9 {result.EndToEnd.P999:0.00}  max {result.EndToEnd.Max:0.00}");
        Console.Out.WriteLine($"ack ms:        p50 {result.Ack.P50:0.00}  p99 {result.Ack.P99:0.00}  p99.9 {result.Ack.P999:0.00}  max {result.Ack.Max:0.00}");
        await PrintUsageAsync(window);
        return 0;
    }

    public static async Task<int> LimitsAsync(Arguments args, CancellationToken cancellationToken)
    {
        string directory = args.String("--work-dir") ?? Path.GetTempPath();
        var span = args.Seconds("--duration", TimeSpan.FromSeconds(3), 30);
        args.EnsureAllUsed();
        Console.Out.WriteLine($"loopback TCP, one stream: {await LoopbackThroughput.MeasureAsync(span, cancellationToken):N0} MB/s");
        Console.Out.WriteLine($"1 MiB writes + fdatasync each: {DiskWrite.MeasureSequential(directory, span, syncEach: true):N0} MB/s");
        Console.Out.WriteLine($"1 MiB writes, one fdatasync: {DiskWrite.MeasureSequential(directory, span, syncEach: false):N0} MB/s");
        var small = DiskWrite.MeasureSmallSyncedAppends(directory, span);
        Console.Out.WriteLine($"4 KiB append + fdatasync: p50 {small.P50:0.000} ms, p99 {small.P99:0.000} ms, {small.AppendsPerSecond:N0}/s");
        Console.Out.WriteLine($"filesystem: {DiskWrite.DescribeFilesystem(directory)}");
        return 0;
    }

    private static (string Bootstrap, string Topic, IReadOnlyList<int> Pids) Common(Arguments args)
    {
        string bootstrap = Chronik.Testing.Loopback.Bootstrap(args.Required("--bootstrap"));
        string topic = args.Required("--topic");
        var pids = args.String("--broker-pid") is { } pid
            ? [int.TryParse(pid, NumberStyles.Integer, CultureInfo.InvariantCulture, out int id) && id > 0 ? id : throw new UsageException($"--broker-pid: '{pid}' is not a process id")]
            : Array.Empty<int>();
        return (bootstrap, topic, pids);
    }

    private static ProduceSettings Settings(Arguments args, int recordSize, string acks, double lingerMs)
    {
        string acksText = args.String("--acks") ?? acks;
        var parsedAcks = acksText switch
        {
            "0" => Acks.None,
            "1" => Acks.Leader,
            "all" or "-1" => Acks.All,
            _ => throw new UsageException($"--acks must be 0, 1 or all, not '{acksText}'"),
        };
        string codecText = args.String("--codec") ?? "none";
        var codec = codecText switch
        {
            "none" => CompressionType.None,
            "gzip" => CompressionType.Gzip,
            "snappy" => CompressionType.Snappy,
            "lz4" => CompressionType.Lz4,
            "zstd" => CompressionType.Zstd,
            _ => throw new UsageException($"--codec must be none, gzip, snappy, lz4 or zstd, not '{codecText}'"),
        };
        int size = args.Int("--record-size", recordSize, 16, 1 << 20);
        double linger = args.Double("--linger-ms", lingerMs, 0, 60_000);
        int? batch = args.String("--batch-size") is null ? null : args.Int("--batch-size", 0, 1, 1 << 30);
        return new ProduceSettings(size, parsedAcks, codec, linger, batch);
    }

    private static async Task CreateAsync(string bootstrap, string topic, int partitions, int replication, CancellationToken cancellationToken)
    {
        await using var target = new ExternalTarget("broker", bootstrap, [], note => Console.Out.WriteLine("note: " + note));
        await target.CreateTopicsAsync([topic], partitions, replication, cancellationToken);
    }

    private static void PrintThroughput(ThroughputResult result) =>
        Console.Out.WriteLine($"{result.Records:N0} records in {result.Seconds:0.00} s: {result.RecordsPerSecond:N0} records/s, {result.MegabytesPerSecond:N1} MB/s");

    private static async Task PrintUsageAsync(MeasuredWindow window)
    {
        var (broker, client) = await window.EndAsync();
        if (broker is { Processes.Count: > 0 })
        {
            Console.Out.WriteLine($"broker: {broker.CpuSeconds:0.0} CPU s ({broker.Cores:0.00} cores), peak RSS {broker.PeakRssBytes / 1e6:0.0} MB");
        }

        Console.Out.WriteLine($"client CPU: {client:0.0} s");
    }
}
