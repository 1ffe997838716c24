using Chronik.Broker.Requests;
using Chronik.Broker.Transactions;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Handlers;

/// <summary>
/// EndTxn (key 26), v0-5.
/// Behavior: commits or aborts the producer's transaction: the coordinator writes PrepareCommit / PrepareAbort
/// to __transaction_state and answers once it is durable; the COMMIT / ABORT markers are then written to every
/// partition of the transaction (WriteTxnMarkers to their leaders, retried until each has its marker) and the
/// transaction completes. A retry of an end already done answers NONE; one still writing markers
/// CONCURRENT_TRANSACTIONS; ending with no transaction open (or the opposite way) INVALID_TXN_STATE. Other
/// errors: NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS, INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED
/// (INVALID_PRODUCER_EPOCH before v2).
/// Version notes: v1 same as v0; v2 PRODUCER_FENCED; v3 flexible; v4 TRANSACTION_ABORTABLE; v5 (KIP-890 part 2,
/// transaction version 2): the epoch is bumped at every end (a new producer id when it overflows), answered in
/// producer_id / producer_epoch, and an abort with no transaction open is allowed.
/// Simplified: no authorization (Kafka requires WRITE on the transactional id).
/// </summary>
public sealed class EndTxnHandler(TransactionCoordinator coordinator) : ApiHandler<EndTxnRequest, EndTxnResponse>
{
    public override ApiKey ApiKey => ApiKey.EndTxn;

    public override short MinVersion => 0;

    public override short MaxVersion => 5;

    protected override async ValueTask<EndTxnResponse?> HandleAsync(RequestContext context, EndTxnRequest request)
    {
        short transactionVersion = context.ApiVersion >= 5 ? (short)2 : (short)0;
        EndTxnResult result = await coordinator.EndTransactionAsync(
            request.TransactionalId,
            request.ProducerId,
            request.ProducerEpoch,
            request.Committed,
            transactionVersion,
            context.CancellationToken).ConfigureAwait(false);
        return new EndTxnResponse
        {
            ErrorCode = (short)TransactionErrors.ForVersion(result.Error, context.ApiVersion, producerFencedSince: 2),
            ProducerId = result.Error == ErrorCode.None ? result.ProducerId : -1,
            ProducerEpoch = result.Error == ErrorCode.None ? result.ProducerEpoch : (short)-1,
        };
    }
}
