using System.Diagnostics.Metrics;

namespace Chronik.Storage;

/// <summary>
/// The storage layer's instruments, on the meter "Chronik.Storage" (System.Diagnostics.Metrics; the server
/// exports them): appended bytes and records, flush round duration, and gauges over the manager's state.
/// Counters on the append path cost one enabled-check when nobody listens.
/// </summary>
internal sealed class StorageMetrics : IDisposable
{
    public const string MeterName = "Chronik.Storage";

    private readonly Meter _meter = new(MeterName);

    public StorageMetrics(LogManager manager)
    {
        AppendedBytes = _meter.CreateCounter<long>("chronik.storage.appended.bytes", "By", "Bytes appended to partition logs");
        AppendedRecords = _meter.CreateCounter<long>("chronik.storage.appended.records", "{record}", "Records appended to partition logs");
        // Milliseconds, from a fast local fsync to a disk shared with heavy writers (whose tail reaches seconds).
        FlushRound = _meter.CreateHistogram("chronik.storage.flush.round.duration", "ms", "Time of one group fsync round", null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500] });
        _meter.CreateObservableCounter("chronik.storage.flush.rounds", () => manager.FlushStatistics.Rounds, "{round}", "Group fsync rounds");
        _meter.CreateObservableCounter("chronik.storage.flush.files", () => manager.FlushStatistics.FilesSynced, "{file}", "Files fsynced by flush rounds");
        _meter.CreateObservableGauge("chronik.storage.files.open", () => manager.OpenFileCount, "{file}", "Segment files open");
        _meter.CreateObservableGauge("chronik.storage.logs", () => manager.Logs.Count, "{log}", "Partition logs");
        _meter.CreateObservableGauge("chronik.storage.offline", () => manager.Failure is null ? 0 : 1, null, "1 when an I/O failure took the log directory offline");
        _meter.CreateObservableCounter("chronik.storage.cleaner.bytes.written", () => manager.Cleaner.Statistics.BytesWritten, "By", "Bytes written by compaction");
    }

    public Counter<long> AppendedBytes { get; }

    public Counter<long> AppendedRecords { get; }

    public Histogram<double> FlushRound { get; }

    public void Dispose() => _meter.Dispose();
}
