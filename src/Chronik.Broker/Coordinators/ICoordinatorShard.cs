using Chronik.Protocol.Wire;

namespace Chronik.Broker.Coordinators;

/// <summary>The producer that wrote a transactional batch of a coordinator partition (a TxnOffsetCommit's producer).</summary>
public readonly record struct TransactionalProducer(long ProducerId, short ProducerEpoch);

/// <summary>
/// The state of one coordinator partition as pure decision logic: no I/O, no clock of its own. The
/// <see cref="CoordinatorRuntime{TShard, TRecord}"/> runs one operation at a time on it, appends what it put in
/// <see cref="Effects"/>, fires its <see cref="Timers"/>, and rebuilds it by replaying the partition.
/// </summary>
public interface ICoordinatorShard<TRecord>
    where TRecord : class
{
    /// <summary>What the current operation wrote and answers later.</summary>
    CoordinatorEffects<TRecord> Effects { get; }

    /// <summary>Named deadlines the runtime fires through <see cref="RunExpiredTimers"/>.</summary>
    CoordinatorTimers Timers { get; }

    /// <summary>The shard's clock, in ms since the epoch (the timestamp of the batches it writes).</summary>
    long NowMs { get; }

    /// <summary>Applies one record read while loading; <paramref name="transaction"/> is set for a record of a transactional batch.</summary>
    void Replay(TRecord record, TransactionalProducer? transaction);

    /// <summary>Applies a transaction marker (control batch) read while loading.</summary>
    void ReplayEndTransaction(long producerId, bool committed);

    /// <summary>After loading, before serving: sessions, expiry checks, unfinished work.</summary>
    void OnLoaded();

    /// <summary>Runs every timer due now (each may schedule others).</summary>
    void RunExpiredTimers();

    /// <summary>The partition is gone: every waiting request is answered <paramref name="error"/>, state dropped.</summary>
    void Unload(ErrorCode error);
}

/// <summary>Keys and values of one coordinator's records, in Kafka's formats.</summary>
public interface ICoordinatorRecordSerde<TRecord>
    where TRecord : class
{
    /// <summary>The key and value (null for a tombstone) of <paramref name="record"/>.</summary>
    (byte[] Key, byte[]? Value) Encode(TRecord record);

    /// <summary>The record, or null for a type this coordinator does not use; throws <see cref="MalformedMessageException"/> on bad bytes.</summary>
    TRecord? Decode(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte>? value);
}
