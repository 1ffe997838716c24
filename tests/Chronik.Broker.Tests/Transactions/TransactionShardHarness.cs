using Chronik.Broker.Coordinators;
using Chronik.Broker.Transactions;
using Chronik.Broker.Transactions.Records;
using Chronik.Storage;
using Microsoft.Extensions.Time.Testing;

namespace Chronik.Broker.Tests.Transactions;

/// <summary>Records the marker jobs a shard hands out (nothing is written: tests complete them explicitly).</summary>
internal sealed class RecordingMarkerChannel : ITransactionMarkerChannel
{
    public List<TransactionMarkerJob> Jobs { get; } = [];

    public void Send(TransactionMarkerJob job) => Jobs.Add(job);
}

/// <summary>
/// Drives a <see cref="TransactionCoordinatorShard"/> the way the runtime does, on virtual time: every operation's
/// effects are drained at once (records kept through the codec, follow-ups run as if durable), timers fire as time
/// advances, and <see cref="Reloaded"/> builds what a reload of the written records would serve.
/// </summary>
internal sealed class TransactionShardHarness
{
    public const int Partition = 3;
    public const int CoordinatorEpoch = 7;

    public TransactionShardHarness(TransactionCoordinatorOptions? options = null, FakeTimeProvider? time = null)
    {
        Options = options ?? new TransactionCoordinatorOptions();
        Time = time ?? new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
        Shard = new TransactionCoordinatorShard(Partition, CoordinatorEpoch, Options, Time, Markers);
        Shard.OnLoaded();
        Flush();
    }

    public TransactionCoordinatorOptions Options { get; }

    public FakeTimeProvider Time { get; }

    public RecordingMarkerChannel Markers { get; } = new();

    public TransactionCoordinatorShard Shard { get; private set; }

    /// <summary>Every record written, in order, as the codec wrote it.</summary>
    public List<(byte[] Key, byte[]? Value)> Written { get; } = [];

    public long NextProducerId { get; set; } = 1000;

    public T Run<T>(Func<TransactionCoordinatorShard, T> operation)
    {
        T result = operation(Shard);
        Flush();
        return result;
    }

    /// <summary>InitProducerId as the coordinator does it: a fresh producer id when the shard asks for one.</summary>
    public TransactionalProducerIdResult Init(string transactionalId, int timeoutMs = 60_000, long expectedProducerId = -1, short expectedEpoch = -1)
    {
        TransactionalProducerIdResult result = Run(s => s.InitProducerId(transactionalId, timeoutMs, expectedProducerId, expectedEpoch, null));
        return result.NeedsProducerId ? Run(s => s.InitProducerId(transactionalId, timeoutMs, expectedProducerId, expectedEpoch, NextProducerId++)) : result;
    }

    public EndTxnResult End(string transactionalId, long producerId, short epoch, bool commit, short transactionVersion = 0)
    {
        EndTxnResult result = Run(s => s.EndTransaction(transactionalId, producerId, epoch, commit, transactionVersion));
        return result.NeedsProducerId ? Run(s => s.EndTransaction(transactionalId, producerId, epoch, commit, transactionVersion, NextProducerId++)) : result;
    }

    /// <summary>Delivers every marker job sent so far (all markers written) and completes their transactions.</summary>
    public void CompleteMarkers()
    {
        var jobs = Markers.Jobs.ToList();
        Markers.Jobs.Clear();
        foreach (TransactionMarkerJob job in jobs)
        {
            Run(s =>
            {
                s.CompleteTransaction(job);
                return 0;
            });
        }
    }

    public void Advance(TimeSpan by)
    {
        long target = Time.GetUtcNow().ToUnixTimeMilliseconds() + (long)by.TotalMilliseconds;
        while (Shard.Timers.NextDeadline is { } next && next <= target)
        {
            long now = Time.GetUtcNow().ToUnixTimeMilliseconds();
            if (next > now)
            {
                Time.Advance(TimeSpan.FromMilliseconds(next - now));
            }

            Shard.RunExpiredTimers();
            Flush();
        }

        long remaining = target - Time.GetUtcNow().ToUnixTimeMilliseconds();
        if (remaining > 0)
        {
            Time.Advance(TimeSpan.FromMilliseconds(remaining));
        }
    }

    public void Flush()
    {
        CoordinatorEffectsBatch<TransactionLogRecord> effects = Shard.Effects.Drain();
        foreach (TransactionLogRecord record in effects.Records)
        {
            Written.Add(TransactionLogCodec.Instance.Encode(record));
        }

        foreach (PendingResponse response in effects.Responses)
        {
            Assert.Fail($"the transaction coordinator answers directly, not with pending responses: {response}");
        }

        foreach (Action action in effects.AfterWrite)
        {
            action();
        }
    }

    /// <summary>A fresh shard that replayed everything written so far (what a reload would build); its markers go to <paramref name="markers"/>.</summary>
    public TransactionCoordinatorShard Reloaded(ITransactionMarkerChannel? markers = null)
    {
        var shard = new TransactionCoordinatorShard(Partition, CoordinatorEpoch, Options, Time, markers ?? new RecordingMarkerChannel());
        foreach (var (key, value) in Written)
        {
            shard.Replay(TransactionLogCodec.Instance.Decode(key, value is null ? (ReadOnlyMemory<byte>?)null : value)!, null);
        }

        return shard;
    }

    /// <summary>Replaces the shard by a reloaded one (a coordinator failover onto the same log), running its load follow-ups.</summary>
    public void Reload()
    {
        Shard = Reloaded(Markers);
        Shard.OnLoaded();
        Flush();
    }

    /// <summary>The live state equals what a reload builds (Kafka keeps the last epoch in memory only).</summary>
    public void AssertReloadMatches()
    {
        TransactionCoordinatorShard reloaded = Reloaded();
        Assert.Equal(Shard.Transactions.Keys.Order(), reloaded.Transactions.Keys.Order());
        foreach (var (id, metadata) in Shard.Transactions)
        {
            Assert.Equal(metadata.ToLogValue(), reloaded.Transactions[id].ToLogValue());
        }
    }

    public static TopicPartition Tp(string topic, int partition = 0) => new(topic, partition);
}
