using System.Diagnostics.Metrics;

namespace Chronik.Broker.Network;

/// <summary>
/// Metrics of the Kafka connection layer (meter "Chronik.Broker.Network"). Instrument names are stable:
/// the Prometheus exporter turns "chronik.kafka.requests" into chronik_kafka_requests_total and a unit
/// of "s" / "By" into a _seconds / _bytes suffix (see src/Chronik.Broker/Network/README.md).
/// </summary>
public sealed class KafkaNetworkMetrics
{
    public const string MeterName = "Chronik.Broker.Network";

    // Request latency buckets in seconds: 100 µs (a cached metadata answer) to 30 s (long fetches).
    private static readonly double[] LatencyBuckets =
        [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    private static readonly string[] CloseReasonLabels =
        ["client_closed", "aborted", "idle", "shutdown", "invalid_frame_size", "closed_by_processor", "processor_failed"];

    private long _open;
    private long _inFlight;
    private readonly Counter<long> _accepted;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _closed;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _received;
    private readonly Counter<long> _sent;

    public KafkaNetworkMetrics(IMeterFactory meterFactory)
    {
        Meter meter = meterFactory.Create(MeterName);
        // Observed rather than counted per event, so the gauges read 0 (not absent) before the first connection.
        meter.CreateObservableUpDownCounter("chronik.kafka.connections.open", () => Volatile.Read(ref _open), "{connection}", "Kafka connections currently open.");
        _accepted = meter.CreateCounter<long>("chronik.kafka.connections.accepted", "{connection}", "Kafka connections accepted.");
        _rejected = meter.CreateCounter<long>("chronik.kafka.connections.rejected", "{connection}", "Kafka connections closed at accept because max.connections were open.");
        _closed = meter.CreateCounter<long>("chronik.kafka.connections.closed", "{connection}", "Kafka connections closed, by reason.");
        _requests = meter.CreateCounter<long>("chronik.kafka.requests", "{request}", "Kafka requests received, by API.");
        meter.CreateObservableUpDownCounter("chronik.kafka.requests.inflight", () => Volatile.Read(ref _inFlight), "{request}", "Kafka requests read but not yet answered.");
        _duration = meter.CreateHistogram(
            "chronik.kafka.request.duration",
            "s",
            "Time from a request's last byte read to its response written, by API.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _received = meter.CreateCounter<long>("chronik.kafka.network.received", "By", "Bytes read from Kafka connections.");
        _sent = meter.CreateCounter<long>("chronik.kafka.network.sent", "By", "Bytes written to Kafka connections.");
    }

    internal void ConnectionOpened()
    {
        _accepted.Add(1);
        Interlocked.Increment(ref _open);
    }

    internal void ConnectionRejected() => _rejected.Add(1);

    internal void ConnectionClosed(ConnectionCloseReason reason)
    {
        Interlocked.Decrement(ref _open);
        _closed.Add(1, new KeyValuePair<string, object?>("reason", CloseReasonLabels[(int)reason]));
    }

    internal void RequestStarted(string api)
    {
        _requests.Add(1, new KeyValuePair<string, object?>("api", api));
        Interlocked.Increment(ref _inFlight);
    }

    internal void RequestFinished(string api, TimeSpan elapsed)
    {
        Interlocked.Decrement(ref _inFlight);
        _duration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("api", api));
    }

    internal void BytesReceived(long count) => _received.Add(count);

    internal void BytesSent(long count) => _sent.Add(count);
}
