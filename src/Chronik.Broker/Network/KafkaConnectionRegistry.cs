using System.Collections.Concurrent;

namespace Chronik.Broker.Network;

/// <summary>
/// The open Kafka connections of this process: enforces max.connections at accept, hands out connection
/// ids, and sweeps for connections idle longer than connections.max.idle.ms.
/// </summary>
/// <remarks>
/// One timer for all connections instead of one per connection: the sweep runs every quarter of the
/// idle timeout (at most once a second, at least every 10 ms), so an idle connection closes between
/// 1× and 1.25× the timeout, as Kafka's selector-based idle expiry also does not close at the exact ms.
/// </remarks>
public sealed class KafkaConnectionRegistry : IDisposable
{
    private static readonly TimeSpan MaxSweepPeriod = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MinSweepPeriod = TimeSpan.FromMilliseconds(10);

    private readonly KafkaListenerOptions _options;
    private readonly ConcurrentDictionary<long, KafkaConnection> _connections = new();
    private readonly ITimer? _idleSweep;
    private long _lastId;
    private int _admitted;

    public KafkaConnectionRegistry(KafkaListenerOptions options, TimeProvider time)
    {
        options.Validate();
        _options = options;
        if (options.IdleTimeout > TimeSpan.Zero)
        {
            TimeSpan period = options.IdleTimeout / 4;
            period = period > MaxSweepPeriod ? MaxSweepPeriod : period < MinSweepPeriod ? MinSweepPeriod : period;
            _idleSweep = time.CreateTimer(static state => ((KafkaConnectionRegistry)state!).SweepIdle(), this, period, period);
        }
    }

    /// <summary>Connections admitted and not yet closed.</summary>
    public int OpenConnections => Volatile.Read(ref _admitted);

    /// <summary>Asks every open connection to stop reading and close once its in-flight requests are answered.</summary>
    public void CloseAll(ConnectionCloseReason reason)
    {
        foreach (var connection in _connections.Values)
        {
            connection.RequestStop(reason);
        }
    }

    public void Dispose() => _idleSweep?.Dispose();

    /// <summary>Takes a connection slot; false when max.connections are already open.</summary>
    internal bool TryAdmit()
    {
        if (Interlocked.Increment(ref _admitted) <= _options.MaxConnections)
        {
            return true;
        }

        Interlocked.Decrement(ref _admitted);
        return false;
    }

    internal long NextConnectionId() => Interlocked.Increment(ref _lastId);

    internal void Add(KafkaConnection connection) => _connections[connection.Context.Id] = connection;

    /// <summary>Forgets a connection and frees its slot.</summary>
    internal void Remove(KafkaConnection connection)
    {
        _connections.TryRemove(connection.Context.Id, out _);
        Interlocked.Decrement(ref _admitted);
    }

    private void SweepIdle()
    {
        foreach (var connection in _connections.Values)
        {
            connection.CloseIfIdle();
        }
    }
}
