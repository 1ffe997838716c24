using Chronik.Protocol.Wire;

namespace Chronik.Broker.Producers;

/// <summary>What InitProducerId answers: an error, or the producer id and epoch to use.</summary>
public readonly record struct InitProducerIdResult(ErrorCode Error, long ProducerId, short ProducerEpoch)
{
    public static InitProducerIdResult Failed(ErrorCode error) => new(error, -1, -1);
}

/// <summary>
/// The transaction coordinator's part of InitProducerId: a transactional id (Kafka's
/// TransactionCoordinator.handleInitProducerId for a non-null id — coordinator ownership, transaction timeout,
/// fencing, the KIP-360 epoch bump against <paramref name="producerId"/>/<paramref name="producerEpoch"/>). The
/// idempotent path (no transactional id) never gets here: the InitProducerId handler serves it from the
/// <see cref="ProducerIdManager"/>. Errors are the current ones (e.g. PRODUCER_FENCED); the handler maps them
/// for older request versions.
/// </summary>
public interface ITransactionCoordinator
{
    /// <param name="producerId">-1, or the producer's current id (v3+, KIP-360).</param>
    /// <param name="producerEpoch">-1, or the producer's current epoch (v3+).</param>
    ValueTask<InitProducerIdResult> InitProducerIdAsync(string transactionalId, int transactionTimeoutMs, long producerId, short producerEpoch, CancellationToken cancellationToken);
}
