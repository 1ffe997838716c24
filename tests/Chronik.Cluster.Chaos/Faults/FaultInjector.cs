using System.Diagnostics;
using System.Net;
using Chronik.Cluster.Chaos.Run;
using Chronik.Testing;

namespace Chronik.Cluster.Chaos.Faults;

/// <summary>What the injector did: faults by kind, when the fault phase started and when the last fault ended.</summary>
public sealed class FaultRecord
{
    private readonly Dictionary<FaultKind, int> _counts = [];

    public IReadOnlyDictionary<FaultKind, int> Counts => _counts;

    public int Total => _counts.Values.Sum();

    /// <summary>Stopwatch timestamp of the first fault.</summary>
    public long FirstFaultStarted { get; internal set; }

    /// <summary>Stopwatch timestamp at which the last fault ended: the node's restart was launched or SIGCONT sent.</summary>
    public long LastFaultEnded { get; internal set; }

    /// <summary>The longest a node took to exit after SIGTERM (controlled shutdown), over every clean restart.</summary>
    public TimeSpan SlowestCleanStop { get; internal set; }

    /// <summary>From the first fault's start to the last fault's end.</summary>
    public TimeSpan Phase => Stopwatch.GetElapsedTime(FirstFaultStarted, LastFaultEnded);

    /// <summary>"Kill=5 Pause=4 CleanRestart=6".</summary>
    public string Describe() => string.Join(" ", Enum.GetValues<FaultKind>().Select(k => $"{k}={_counts.GetValueOrDefault(k)}"));

    internal void Count(FaultKind kind) => _counts[kind] = _counts.GetValueOrDefault(kind) + 1;
}

/// <summary>
/// Applies planned faults to a cluster one node at a time: a fault ends when its node is restarted or
/// resumed; the next one starts only after that node answers /health/ready again and the settle time
/// passed, so at most one node is ever down or frozen. Faults continue until the phase is at least the
/// requested duration long (measured to the end of the last fault).
/// </summary>
public sealed class FaultInjector(ClusterProcesses cluster, FaultPlanner planner, EventLog log)
{
    /// <summary>How long a restarted or resumed node may take to be ready before the run fails.</summary>
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    public async Task<FaultRecord> RunAsync(TimeSpan duration, CancellationToken cancellationToken)
    {
        var record = new FaultRecord { FirstFaultStarted = Stopwatch.GetTimestamp() };
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            PlannedFault fault = planner.Next();
            log.Event($"fault {record.Total + 1}: {fault}");
            record.LastFaultEnded = await ApplyAsync(fault, record);
            record.Count(fault.Kind);
            if (record.Phase >= duration)
            {
                log.Event($"fault phase over after {record.Phase.TotalSeconds:F1} s: {record.Describe()}");
                return record;
            }

            await WaitReadyAsync(fault.NodeId);
            await Task.Delay(fault.Settle, cancellationToken);
        }
    }

    /// <summary>Waits until <paramref name="nodeId"/> answers /health/ready with 200; throws after <see cref="ReadyTimeout"/>.</summary>
    public async Task WaitReadyAsync(int nodeId)
    {
        ClusterNode node = cluster.Node(nodeId);
        var waited = Stopwatch.StartNew();
        (int Status, string Body) last = (0, "");
        while (true)
        {
            last = await node.ReadinessAsync();
            if (last.Status == (int)HttpStatusCode.OK)
            {
                log.Detail($"node {nodeId} ready {waited.Elapsed.TotalSeconds:F1} s after the fault ended");
                return;
            }

            if (node.Process is { HasExited: true } exited)
            {
                throw new InvalidOperationException($"node {nodeId} (pid {exited.ProcessId}) exited after the fault ended; see {node.OutputFile}");
            }

            if (waited.Elapsed > ReadyTimeout)
            {
                throw new TimeoutException($"node {nodeId} not ready {ReadyTimeout.TotalSeconds:F0} s after the fault ended: {last.Status} {last.Body}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Applies the fault; returns the Stopwatch timestamp at which the node's recovery began (restart launched, SIGCONT sent).</summary>
    private async Task<long> ApplyAsync(PlannedFault fault, FaultRecord record)
    {
        long recovery;
        switch (fault.Kind)
        {
            case FaultKind.Kill:
                await cluster.KillAsync(fault.NodeId);
                await Task.Delay(fault.Hold);
                recovery = Stopwatch.GetTimestamp();
                await cluster.StartAsync(fault.NodeId, waitForReady: false);
                break;
            case FaultKind.Pause:
                cluster.Pause(fault.NodeId);
                await Task.Delay(fault.Hold);
                recovery = Stopwatch.GetTimestamp();
                cluster.Resume(fault.NodeId);
                break;
            case FaultKind.CleanRestart:
                var stopping = Stopwatch.StartNew();
                int exitCode = await cluster.StopAsync(fault.NodeId);
                log.Detail($"node {fault.NodeId} stopped cleanly in {stopping.Elapsed.TotalSeconds:F1} s (exit code {exitCode})");
                if (stopping.Elapsed > record.SlowestCleanStop)
                {
                    record.SlowestCleanStop = stopping.Elapsed;
                }

                if (exitCode != 0)
                {
                    throw new InvalidOperationException($"node {fault.NodeId} exited with code {exitCode} on SIGTERM; see {cluster.Node(fault.NodeId).OutputFile}");
                }

                await Task.Delay(fault.Hold);
                recovery = Stopwatch.GetTimestamp();
                await cluster.StartAsync(fault.NodeId, waitForReady: false);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(fault), fault.Kind, "unknown fault kind");
        }

        return recovery;
    }
}
