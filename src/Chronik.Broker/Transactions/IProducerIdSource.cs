using Chronik.Protocol.Wire;

namespace Chronik.Broker.Transactions;

/// <summary>
/// Producer ids unique across the cluster (allocated in blocks through the metadata quorum by the producer-id
/// manager of the idempotence work). The transaction coordinator asks for one when a transactional id is new or
/// its epochs are exhausted; an error (e.g. COORDINATOR_LOAD_IN_PROGRESS while no block is available yet) is
/// passed on to the client, which retries.
/// </summary>
public interface IProducerIdSource
{
    ValueTask<(ErrorCode Error, long ProducerId)> GenerateProducerIdAsync(CancellationToken cancellationToken);
}

/// <summary>The broker's <see cref="Producers.ProducerIdManager"/> (id blocks from the controller) as the coordinator's source.</summary>
public sealed class ProducerIdManagerSource(Producers.ProducerIdManager manager) : IProducerIdSource
{
    public ValueTask<(ErrorCode Error, long ProducerId)> GenerateProducerIdAsync(CancellationToken cancellationToken) =>
        manager.GenerateProducerIdAsync(cancellationToken);
}
