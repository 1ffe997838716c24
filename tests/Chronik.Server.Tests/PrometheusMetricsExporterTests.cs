using System.Diagnostics.Metrics;
using Chronik.Server.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace Chronik.Server.Tests;

public class PrometheusMetricsExporterTests
{
    [Fact]
    public void Counters_gauges_and_histograms_render_in_the_prometheus_text_format()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        using var exporter = new PrometheusMetricsExporter(factory);
        var meter = factory.Create("Chronik.Test");
        var requests = meter.CreateCounter<long>("chronik.test.requests", "{request}", "Requests.");
        var bytes = meter.CreateCounter<long>("chronik.test.received", "By", "Bytes.");
        var latency = meter.CreateHistogram("chronik.test.duration", "s", "Latency.", null, new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 1] });
        long open = 3;
        meter.CreateObservableGauge("chronik.test.open", () => open, "{connection}", "Open.");

        requests.Add(2, new KeyValuePair<string, object?>("api", "Produce"));
        requests.Add(1, new KeyValuePair<string, object?>("api", "Produce"));
        requests.Add(1, new KeyValuePair<string, object?>("api", "Fe\"tch"));
        bytes.Add(100);
        latency.Record(0.05, new KeyValuePair<string, object?>("api", "Produce"));
        latency.Record(0.5, new KeyValuePair<string, object?>("api", "Produce"));
        latency.Record(5, new KeyValuePair<string, object?>("api", "Produce"));

        string text = exporter.Scrape();

        Assert.Contains("# HELP chronik_test_requests_total Requests.\n# TYPE chronik_test_requests_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains("chronik_test_requests_total{api=\"Produce\"} 3\n", text, StringComparison.Ordinal);
        Assert.Contains("chronik_test_requests_total{api=\"Fe\\\"tch\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE chronik_test_received_bytes_total counter\nchronik_test_received_bytes_total 100\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE chronik_test_open gauge\nchronik_test_open 3\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE chronik_test_duration_seconds histogram\n", text, StringComparison.Ordinal);
        Assert.Contains("chronik_test_duration_seconds_bucket{api=\"Produce\",le=\"0.1\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("chronik_test_duration_seconds_bucket{api=\"Produce\",le=\"1\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("chronik_test_duration_seconds_bucket{api=\"Produce\",le=\"+Inf\"} 3\n", text, StringComparison.Ordinal);
        Assert.Contains("chronik_test_duration_seconds_sum{api=\"Produce\"} 5.55\n", text, StringComparison.Ordinal);
        Assert.Contains("chronik_test_duration_seconds_count{api=\"Produce\"} 3\n", text, StringComparison.Ordinal);

        open = 1;
        Assert.Contains("chronik_test_open 1\n", exporter.Scrape(), StringComparison.Ordinal);
    }

    [Fact]
    public void Tag_order_does_not_split_a_series_and_other_hosts_meters_are_not_exported()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var otherServices = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        using var exporter = new PrometheusMetricsExporter(factory);
        var counter = factory.Create("Chronik.Test").CreateCounter<long>("chronik.test.events");
        var foreign = otherServices.GetRequiredService<IMeterFactory>().Create("Chronik.Test").CreateCounter<long>("chronik.test.foreign");
        var aspnet = factory.Create("Microsoft.AspNetCore.Routing").CreateCounter<long>("aspnetcore.routing.match_attempts");

        counter.Add(1, new("a", "1"), new("b", "2"));
        counter.Add(1, new("b", "2"), new("a", "1"));
        foreign.Add(1);
        aspnet.Add(1);

        string text = exporter.Scrape();
        Assert.Contains("chronik_test_events_total{a=\"1\",b=\"2\"} 2\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("foreign", text, StringComparison.Ordinal);
        Assert.DoesNotContain("aspnetcore", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("chronik.kafka.requests", "chronik_kafka_requests")]
    [InlineData("dotnet.gc.heap-size", "dotnet_gc_heap_size")]
    [InlineData("9lives", "_9lives")]
    public void Names_are_sanitized(string name, string expected) => Assert.Equal(expected, PrometheusMetricsExporter.Sanitize(name));
}
