using System.Text;
using Chronik.Broker.Coordinators;
using Chronik.Broker.Groups.Records;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Groups;

/// <summary>
/// Transactional offset commits (KIP-98, KIP-447): TxnOffsetCommit writes the offsets in a transactional batch
/// of the producer; they stay pending until the transaction coordinator's marker for this partition — written
/// through <see cref="CompleteTransaction"/> — commits them (visible to OffsetFetch) or aborts them (dropped).
/// </summary>
public sealed partial class GroupCoordinatorShard
{
    /// <summary>
    /// Writes the offsets of <paramref name="request"/> as records of its producer's transaction; <paramref name="verification"/>
    /// is the guard of the check that __consumer_offsets' partition is in the transaction (KIP-890).
    /// </summary>
    public TxnOffsetCommitResponse TxnOffsetCommit(GroupRequestContext context, TxnOffsetCommitRequest request, Storage.Producers.VerificationGuard verification = default)
    {
        bool groupFields = context.ApiVersion >= 3;
        ErrorCode groupError = ValidateOffsetCommit(
            context.ApiVersion,
            request.GroupId,
            groupFields ? request.GenerationId : -1,
            groupFields ? request.MemberId : "",
            groupFields ? request.GroupInstanceId : null,
            transactional: true);
        var producer = new TransactionalProducer(request.ProducerId, request.ProducerEpoch);
        long now = NowMs;
        var response = new TxnOffsetCommitResponse();
        foreach (TxnOffsetCommitRequest.TxnOffsetCommitRequestTopic topic in request.Topics)
        {
            var topicResponse = new TxnOffsetCommitResponse.TxnOffsetCommitResponseTopic { Name = topic.Name };
            foreach (TxnOffsetCommitRequest.TxnOffsetCommitRequestPartition partition in topic.Partitions)
            {
                ErrorCode error = groupError;
                if (error == ErrorCode.None && partition.CommittedMetadata is { } metadata && Encoding.UTF8.GetByteCount(metadata) > _options.OffsetMetadataMaxBytes)
                {
                    error = ErrorCode.OffsetMetadataTooLarge;
                }

                if (error == ErrorCode.None)
                {
                    int leaderEpoch = context.ApiVersion >= 2 ? partition.CommittedLeaderEpoch : -1;
                    var record = new OffsetCommitRecord(request.GroupId, topic.Name, partition.PartitionIndex, new OffsetCommitValue(partition.CommittedOffset, leaderEpoch, partition.CommittedMetadata ?? "", now));
                    Effects.AppendTransactional(record, producer, verification);
                    Replay(record, producer);
                }

                topicResponse.Partitions.Add(new TxnOffsetCommitResponse.TxnOffsetCommitResponsePartition { PartitionIndex = partition.PartitionIndex, ErrorCode = (short)error });
            }

            response.Topics.Add(topicResponse);
        }

        return response;
    }

    /// <summary>
    /// Writes the marker ending <paramref name="producerId"/>'s transaction on this partition and applies it:
    /// its pending offsets become committed offsets (COMMIT) or are dropped (ABORT).
    /// </summary>
    public ErrorCode CompleteTransaction(long producerId, short producerEpoch, bool committed, int coordinatorEpoch)
    {
        Effects.AppendEndTransactionMarker(new TransactionalProducer(producerId, producerEpoch), committed, coordinatorEpoch);
        ReplayEndTransaction(producerId, committed);
        return ErrorCode.None;
    }

    /// <summary>
    /// A transaction marker: COMMIT moves the producer's pending offsets into the committed offsets, unless a plain
    /// commit written after them already replaced one (Kafka keeps the offset with the larger record offset).
    /// </summary>
    public void ReplayEndTransaction(long producerId, bool committed)
    {
        foreach (var (record, order) in PendingTransactionalOffsets.Complete(producerId))
        {
            if (committed && Offsets.OrderOf(record.GroupId, record.Topic, record.Partition) < order)
            {
                Offsets.Replay(record, order);
            }
        }
    }
}
