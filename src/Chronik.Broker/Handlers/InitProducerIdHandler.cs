using Chronik.Broker.Producers;
using Chronik.Broker.Requests;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Handlers;

/// <summary>
/// InitProducerId (key 22), v0-5.
/// Behavior: without a transactional id (an idempotent producer) every request gets a new producer id, epoch 0,
/// from this broker's block (<see cref="ProducerIdManager"/>; blocks come from the controller through the metadata
/// quorum, so ids are unique across the cluster) — also when v3+ carries the producer's current id and epoch, as
/// Kafka's coordinator "blindly" hands out a new id then (KIP-360: the Java client bumps an idempotent producer's
/// epoch itself; librdkafka asks for a new id, which starts its sequences again at 0). While no id block is
/// available yet (start-up, controller unreachable) the answer is COORDINATOR_LOAD_IN_PROGRESS, which clients retry.
/// A transactional id goes to the transaction coordinator (<see cref="ITransactionCoordinator"/>); without one
/// this broker coordinates no transactional id and answers NOT_COORDINATOR, as Kafka's coordinator does for an id
/// whose __transaction_state partition it does not lead. An empty transactional id, or only one of producer id and
/// epoch set, is INVALID_REQUEST. Errors carry producer id -1 and epoch -1.
/// Simplified: no authorizer yet (Kafka checks IDEMPOTENT_WRITE or WRITE on a topic, TRANSACTIONAL_ID WRITE).
/// Version notes: v1 same as v0; v2 flexible; v3 producer_id and producer_epoch (KIP-360); v4 PRODUCER_FENCED
/// (older versions get INVALID_PRODUCER_EPOCH instead, as Kafka maps it); v5 TRANSACTION_ABORTABLE (KIP-890).
/// </summary>
public sealed class InitProducerIdHandler : ApiHandler<InitProducerIdRequest, InitProducerIdResponse>
{
    private readonly ProducerIdManager _producerIds;
    private readonly ITransactionCoordinator? _transactions;

    public InitProducerIdHandler(ProducerIdManager producerIds, ITransactionCoordinator? transactions = null)
    {
        _producerIds = producerIds;
        _transactions = transactions;
    }

    public override ApiKey ApiKey => ApiKey.InitProducerId;

    public override short MinVersion => 0;

    public override short MaxVersion => 5;

    protected override async ValueTask<InitProducerIdResponse?> HandleAsync(RequestContext context, InitProducerIdRequest request)
    {
        var result = await InitAsync(context, request).ConfigureAwait(false);
        var error = result.Error;
        if (error == ErrorCode.ProducerFenced && context.ApiVersion < 4)
        {
            error = ErrorCode.InvalidProducerEpoch;
        }

        return new InitProducerIdResponse
        {
            ErrorCode = (short)error,
            ProducerId = error == ErrorCode.None ? result.ProducerId : -1,
            ProducerEpoch = error == ErrorCode.None ? result.ProducerEpoch : (short)-1,
        };
    }

    private async ValueTask<InitProducerIdResult> InitAsync(RequestContext context, InitProducerIdRequest request)
    {
        // v0-2 cannot carry them: the defaults (-1, -1) stand for "not given".
        if ((request.ProducerId == -1) != (request.ProducerEpoch == -1))
        {
            return InitProducerIdResult.Failed(ErrorCode.InvalidRequest);
        }

        if (request.TransactionalId is null)
        {
            var (error, producerId) = await _producerIds.GenerateProducerIdAsync(context.CancellationToken).ConfigureAwait(false);
            return error == ErrorCode.None ? new InitProducerIdResult(ErrorCode.None, producerId, 0) : InitProducerIdResult.Failed(error);
        }

        if (request.TransactionalId.Length == 0)
        {
            return InitProducerIdResult.Failed(ErrorCode.InvalidRequest);
        }

        return _transactions is null
            ? InitProducerIdResult.Failed(ErrorCode.NotCoordinator)
            : await _transactions.InitProducerIdAsync(request.TransactionalId, request.TransactionTimeoutMs, request.ProducerId, request.ProducerEpoch, context.CancellationToken).ConfigureAwait(false);
    }
}
