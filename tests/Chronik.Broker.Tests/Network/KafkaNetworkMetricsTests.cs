using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Chronik.Broker.Network;
using Chronik.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Chronik.Broker.Tests.Network;

public class KafkaNetworkMetricsTests
{
    [Fact]
    public async Task Requests_latency_bytes_and_connections_are_measured_per_api()
    {
        var processor = new ScriptedProcessor();
        await using var host = await ListenerHost.StartAsync(processor);
        var factory = host.Services.GetRequiredService<IMeterFactory>();
        var totals = new ConcurrentDictionary<string, double>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, factory) && instrument.Meter.Name == KafkaNetworkMetrics.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => totals.AddOrUpdate(Key(instrument, tags), value, (_, old) => old + value));
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => totals.AddOrUpdate(Key(instrument, tags), 1, (_, old) => old + 1));
        listener.Start();

        using (var client = await RawKafkaClient.ConnectAsync(host.Port))
        {
            await client.SendAsync(TestFrames.Concat([TestFrames.Request(1), TestFrames.Request(2, apiKey: 0)]));
            await client.ReceiveAsync();
            await client.ReceiveAsync();
        }

        await Wait.UntilAsync(() => totals.Keys.Any(k => k.StartsWith("chronik.kafka.connections.closed", StringComparison.Ordinal)), "the connection close was counted");
        Assert.Equal(1, totals.GetValueOrDefault("chronik.kafka.connections.closed reason=client_closed"));
        Assert.Equal(1, totals["chronik.kafka.requests api=ApiVersions"]);
        Assert.Equal(1, totals["chronik.kafka.requests api=Produce"]);
        Assert.Equal(1, totals["chronik.kafka.request.duration api=Produce"]);
        Assert.Equal(1, totals["chronik.kafka.connections.accepted"]);
        Assert.Equal(2 * (4 + 9), totals["chronik.kafka.network.received"]);
        Assert.Equal(2 * (4 + 4), totals["chronik.kafka.network.sent"]);
    }

    private static string Key(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string key = instrument.Name;
        foreach (var tag in tags)
        {
            key += $" {tag.Key}={tag.Value}";
        }

        return key;
    }
}
