using System.Diagnostics;
using Chronik.Cluster.Chaos.Checking;
using Chronik.Cluster.Chaos.Run;
using Chronik.Testing;

namespace Chronik.Cluster.Chaos.Workload;

/// <summary>
/// The clients of a run, started and stopped together: the ledgered producers, the group consumer and
/// the serving probe, all bootstrapping from every node. Ledger times count from <see cref="Started"/>.
/// </summary>
public sealed class ChaosWorkload : IDisposable
{
    private static readonly TimeSpan ClientStopTimeout = TimeSpan.FromSeconds(60);

    private readonly List<LedgeredProducer> _producers = [];
    private readonly CancellationTokenSource _stop = new();
    private Task[] _producing = [];
    private Task? _consuming;

    public ChaosWorkload(string bootstrap, ChaosOptions options, EventLog log)
    {
        Started = Stopwatch.GetTimestamp();
        for (int i = 0; i < options.IdempotentProducers + options.PlainProducers; i++)
        {
            bool idempotent = i < options.IdempotentProducers;
            string id = idempotent ? $"idem{i + 1}" : $"plain{i - options.IdempotentProducers + 1}";
            var ledger = new ProducerLedger(id, idempotent, TimeProvider.System, Started);
            _producers.Add(new LedgeredProducer(ledger, bootstrap, ChaosRun.Topic, options.Partitions, options.ValueSize, options.RecordsPerSecond, log));
        }

        Consumer = new GroupConsumer(bootstrap, ChaosRun.GroupId, ChaosRun.Topic, options.CommitInterval, log);
        Probe = new ServingProbe(new ProducerLedger("probe", idempotent: false, TimeProvider.System, Started), bootstrap, ChaosRun.Topic, options.Partitions, options.ValueSize, log);
    }

    /// <summary>Stopwatch timestamp every ledger time counts from.</summary>
    public long Started { get; }

    public GroupConsumer Consumer { get; }

    public ServingProbe Probe { get; }

    /// <summary>Starts producing and consuming; returns once every producer got acknowledgements, the consumer read, and the probe served.</summary>
    public async Task StartAsync(TimeSpan timeout)
    {
        _producing = [.. _producers.Select(p => Task.Run(() => p.RunAsync(_stop.Token)))];
        _consuming = Consumer.RunAsync(_stop.Token);
        await Probe.WarmUpAsync(timeout);
        await Wait.UntilAsync(
            () => Consumer.ConsumedCount > 0 && _producers.All(p => p.Ledger.AcknowledgedCount > 0),
            "the workload runs (acknowledgements and consumption)",
            timeout);
    }

    /// <summary>
    /// Stops sending, waits until every record sent has its delivery report (up to <paramref name="flushTimeout"/>
    /// for all producers together) and lets the consumer commit once more and leave the group (up to a minute;
    /// a consumer that does not finish is reported in <paramref name="failures"/>). Returns the Stopwatch
    /// timestamp at which sending stopped.
    /// </summary>
    public async Task<long> StopAsync(TimeSpan flushTimeout, List<string> failures, EventLog log)
    {
        long stopped = Stopwatch.GetTimestamp();
        await _stop.CancelAsync();
        await Task.WhenAll(_producing);
        foreach (LedgeredProducer producer in _producers)
        {
            TimeSpan left = flushTimeout - Stopwatch.GetElapsedTime(stopped);
            int unanswered = producer.Flush(left > TimeSpan.Zero ? left : TimeSpan.Zero);
            log.Event($"producer {producer.Ledger.ProducerId}: {producer.Ledger.AcknowledgedCount} acknowledged, {unanswered} without a report after the flush");
        }

        if (_consuming is { } consuming && await Task.WhenAny(consuming, Task.Delay(ClientStopTimeout)) != consuming)
        {
            failures.Add($"the group consumer's last commit or leaving the group did not return within {ClientStopTimeout.TotalSeconds:F0} s");
        }

        return stopped;
    }

    /// <summary>Every producer's ledger, the probe's last.</summary>
    public IReadOnlyList<ProducerHistory> Histories() => [.. _producers.Select(p => p.Ledger.Snapshot()), Probe.Ledger.Snapshot()];

    public void Dispose()
    {
        _stop.Cancel();
        // The client loops end within a poll interval of the cancellation, unless a call into librdkafka
        // hangs (a synchronous commit while no group coordinator answers). Disposing a client that another
        // thread is inside of hangs too, so such a client is left to the end of the test process.
        bool producersDone = Task.WhenAll(_producing).ContinueWith(_ => { }, TaskScheduler.Default).Wait(ClientStopTimeout);
        bool consumerDone = _consuming is null || _consuming.ContinueWith(_ => { }, TaskScheduler.Default).Wait(ClientStopTimeout);
        if (producersDone)
        {
            foreach (LedgeredProducer producer in _producers)
            {
                producer.Dispose();
            }
        }

        if (consumerDone)
        {
            Consumer.Dispose();
        }

        Probe.Dispose();
        _stop.Dispose();
    }
}
