using Chronik.Broker.Requests;
using Chronik.Broker.Transactions;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;
using Chronik.Storage;

namespace Chronik.Broker.Handlers;

/// <summary>
/// AddPartitionsToTxn (key 24), v0-5.
/// Behavior: v0-3 (producers): the partitions join the producer's transaction on its coordinator, which writes
/// the new state to __transaction_state and answers once it is durable. A partition whose topic or partition
/// does not exist is UNKNOWN_TOPIC_OR_PARTITION and the others then OPERATION_NOT_ATTEMPTED; otherwise every
/// partition gets the coordinator's answer: NONE, NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS,
/// INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before v2), CONCURRENT_TRANSACTIONS while
/// the previous transaction's markers are being written, INVALID_REQUEST for an empty transactional id.
/// v4+ (brokers, KIP-890): several transactions per request; verify_only asks whether the partitions are already
/// in the transaction (TRANSACTION_ABORTABLE when not) without adding them.
/// Simplified: no authorization (Kafka requires WRITE on the transactional id and the topics, CLUSTER_ACTION for v4+).
/// Version notes: v1 same as v0; v2 PRODUCER_FENCED; v3 flexible; v4 batched transactions, verify_only, top-level
/// error code; v5 TRANSACTION_ABORTABLE.
/// </summary>
public sealed class AddPartitionsToTxnHandler(TransactionCoordinator coordinator, BrokerNode broker) : ApiHandler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>
{
    public override ApiKey ApiKey => ApiKey.AddPartitionsToTxn;

    public override short MinVersion => 0;

    public override short MaxVersion => 5;

    protected override async ValueTask<AddPartitionsToTxnResponse?> HandleAsync(RequestContext context, AddPartitionsToTxnRequest request)
    {
        if (context.ApiVersion < 4)
        {
            var topics = await AddAsync(request.V3AndBelowTransactionalId, request.V3AndBelowProducerId, request.V3AndBelowProducerEpoch, request.V3AndBelowTopics, context.ApiVersion).ConfigureAwait(false);
            return new AddPartitionsToTxnResponse { ResultsByTopicV3AndBelow = topics };
        }

        var response = new AddPartitionsToTxnResponse();
        var pending = request.Transactions.Select(transaction => transaction.VerifyOnly
            ? VerifyAsync(transaction)
            : AddAsync(transaction.TransactionalId, transaction.ProducerId, transaction.ProducerEpoch, transaction.Topics, context.ApiVersion)).ToList();
        for (int i = 0; i < pending.Count; i++)
        {
            response.ResultsByTransaction.Add(new AddPartitionsToTxnResponse.AddPartitionsToTxnResult
            {
                TransactionalId = request.Transactions[i].TransactionalId,
                TopicResults = await pending[i].ConfigureAwait(false),
            });
        }

        return response;
    }

    private async Task<List<AddPartitionsToTxnResponse.AddPartitionsToTxnTopicResult>> AddAsync(
        string transactionalId,
        long producerId,
        short producerEpoch,
        List<AddPartitionsToTxnRequest.AddPartitionsToTxnTopic> topics,
        short version)
    {
        MetadataImage image = broker.Image;
        var partitions = new List<TopicPartition>();
        var unknown = new HashSet<TopicPartition>();
        foreach (AddPartitionsToTxnRequest.AddPartitionsToTxnTopic topic in topics)
        {
            foreach (int index in topic.Partitions)
            {
                var partition = new TopicPartition(topic.Name, index);
                partitions.Add(partition);
                if (image.GetPartition(topic.Name, index) is null)
                {
                    unknown.Add(partition);
                }
            }
        }

        if (unknown.Count > 0)
        {
            return Results(partitions, p => unknown.Contains(p) ? ErrorCode.UnknownTopicOrPartition : ErrorCode.OperationNotAttempted);
        }

        ErrorCode error = await coordinator.AddPartitionsAsync(transactionalId, producerId, producerEpoch, partitions).ConfigureAwait(false);
        ErrorCode answered = TransactionErrors.ForVersion(error, version, producerFencedSince: 2);
        return Results(partitions, _ => answered);
    }

    private async Task<List<AddPartitionsToTxnResponse.AddPartitionsToTxnTopicResult>> VerifyAsync(AddPartitionsToTxnRequest.AddPartitionsToTxnTransaction transaction)
    {
        var partitions = transaction.Topics.SelectMany(t => t.Partitions.Select(p => new TopicPartition(t.Name, p))).ToList();
        IReadOnlyDictionary<TopicPartition, ErrorCode> errors = await coordinator.VerifyPartitionsAsync(transaction.TransactionalId, transaction.ProducerId, transaction.ProducerEpoch, partitions).ConfigureAwait(false);
        return Results(partitions, p => errors[p]);
    }

    private static List<AddPartitionsToTxnResponse.AddPartitionsToTxnTopicResult> Results(List<TopicPartition> partitions, Func<TopicPartition, ErrorCode> error)
    {
        var results = new List<AddPartitionsToTxnResponse.AddPartitionsToTxnTopicResult>();
        foreach (var topic in partitions.GroupBy(p => p.Topic, StringComparer.Ordinal))
        {
            var result = new AddPartitionsToTxnResponse.AddPartitionsToTxnTopicResult { Name = topic.Key };
            foreach (TopicPartition partition in topic.Distinct())
            {
                result.ResultsByPartition.Add(new AddPartitionsToTxnResponse.AddPartitionsToTxnPartitionResult { PartitionIndex = partition.Partition, PartitionErrorCode = (short)error(partition) });
            }

            results.Add(result);
        }

        return results;
    }
}
