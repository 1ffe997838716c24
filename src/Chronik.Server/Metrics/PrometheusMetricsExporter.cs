using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Chronik.Server.Metrics;

/// <summary>
/// Collects System.Diagnostics.Metrics instruments with a <see cref="MeterListener"/> and renders them in
/// the Prometheus text format (version 0.0.4) for GET /metrics.
/// </summary>
/// <remarks>
/// <para>Which meters: those created by this host's <see cref="IMeterFactory"/> (every component's
/// metrics class takes it from DI), meters named "Chronik.*" created without a factory, and the
/// runtime's "System.Runtime" meter (GC, memory, CPU, thread pool).</para>
/// <para>Names: dots and other invalid characters become underscores; a unit of "s", "ms" or "By" adds
/// _seconds, _milliseconds or _bytes (unless the name already ends so); counters end in _total.
/// Counter → counter, UpDownCounter and gauges → gauge, Histogram → histogram with the bucket
/// boundaries the instrument advises (else Prometheus' defaults).</para>
/// </remarks>
public sealed class PrometheusMetricsExporter : IDisposable
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private const string RuntimeMeterName = "System.Runtime";
    private static readonly double[] DefaultBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly object? _scope;
    private readonly MeterListener _listener;
    private readonly ConcurrentDictionary<Instrument, InstrumentSeries> _instruments = new();
    private readonly Lock _scrapeLock = new();

    /// <param name="meterFactory">The host's factory; its meters are exported.</param>
    public PrometheusMetricsExporter(IMeterFactory meterFactory)
    {
        _scope = meterFactory;
        _listener = new MeterListener { InstrumentPublished = OnInstrumentPublished };
        _listener.SetMeasurementEventCallback<byte>(static (i, v, t, s) => ((InstrumentSeries)s!).Record(v, t));
        _listener.SetMeasurementEventCallback<short>(static (i, v, t, s) => ((InstrumentSeries)s!).Record(v, t));
        _listener.SetMeasurementEventCallback<int>(static (i, v, t, s) => ((InstrumentSeries)s!).Record(v, t));
        _listener.SetMeasurementEventCallback<long>(static (i, v, t, s) => ((InstrumentSeries)s!).Record(v, t));
        _listener.SetMeasurementEventCallback<float>(static (i, v, t, s) => ((InstrumentSeries)s!).Record(v, t));
        _listener.SetMeasurementEventCallback<double>(static (i, v, t, s) => ((InstrumentSeries)s!).Record(v, t));
        _listener.SetMeasurementEventCallback<decimal>(static (i, v, t, s) => ((InstrumentSeries)s!).Record((double)v, t));
        _listener.MeasurementsCompleted = (instrument, state) => _instruments.TryRemove(instrument, out InstrumentSeries? _);
        _listener.Start();
    }

    /// <summary>Renders every exported instrument in the Prometheus text format.</summary>
    public string Scrape()
    {
        lock (_scrapeLock)
        {
            foreach (var series in _instruments.Values)
            {
                series.BeginObservation();
            }

            _listener.RecordObservableInstruments();

            var families = new SortedDictionary<string, List<InstrumentSeries>>(StringComparer.Ordinal);
            foreach (var series in _instruments.Values)
            {
                if (!families.TryGetValue(series.Name, out var list))
                {
                    families[series.Name] = list = [];
                }

                list.Add(series);
            }

            var text = new StringBuilder(4096);
            foreach (var (name, members) in families)
            {
                members[0].WriteHeader(text);
                foreach (var series in members)
                {
                    series.WriteSamples(text);
                }
            }

            return text.ToString();
        }
    }

    public void Dispose() => _listener.Dispose();

    internal static string MetricName(Instrument instrument)
    {
        string name = Sanitize(instrument.Name);
        string? unitSuffix = instrument.Unit switch
        {
            "s" => "_seconds",
            "ms" => "_milliseconds",
            "By" => "_bytes",
            _ => null,
        };
        if (unitSuffix is not null && !name.EndsWith(unitSuffix, StringComparison.Ordinal))
        {
            name += unitSuffix;
        }

        bool monotonic = IsCounter(instrument);
        return monotonic && !name.EndsWith("_total", StringComparison.Ordinal) ? name + "_total" : name;
    }

    internal static string Sanitize(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (char c in name)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or ':' ? c : '_');
        }

        if (builder.Length > 0 && char.IsAsciiDigit(builder[0]))
        {
            builder.Insert(0, '_');
        }

        return builder.ToString();
    }

    private static bool IsCounter(Instrument instrument)
    {
        Type type = instrument.GetType();
        return type.IsGenericType && type.GetGenericTypeDefinition() is var d && (d == typeof(Counter<>) || d == typeof(ObservableCounter<>));
    }

    private static double[] BucketsOf(Instrument instrument) => instrument switch
    {
        Histogram<double> { Advice.HistogramBucketBoundaries: { } b } => [.. b],
        Histogram<float> { Advice.HistogramBucketBoundaries: { } b } => [.. b.Select(x => (double)x)],
        Histogram<long> { Advice.HistogramBucketBoundaries: { } b } => [.. b.Select(x => (double)x)],
        Histogram<int> { Advice.HistogramBucketBoundaries: { } b } => [.. b.Select(x => (double)x)],
        _ => DefaultBuckets,
    };

    private void OnInstrumentPublished(Instrument instrument, MeterListener listener)
    {
        // Chronik's meters (from this host's factory, or made without one) and the runtime's; not ASP.NET
        // Core's own HTTP/routing meters, whose names are not ours to keep stable.
        Meter meter = instrument.Meter;
        bool ours = meter.Name == RuntimeMeterName
            || (meter.Name.StartsWith("Chronik.", StringComparison.Ordinal) && (meter.Scope is null || ReferenceEquals(meter.Scope, _scope)));
        if (!ours)
        {
            return;
        }

        Type definition = instrument.GetType().GetGenericTypeDefinition();
        SeriesKind kind = definition == typeof(Histogram<>) ? SeriesKind.Histogram
            : definition == typeof(Counter<>) || definition == typeof(UpDownCounter<>) ? SeriesKind.Sum
            : SeriesKind.LastValue;
        var series = new InstrumentSeries(instrument, MetricName(instrument), kind, IsCounter(instrument), kind == SeriesKind.Histogram ? BucketsOf(instrument) : []);
        _instruments[instrument] = series;
        listener.EnableMeasurementEvents(instrument, series);
    }

    private enum SeriesKind
    {
        /// <summary>Synchronous counters: measurements are added.</summary>
        Sum,

        /// <summary>Observable instruments and gauges: each observation replaces the value.</summary>
        LastValue,

        Histogram,
    }

    /// <summary>All series (label sets) of one instrument.</summary>
    private sealed class InstrumentSeries(Instrument instrument, string name, SeriesKind kind, bool counter, double[] buckets)
    {
        private readonly ConcurrentDictionary<SeriesKey, Cell> _cells = new();

        public string Name { get; } = name;

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var key = SeriesKey.From(tags);
            if (!_cells.TryGetValue(key, out var cell))
            {
                cell = _cells.GetOrAdd(key, _ => new Cell(buckets.Length));
            }

            switch (kind)
            {
                case SeriesKind.Sum:
                    cell.Add(value);
                    break;
                case SeriesKind.LastValue:
                    cell.Set(value);
                    break;
                default:
                    cell.Observe(value, buckets);
                    break;
            }
        }

        /// <summary>Observable instruments report afresh on each scrape: forget label sets that went away.</summary>
        public void BeginObservation()
        {
            if (instrument.IsObservable)
            {
                _cells.Clear();
            }
        }

        public void WriteHeader(StringBuilder text)
        {
            if (!string.IsNullOrEmpty(instrument.Description))
            {
                text.Append("# HELP ").Append(Name).Append(' ').Append(EscapeHelp(instrument.Description)).Append('\n');
            }

            string type = kind == SeriesKind.Histogram ? "histogram" : counter ? "counter" : "gauge";
            text.Append("# TYPE ").Append(Name).Append(' ').Append(type).Append('\n');
        }

        public void WriteSamples(StringBuilder text)
        {
            foreach (var (key, cell) in _cells)
            {
                var labels = key.Labels.ToList();
                if (kind != SeriesKind.Histogram)
                {
                    WriteSample(text, Name, labels, null, cell.Value);
                    continue;
                }

                long cumulative = 0;
                for (int i = 0; i < buckets.Length; i++)
                {
                    cumulative += cell.BucketCount(i);
                    WriteSample(text, Name + "_bucket", labels, Format(buckets[i]), cumulative);
                }

                WriteSample(text, Name + "_bucket", labels, "+Inf", cell.Count);
                WriteSample(text, Name + "_sum", labels, null, cell.Value);
                WriteSample(text, Name + "_count", labels, null, cell.Count);
            }
        }

        private static void WriteSample(StringBuilder text, string name, List<KeyValuePair<string, string>> labels, string? le, double value)
        {
            text.Append(name);
            if (labels.Count > 0 || le is not null)
            {
                text.Append('{');
                bool first = true;
                foreach (var (labelName, labelValue) in labels)
                {
                    text.Append(first ? "" : ",").Append(Sanitize(labelName)).Append("=\"").Append(EscapeLabel(labelValue)).Append('"');
                    first = false;
                }

                if (le is not null)
                {
                    text.Append(first ? "" : ",").Append("le=\"").Append(le).Append('"');
                }

                text.Append('}');
            }

            text.Append(' ').Append(Format(value)).Append('\n');
        }

        private static string Format(double value) =>
            double.IsPositiveInfinity(value) ? "+Inf"
            : double.IsNegativeInfinity(value) ? "-Inf"
            : double.IsNaN(value) ? "NaN"
            : value.ToString("R", CultureInfo.InvariantCulture);

        private static string EscapeHelp(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

        private static string EscapeLabel(string text) =>
            text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
    }

    /// <summary>One series' state, updated lock-free from any thread.</summary>
    private sealed class Cell(int bucketCount)
    {
        private readonly long[] _buckets = new long[bucketCount];
        private long _valueBits;
        private long _count;

        public double Value => BitConverter.Int64BitsToDouble(Volatile.Read(ref _valueBits));

        public long Count => Volatile.Read(ref _count);

        public long BucketCount(int index) => Volatile.Read(ref _buckets[index]);

        public void Set(double value) => Volatile.Write(ref _valueBits, BitConverter.DoubleToInt64Bits(value));

        public void Add(double value)
        {
            long current = Volatile.Read(ref _valueBits);
            while (true)
            {
                long updated = BitConverter.DoubleToInt64Bits(BitConverter.Int64BitsToDouble(current) + value);
                long seen = Interlocked.CompareExchange(ref _valueBits, updated, current);
                if (seen == current)
                {
                    return;
                }

                current = seen;
            }
        }

        public void Observe(double value, double[] boundaries)
        {
            // Prometheus buckets are upper-inclusive (le); values above the last boundary only count in +Inf.
            int index = Array.BinarySearch(boundaries, value);
            if (index < 0)
            {
                index = ~index;
            }

            if (index < _buckets.Length)
            {
                Interlocked.Increment(ref _buckets[index]);
            }

            Add(value);
            Interlocked.Increment(ref _count);
        }
    }
}
