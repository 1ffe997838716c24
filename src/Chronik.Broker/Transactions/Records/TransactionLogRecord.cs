using Chronik.Storage;

namespace Chronik.Broker.Transactions.Records;

/// <summary>One record of __transaction_state: the state of <see cref="TransactionalId"/>, or a tombstone (null value) once it expired.</summary>
public sealed record TransactionLogRecord(string TransactionalId, TransactionLogValue? Value);

/// <summary>
/// Kafka's TransactionLogValue: the producer id and epoch in use, the transaction's timeout, state, partitions and
/// timestamps. <see cref="PreviousProducerId"/>, <see cref="NextProducerId"/> and <see cref="ClientTransactionVersion"/>
/// are the tagged fields of value version 1 (KIP-890: producer id rotation when the epoch overflows).
/// </summary>
public sealed record TransactionLogValue(
    long ProducerId,
    long PreviousProducerId,
    long NextProducerId,
    short ProducerEpoch,
    int TransactionTimeoutMs,
    TransactionState State,
    IReadOnlyList<TopicPartition> Partitions,
    long LastUpdateTimestampMs,
    long StartTimestampMs,
    short ClientTransactionVersion)
{
    public bool Equals(TransactionLogValue? other) =>
        other is not null && ProducerId == other.ProducerId && PreviousProducerId == other.PreviousProducerId && NextProducerId == other.NextProducerId
        && ProducerEpoch == other.ProducerEpoch && TransactionTimeoutMs == other.TransactionTimeoutMs && State == other.State
        && Partitions.SequenceEqual(other.Partitions) && LastUpdateTimestampMs == other.LastUpdateTimestampMs
        && StartTimestampMs == other.StartTimestampMs && ClientTransactionVersion == other.ClientTransactionVersion;

    public override int GetHashCode() => HashCode.Combine(ProducerId, ProducerEpoch, State, Partitions.Count, LastUpdateTimestampMs);
}
