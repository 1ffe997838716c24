using System.Diagnostics;
using Chronik.Cluster.Chaos.Checking;
using Chronik.Cluster.Chaos.Faults;
using Chronik.Cluster.Chaos.Workload;
using Chronik.Protocol.Records;
using Chronik.Testing;
using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Chronik.Cluster.Chaos.Run;

/// <summary>The result of a run: its figures and every reason it failed (none: passed).</summary>
public sealed record ChaosOutcome(ChaosFigures Figures, IReadOnlyList<string> Failures, string RunDirectory)
{
    public bool Passed => Failures.Count == 0;

    /// <summary>Figures, failures and where the logs are, for an assertion message.</summary>
    public string Report() =>
        $"{Figures.Describe()}\n{(Passed ? "PASSED" : $"FAILED:\n  {string.Join("\n  ", Failures)}\nlogs and data kept in {RunDirectory}")}";
}

/// <summary>
/// One chaos run end to end: a cluster of chronik-server processes (raft-cluster mode, loopback, free
/// ports, own data directories), a topic with replication, producers and a group consumer running
/// throughout, a fault phase, the time-to-serve probe, then the whole topic and the group's offsets read
/// back and judged by <see cref="ChaosChecker"/>. Every process is killed by PID at the end; the run
/// directory (node-N.log, chaos.log, data) is kept when the run fails.
/// </summary>
public static class ChaosRun
{
    public const string Topic = "chaos";
    public const string GroupId = "chaos-group";

    private static readonly TimeSpan SetupTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan ServeLimit = TimeSpan.FromSeconds(60);

    public static async Task<ChaosOutcome> RunAsync(ChaosOptions options, Action<string> echo)
    {
        var total = Stopwatch.StartNew();
        await using var cluster = ClusterProcesses.Create(options.Nodes, [.. options.BrokerArguments]);
        using var log = new EventLog(Path.Combine(cluster.RootDirectory, "chaos.log"), echo);
        bool passed = false;
        try
        {
            log.Event($"chaos run: seed {options.Seed}, faults for {options.FaultDuration.TotalSeconds:F0} s, {options.Nodes} nodes, "
                + $"topic '{Topic}' {options.Partitions} partitions × {options.ReplicationFactor} replicas, min.insync.replicas {options.MinInsyncReplicas}; "
                + $"run directory {cluster.RootDirectory}");
            await cluster.StartAllAsync(SetupTimeout);
            string bootstrap = cluster.AllBootstrapServers;
            await CreateTopicAsync(bootstrap, options, log);

            using var workload = new ChaosWorkload(bootstrap, options, log);
            await workload.StartAsync(SetupTimeout);
            log.Event("workload running; fault phase starts");
            var planner = new FaultPlanner(options.Seed, new FaultPlanOptions { NodeIds = [.. cluster.Nodes.Select(n => n.NodeId)] });
            FaultRecord faults = await new FaultInjector(cluster, planner, log).RunAsync(options.FaultDuration, CancellationToken.None);
            TimeSpan timeToServe = await workload.Probe.TimeToServeAsync(faults.LastFaultEnded, ServeLimit)
                ?? throw new TimeoutException($"the cluster did not serve a produce and fetch on every partition within {ServeLimit.TotalSeconds:F0} s after the last fault");
            var failures = new List<string>();
            long stopped = await workload.StopAsync(FlushTimeout, failures, log);

            ChaosEvidence evidence = await CollectEvidenceAsync(cluster, workload, options, failures, log);
            ChaosVerdict verdict = ChaosChecker.Check(evidence);
            var figures = new ChaosFigures
            {
                Seed = options.Seed,
                Faults = faults,
                Producers = evidence.Producers,
                Consumed = workload.Consumer.ConsumedCount,
                Commits = evidence.Commits.Count,
                FailedCommits = evidence.Commits.Count(c => !c.Succeeded),
                Availability = AvailabilityFigures.Measure(
                    evidence.Producers,
                    options.Partitions,
                    Stopwatch.GetElapsedTime(workload.Started, faults.FirstFaultStarted),
                    Stopwatch.GetElapsedTime(workload.Started, stopped)),
                TimeToServe = timeToServe,
                Verdict = verdict,
                Total = total.Elapsed,
            };
            failures.AddRange(Judge(verdict, figures, options));
            passed = failures.Count == 0;
            log.Event($"figures:\n{figures.Describe()}");
            if (options.FiguresFile is { } file)
            {
                await File.AppendAllTextAsync(file, figures.OneLine(passed) + Environment.NewLine);
            }

            return new ChaosOutcome(figures, failures, cluster.RootDirectory);
        }
        catch (Exception e)
        {
            log.Event($"run aborted: {e}");
            if (options.FiguresFile is { } file)
            {
                await File.AppendAllTextAsync(file, $"FAIL seed={options.Seed} aborted: {e.GetType().Name}: {e.Message.Split('\n')[0]}{Environment.NewLine}");
            }

            throw new InvalidOperationException($"chaos run (seed {options.Seed}) aborted: {e.Message}\nlogs and data kept in {cluster.RootDirectory}", e);
        }
        finally
        {
            cluster.KeepFiles = !passed || options.KeepFiles;
            if (cluster.KeepFiles)
            {
                log.Event($"run directory kept: {cluster.RootDirectory}");
            }
        }
    }

    /// <summary>
    /// After the workload stopped: the whole topic as the leaders serve it, the group's committed offsets,
    /// then — once every replica is back in the ISR — every node stopped with SIGTERM and its own copy of
    /// the topic read from its data directory. Problems that are not the checker's go to <paramref name="failures"/>.
    /// </summary>
    private static async Task<ChaosEvidence> CollectEvidenceAsync(ClusterProcesses cluster, ChaosWorkload workload, ChaosOptions options, List<string> failures, EventLog log)
    {
        string bootstrap = cluster.AllBootstrapServers;
        await cluster.WaitUntilReadyAsync(FaultInjector.ReadyTimeout);
        log.Event("reading the topic back");
        TopicReader.TopicContent content = TopicReader.ReadAll(bootstrap, Topic, options.Partitions, TimeSpan.FromMinutes(3), log);
        IReadOnlyDictionary<int, long> committed = await TopicReader.CommittedOffsetsAsync(bootstrap, GroupId, Topic, options.Partitions, TimeSpan.FromSeconds(60));

        bool isrFull = await WaitForFullIsrAsync(bootstrap, options, FaultInjector.ReadyTimeout, log);
        if (!isrFull)
        {
            failures.Add($"not every replica was back in the ISR {FaultInjector.ReadyTimeout.TotalSeconds:F0} s after the workload stopped (see chaos.log); replicas not compared");
        }

        int[] exitCodes = await Task.WhenAll(cluster.Nodes.Select(n => cluster.StopAsync(n.NodeId)));
        for (int i = 0; i < exitCodes.Length; i++)
        {
            if (exitCodes[i] != 0)
            {
                failures.Add($"node {cluster.Nodes[i].NodeId} exited with code {exitCodes[i]} on SIGTERM at the end");
            }
        }

        var replicas = new Dictionary<int, IReadOnlyList<LogRecord>>();
        foreach (ClusterNode node in cluster.Nodes.Where(_ => isrFull))
        {
            try
            {
                replicas[node.NodeId] = ReplicaFiles.ReadTopic(node.DataDirectory, Topic, options.Partitions);
            }
            catch (RecordDecodeException e)
            {
                failures.Add($"node {node.NodeId}'s segment files of '{Topic}' hold a corrupt batch: {e.Message}");
            }
        }

        log.Event($"nodes stopped; {replicas.Count} replica copies read from their data directories");
        return new ChaosEvidence
        {
            PartitionCount = options.Partitions,
            Producers = workload.Histories(),
            FinalLog = content.Records,
            LogStartOffsets = content.LogStartOffsets,
            HighWatermarks = content.HighWatermarks,
            ConsumedDuringRun = workload.Consumer.Consumed(),
            Commits = workload.Consumer.Commits.Snapshot(),
            CommittedAfterRun = committed,
            Replicas = replicas,
        };
    }

    /// <summary>The reasons the run failed: the checker's violations, and the liveness limits.</summary>
    private static IEnumerable<string> Judge(ChaosVerdict verdict, ChaosFigures figures, ChaosOptions options)
    {
        foreach (Violation violation in verdict.Violations)
        {
            yield return violation.ToString();
        }

        int total = verdict.Counts.Values.Sum();
        if (verdict.Violations.Count < total)
        {
            yield return $"({total - verdict.Violations.Count} more violations not listed: {verdict.Summary()})";
        }

        if (figures.TimeToServe > options.ServeDeadline)
        {
            yield return $"the cluster served again {figures.TimeToServe.TotalSeconds:F2} s after the last fault; the limit is {options.ServeDeadline.TotalSeconds:F0} s";
        }

        if (figures.Unresolved > 0)
        {
            yield return $"{figures.Unresolved} records still had no delivery report {FlushTimeout.TotalSeconds:F0} s after the workload stopped";
        }
    }

    private static async Task CreateTopicAsync(string bootstrap, ChaosOptions options, EventLog log)
    {
        using IAdminClient admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap, ClientId = "chaos-admin" })
            .SetLogHandler((_, m) => log.Detail($"[admin] librdkafka {m.Level} {m.Facility}: {m.Message}"))
            .Build();
        await admin.CreateTopicsAsync(
            [new TopicSpecification
            {
                Name = Topic,
                NumPartitions = options.Partitions,
                ReplicationFactor = options.ReplicationFactor,
                Configs = new Dictionary<string, string> { ["min.insync.replicas"] = options.MinInsyncReplicas.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            }],
            new CreateTopicsOptions { RequestTimeout = TimeSpan.FromSeconds(30), OperationTimeout = TimeSpan.FromSeconds(30) });

        if (!await WaitForFullIsrAsync(bootstrap, options, SetupTimeout, log))
        {
            throw new TimeoutException($"the partitions of '{Topic}' did not all get a leader and a full ISR within {SetupTimeout}");
        }
    }

    /// <summary>Waits until every partition has a leader and all replicas in its ISR; logs the last state seen.</summary>
    private static async Task<bool> WaitForFullIsrAsync(string bootstrap, ChaosOptions options, TimeSpan timeout, EventLog log)
    {
        using IAdminClient admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap, ClientId = "chaos-admin" })
            .SetLogHandler((_, m) => log.Detail($"[admin] librdkafka {m.Level} {m.Facility}: {m.Message}"))
            .Build();
        string last = "no metadata yet";
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                Metadata metadata = admin.GetMetadata(Topic, TimeSpan.FromSeconds(5));
                TopicMetadata? topic = metadata.Topics.SingleOrDefault(t => t.Topic == Topic);
                last = topic is null ? "topic unknown" : string.Join(" ", topic.Partitions.OrderBy(p => p.PartitionId).Select(p => $"p{p.PartitionId}:leader={p.Leader},isr=[{string.Join(",", p.InSyncReplicas)}]"));
                if (topic is { Error.IsError: false }
                    && topic.Partitions.Count == options.Partitions
                    && topic.Partitions.All(p => p.Leader >= 0 && p.InSyncReplicas.Length == options.ReplicationFactor))
                {
                    log.Event($"full ISR after {waited.Elapsed.TotalSeconds:F1} s: {last}");
                    return true;
                }
            }
            catch (KafkaException e)
            {
                last = e.Message;
            }

            if (waited.Elapsed > timeout)
            {
                log.Event($"no full ISR within {timeout.TotalSeconds:F0} s: {last}");
                return false;
            }

            await Task.Delay(200);
        }
    }
}
