using System.Diagnostics;
using Chronik.Cluster.Chaos.Checking;
using Chronik.Cluster.Chaos.Faults;
using Chronik.Cluster.Chaos.Workload;
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

            long start = Stopwatch.GetTimestamp();
            var producers = new List<LedgeredProducer>();
            using var stopWorkload = new CancellationTokenSource();
            try
            {
                for (int i = 0; i < options.IdempotentProducers + options.PlainProducers; i++)
                {
                    bool idempotent = i < options.IdempotentProducers;
                    var ledger = new ProducerLedger(idempotent ? $"idem{i + 1}" : $"plain{i - options.IdempotentProducers + 1}", idempotent, TimeProvider.System, start);
                    producers.Add(new LedgeredProducer(ledger, bootstrap, Topic, options.Partitions, options.ValueSize, options.RecordsPerSecond, log));
                }

                using var consumer = new GroupConsumer(bootstrap, GroupId, Topic, options.CommitInterval, log);
                using var probe = new ServingProbe(new ProducerLedger("probe", idempotent: false, TimeProvider.System, start), bootstrap, Topic, options.Partitions, options.ValueSize, log);
                Task[] producing = [.. producers.Select(p => Task.Run(() => p.RunAsync(stopWorkload.Token)))];
                Task consuming = consumer.RunAsync(stopWorkload.Token);

                await probe.WarmUpAsync(SetupTimeout);
                await Wait.UntilAsync(() => consumer.ConsumedCount > 0 && producers.All(p => p.Ledger.AcknowledgedCount > 0), "the workload runs (acks and consumption)", SetupTimeout);
                log.Event("workload running; fault phase starts");

                var injector = new FaultInjector(cluster, new FaultPlanner(options.Seed, new FaultPlanOptions { NodeIds = [.. cluster.Nodes.Select(n => n.NodeId)] }), log);
                FaultRecord faults = await injector.RunAsync(options.FaultDuration, CancellationToken.None);
                TimeSpan? timeToServe = await probe.TimeToServeAsync(faults.LastFaultEnded, ServeLimit);
                if (timeToServe is null)
                {
                    log.Event($"not serving {ServeLimit.TotalSeconds:F0} s after the last fault");
                }

                // Stop sending; every record sent gets its answer from the recovered cluster.
                long stopped = Stopwatch.GetTimestamp();
                await stopWorkload.CancelAsync();
                await Task.WhenAll(producing);
                foreach (LedgeredProducer producer in producers)
                {
                    int left = producer.Flush(FlushTimeout);
                    log.Event($"producer {producer.Ledger.ProducerId}: {producer.Ledger.AcknowledgedCount} acknowledged, {left} without a report after the flush");
                }

                if (!consuming.Wait(TimeSpan.FromSeconds(60)))
                {
                    throw new TimeoutException("the group consumer did not commit and leave the group within 60 s");
                }

                await cluster.WaitUntilReadyAsync(FaultInjector.ReadyTimeout);
                log.Event("reading the topic back");
                TopicReader.TopicContent content = TopicReader.ReadAll(bootstrap, Topic, options.Partitions, TimeSpan.FromMinutes(3), log);
                IReadOnlyDictionary<int, long> committed = await TopicReader.CommittedOffsetsAsync(bootstrap, GroupId, Topic, options.Partitions, TimeSpan.FromSeconds(60));
                var failures = new List<string>();

                // Every replica must rejoin the ISR; then the nodes stop cleanly and each one's files are compared with what the leaders served.
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
                    catch (Chronik.Protocol.Records.RecordDecodeException e)
                    {
                        failures.Add($"node {node.NodeId}'s segment files of '{Topic}' hold a corrupt batch: {e.Message}");
                    }
                }

                log.Event($"nodes stopped; {replicas.Count} replica copies read from their data directories");

                List<ProducerHistory> histories = [.. producers.Select(p => p.Ledger.Snapshot()), probe.Ledger.Snapshot()];
                IReadOnlyList<CommitAttempt> commits = consumer.Commits.Snapshot();
                ChaosVerdict verdict = ChaosChecker.Check(new ChaosEvidence
                {
                    PartitionCount = options.Partitions,
                    Producers = histories,
                    FinalLog = content.Records,
                    LogStartOffsets = content.LogStartOffsets,
                    HighWatermarks = content.HighWatermarks,
                    ConsumedDuringRun = consumer.Consumed(),
                    Commits = commits,
                    CommittedAfterRun = committed,
                    Replicas = replicas,
                });
                var figures = new ChaosFigures
                {
                    Seed = options.Seed,
                    Faults = faults,
                    Producers = histories,
                    Consumed = consumer.ConsumedCount,
                    Commits = commits.Count,
                    FailedCommits = commits.Count(c => !c.Succeeded),
                    Availability = AvailabilityFigures.Measure(histories, options.Partitions, Stopwatch.GetElapsedTime(start, faults.FirstFaultStarted), Stopwatch.GetElapsedTime(start, stopped)),
                    TimeToServe = timeToServe,
                    Verdict = verdict,
                    Total = total.Elapsed,
                };

                failures.AddRange(verdict.Violations.Select(v => v.ToString()));
                if (verdict.Violations.Count < verdict.Counts.Values.Sum())
                {
                    failures.Add($"({verdict.Counts.Values.Sum() - verdict.Violations.Count} more violations not listed: {verdict.Summary()})");
                }

                if (timeToServe is not { } serve || serve > options.ServeDeadline)
                {
                    failures.Add($"the cluster served again {(timeToServe is { } t ? $"{t.TotalSeconds:F2} s" : "never")} after the last fault; the limit is {options.ServeDeadline.TotalSeconds:F0} s");
                }

                if (figures.Unresolved > 0)
                {
                    failures.Add($"{figures.Unresolved} records still had no delivery report {FlushTimeout.TotalSeconds:F0} s after the workload stopped");
                }

                passed = failures.Count == 0;
                log.Event($"figures:\n{figures.Describe()}");
                if (options.FiguresFile is { } file)
                {
                    await File.AppendAllTextAsync(file, figures.OneLine(passed) + Environment.NewLine);
                }

                return new ChaosOutcome(figures, failures, cluster.RootDirectory);
            }
            finally
            {
                await stopWorkload.CancelAsync();
                foreach (LedgeredProducer producer in producers)
                {
                    producer.Dispose();
                }
            }
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
