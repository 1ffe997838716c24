using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.IO.Pipelines;
using Chronik.Broker.Network;
using Chronik.Testing;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
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

    [Fact]
    public async Task A_clean_end_of_stream_counts_as_client_closed_even_when_the_transport_reports_the_close_first()
    {
        var processor = new ScriptedProcessor();
        await using var host = await ListenerHost.StartAsync(processor);
        var factory = host.Services.GetRequiredService<IMeterFactory>();
        var closes = new ConcurrentQueue<string>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, factory) && instrument.Name == "chronik.kafka.connections.closed")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, _, tags, _) => closes.Enqueue(Key(instrument, tags)));
        listener.Start();
        var handler = ActivatorUtilities.CreateInstance<KafkaConnectionHandler>(host.Services);
        var connection = new PipeConnection();

        var serving = handler.OnConnectedAsync(connection);
        await connection.Input.Writer.WriteAsync(TestFrames.Request(1));
        await ReadResponseAsync(connection.Output.Reader);
        // Kestrel's order on a client's FIN: the input completes, then ConnectionClosed fires — and the read loop
        // may run only after both (its continuation is held back here until then).
        connection.ReadScheduler.Hold();
        await connection.Input.Writer.CompleteAsync();
        connection.Close();
        connection.ReadScheduler.Release();
        await serving.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(["chronik.kafka.connections.closed reason=client_closed"], closes);
    }

    private static async Task ReadResponseAsync(PipeReader reader)
    {
        while (true)
        {
            var result = await reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            if (result.Buffer.Length >= 8)
            {
                reader.AdvanceTo(result.Buffer.End);
                return;
            }

            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
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

    /// <summary>A connection over two in-memory pipes whose ConnectionClosed the test fires.</summary>
    private sealed class PipeConnection : ConnectionContext
    {
        private readonly CancellationTokenSource _closed = new();

        public PipeConnection()
        {
            Input = new Pipe(new PipeOptions(readerScheduler: ReadScheduler));
            Transport = new DuplexPipe(Input.Reader, Output.Writer);
        }

        /// <summary>Runs the connection's read continuations on the thread pool, or holds them back.</summary>
        public GatedScheduler ReadScheduler { get; } = new();

        /// <summary>What the client sends: the connection reads it.</summary>
        public Pipe Input { get; }

        /// <summary>What the connection answers.</summary>
        public Pipe Output { get; } = new();

        public override IDuplexPipe Transport { get; set; }

        public override string ConnectionId { get; set; } = "pipe";

        public override IFeatureCollection Features { get; } = new FeatureCollection();

        public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();

        public override CancellationToken ConnectionClosed
        {
            get => _closed.Token;
            set => throw new NotSupportedException();
        }

        public void Close() => _closed.Cancel();

        public override ValueTask DisposeAsync()
        {
            _closed.Dispose();
            return ValueTask.CompletedTask;
        }

        /// <summary>A pipe scheduler that queues continuations while held and hands them to the thread pool on release.</summary>
        public sealed class GatedScheduler : PipeScheduler
        {
            private readonly ConcurrentQueue<(Action<object?> Action, object? State)> _held = new();
            private volatile bool _holding;

            public void Hold() => _holding = true;

            public void Release()
            {
                _holding = false;
                while (_held.TryDequeue(out var work))
                {
                    System.Threading.ThreadPool.UnsafeQueueUserWorkItem(work.Action, work.State, preferLocal: false);
                }
            }

            public override void Schedule(Action<object?> action, object? state)
            {
                if (_holding)
                {
                    _held.Enqueue((action, state));
                }
                else
                {
                    System.Threading.ThreadPool.UnsafeQueueUserWorkItem(action, state, preferLocal: false);
                }
            }
        }

        private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
        {
            public PipeReader Input { get; } = input;

            public PipeWriter Output { get; } = output;
        }
    }
}
