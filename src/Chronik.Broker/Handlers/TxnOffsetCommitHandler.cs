using Chronik.Broker.Groups;
using Chronik.Broker.Groups.Runtime;
using Chronik.Broker.Partitions;
using Chronik.Broker.Requests;
using Chronik.Broker.Transactions;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;
using Chronik.Storage.Producers;

namespace Chronik.Broker.Handlers;

/// <summary>
/// TxnOffsetCommit (key 28), v0-4.
/// Behavior: a transactional producer commits a group's offsets inside its transaction (consume-transform-produce,
/// KIP-98/KIP-447): the group coordinator writes them to __consumer_offsets in a transactional batch of the
/// producer; they stay pending — invisible to OffsetFetch, UNSTABLE_OFFSET_COMMIT with require_stable — until the
/// transaction's COMMIT marker (they become the committed offsets) or ABORT marker (dropped). Members are checked
/// as for OffsetCommit (v3+: generation / member id / group.instance.id: ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID,
/// FENCED_INSTANCE_ID; consumer groups by member epoch), but a rebalance in progress does not refuse the commit.
/// Metadata longer than offset.metadata.max.bytes is OFFSET_METADATA_TOO_LARGE; NOT_COORDINATOR /
/// COORDINATOR_LOAD_IN_PROGRESS when this broker does not serve the group.
/// A producer fenced by a newer epoch (known to the __consumer_offsets partition from its markers) gets
/// INVALID_PRODUCER_EPOCH before anything is written; the partition's producer state checks it again on append.
/// KIP-890 part 1 (transaction.partition.verification.enable): offsets that would open the producer's transaction on
/// the group's __consumer_offsets partition are written only after the transaction coordinator confirmed that
/// partition is in the transaction (AddOffsetsToTxn added it); its refusal is answered for every partition
/// (TRANSACTION_ABORTABLE, INVALID_TXN_STATE before v4; NETWORK_EXCEPTION as COORDINATOR_LOAD_IN_PROGRESS), and a
/// marker written meanwhile makes the log refuse the write (INVALID_TXN_STATE).
/// Simplified: no authorization.
/// Version notes: v1 same as v0; v2 committed leader epoch; v3 flexible, generation id, member id, group instance id
/// (KIP-447); v4 TRANSACTION_ABORTABLE.
/// </summary>
public sealed class TxnOffsetCommitHandler(GroupCoordinator groups, BrokerNode broker, ITransactionVerifier? verifier = null) : ApiHandler<TxnOffsetCommitRequest, TxnOffsetCommitResponse>
{
    public override ApiKey ApiKey => ApiKey.TxnOffsetCommit;

    public override short MinVersion => 0;

    public override short MaxVersion => 4;

    protected override async ValueTask<TxnOffsetCommitResponse?> HandleAsync(RequestContext context, TxnOffsetCommitRequest request)
    {
        var offsets = new Storage.TopicPartition(InternalTopics.ConsumerOffsets, groups.PartitionFor(request.GroupId));
        Partition? partition = broker.Replicas.GetPartition(offsets) is { IsLeader: true } led ? led : null;
        if (partition is not null && IsFenced(partition, request))
        {
            return Failed(request, ErrorCode.InvalidProducerEpoch);
        }

        VerificationGuard verification = default;
        if (partition is not null && verifier is not null)
        {
            (ErrorCode error, verification) = await VerifyAsync(partition, request, context.CancellationToken).ConfigureAwait(false);
            if (error != ErrorCode.None)
            {
                return Failed(request, TransactionErrors.ForTxnOffsetCommit(error, context.ApiVersion));
            }
        }

        GroupRequestContext groupContext = context.ForGroups();
        return await groups.ExecuteAsync(
            request.GroupId,
            shard => shard.TxnOffsetCommit(groupContext, request, verification),
            error => Failed(request, error)).ConfigureAwait(false);
    }

    /// <summary>
    /// Asks the transaction coordinator whether the group's partition is in the producer's transaction, unless the
    /// transaction is open there already. A partition this broker stopped leading is left to the group coordinator,
    /// which answers NOT_COORDINATOR.
    /// </summary>
    private async Task<(ErrorCode Error, VerificationGuard Verification)> VerifyAsync(Partition partition, TxnOffsetCommitRequest request, CancellationToken cancellationToken)
    {
        VerificationGuard guard;
        try
        {
            guard = partition.StartTransactionVerification(request.ProducerId, request.ProducerEpoch);
        }
        catch (Exception ex) when (ex is PartitionException or ObjectDisposedException)
        {
            return (ErrorCode.None, default);
        }

        if (guard.IsNone)
        {
            return (ErrorCode.None, guard);
        }

        IReadOnlyDictionary<Storage.TopicPartition, ErrorCode> verified = await verifier!.VerifyAsync(
            request.TransactionalId, request.ProducerId, request.ProducerEpoch, [partition.TopicPartition], cancellationToken).ConfigureAwait(false);
        ErrorCode error = verified.GetValueOrDefault(partition.TopicPartition);
        return (error, error == ErrorCode.None ? guard : default);
    }

    /// <summary>
    /// Whether the group's __consumer_offsets partition knows a newer epoch of the producer: a zombie's offsets would
    /// be refused by the log anyway, and the refusal would cost a reload of the partition's groups.
    /// </summary>
    private static bool IsFenced(Partition partition, TxnOffsetCommitRequest request)
    {
        foreach (Storage.Producers.ActiveProducer producer in partition.Log.ActiveProducers())
        {
            if (producer.ProducerId == request.ProducerId)
            {
                return producer.ProducerEpoch > request.ProducerEpoch;
            }
        }

        return false;
    }

    private static TxnOffsetCommitResponse Failed(TxnOffsetCommitRequest request, ErrorCode error)
    {
        var response = new TxnOffsetCommitResponse();
        foreach (TxnOffsetCommitRequest.TxnOffsetCommitRequestTopic topic in request.Topics)
        {
            var failed = new TxnOffsetCommitResponse.TxnOffsetCommitResponseTopic { Name = topic.Name };
            foreach (TxnOffsetCommitRequest.TxnOffsetCommitRequestPartition partition in topic.Partitions)
            {
                failed.Partitions.Add(new TxnOffsetCommitResponse.TxnOffsetCommitResponsePartition { PartitionIndex = partition.PartitionIndex, ErrorCode = (short)error });
            }

            response.Topics.Add(failed);
        }

        return response;
    }
}
