using System.Collections.Concurrent;
using System.Globalization;
using Chronik.Testing;
using Confluent.Kafka;

namespace Chronik.Cluster.Integration.Harness;

/// <summary>What the broker answered for one record of the sequence.</summary>
public readonly record struct SequenceDelivery(int Value, ErrorCode Error, int Partition, long Offset);

/// <summary>
/// A Confluent.Kafka producer (acks=all, idempotent, retrying for up to a minute) that writes the sequence
/// "0", "1", "2", … to one topic in the background, at most <c>window</c> records in flight, until stopped.
/// Every delivery report is kept, so a test can account for each acknowledged record.
/// </summary>
public sealed class SequenceProducer : IAsyncDisposable
{
    private readonly IProducer<Null, string> _producer;
    private readonly string _topic;
    private readonly SemaphoreSlim _window;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<int, SequenceDelivery> _deliveries = new();
    private readonly Task _loop;
    private int _next;
    private int _acknowledged;
    private int _failed;

    private SequenceProducer(string bootstrap, string topic, int window)
    {
        _topic = topic;
        _window = new SemaphoreSlim(window);
        _producer = new ProducerBuilder<Null, string>(new ProducerConfig
        {
            BootstrapServers = Loopback.Bootstrap(bootstrap),
            Acks = Acks.All,
            EnableIdempotence = true,
            LingerMs = 2,
            MessageTimeoutMs = 60_000,
            RetryBackoffMs = 100,
            RetryBackoffMaxMs = 500,
            ReconnectBackoffMs = 100,
            ReconnectBackoffMaxMs = 500,
        }).Build();
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Starts producing the sequence to <paramref name="topic"/> through <paramref name="bootstrap"/>.</summary>
    public static SequenceProducer Start(string bootstrap, string topic, int window = 16) => new(bootstrap, topic, window);

    /// <summary>Records acknowledged so far (successful delivery reports).</summary>
    public int Acknowledged => Volatile.Read(ref _acknowledged);

    /// <summary>Records whose delivery failed (the producer gave up on them).</summary>
    public int Failed => Volatile.Read(ref _failed);

    /// <summary>Waits until at least <paramref name="count"/> records are acknowledged.</summary>
    public Task WaitForAcknowledgedAsync(int count, string what, TimeSpan? timeout = null) =>
        Wait.UntilAsync(() => Acknowledged >= count || _loop.IsCompleted, $"{count} records are acknowledged ({what})", timeout ?? TimeSpan.FromSeconds(60));

    /// <summary>Stops producing, waits for every record in flight to be answered, and returns every report in sequence order.</summary>
    public async Task<IReadOnlyList<SequenceDelivery>> StopAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        return [.. _deliveries.Values.OrderBy(d => d.Value)];
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _producer.Dispose();
        _stop.Dispose();
        _window.Dispose();
    }

    private async Task RunAsync()
    {
        while (true)
        {
            try
            {
                await _window.WaitAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            int value = _next++;
            _producer.Produce(_topic, new Message<Null, string> { Value = value.ToString(CultureInfo.InvariantCulture) }, report =>
            {
                _deliveries[value] = new SequenceDelivery(value, report.Error.Code, report.Partition.Value, report.Offset.Value);
                Interlocked.Increment(ref report.Error.IsError ? ref _failed : ref _acknowledged);
                _window.Release();
            });
        }

        // Every record in flight gets its report (the message timeout bounds it).
        _producer.Flush(TimeSpan.FromSeconds(90));
    }
}
