using Chronik.Broker.Groups.Runtime;
using Chronik.Broker.Requests;
using Chronik.Broker.Transactions;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;
using Chronik.Storage;

namespace Chronik.Broker.Handlers;

/// <summary>
/// AddOffsetsToTxn (key 25), v0-4.
/// Behavior: the __consumer_offsets partition of group_id (abs(javaHash(group)) % partitions) joins the producer's
/// transaction, so the transaction's markers also reach the offsets the producer then commits there with
/// TxnOffsetCommit. Errors as AddPartitionsToTxn: NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS,
/// INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before v2), CONCURRENT_TRANSACTIONS.
/// Simplified: no authorization (Kafka requires WRITE on the transactional id and READ on the group).
/// Version notes: v1 same as v0; v2 PRODUCER_FENCED; v3 flexible; v4 TRANSACTION_ABORTABLE.
/// </summary>
public sealed class AddOffsetsToTxnHandler(TransactionCoordinator coordinator, GroupCoordinator groups) : ApiHandler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse>
{
    public override ApiKey ApiKey => ApiKey.AddOffsetsToTxn;

    public override short MinVersion => 0;

    public override short MaxVersion => 4;

    protected override async ValueTask<AddOffsetsToTxnResponse?> HandleAsync(RequestContext context, AddOffsetsToTxnRequest request)
    {
        var offsetsPartition = new TopicPartition(InternalTopics.ConsumerOffsets, groups.PartitionFor(request.GroupId));
        ErrorCode error = await coordinator.AddPartitionsAsync(request.TransactionalId, request.ProducerId, request.ProducerEpoch, [offsetsPartition]).ConfigureAwait(false);
        return new AddOffsetsToTxnResponse { ErrorCode = (short)TransactionErrors.ForVersion(error, context.ApiVersion, producerFencedSince: 2) };
    }
}
