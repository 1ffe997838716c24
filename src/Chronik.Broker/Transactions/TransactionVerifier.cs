using Chronik.Broker.InterBroker;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;
using Chronik.Storage;

namespace Chronik.Broker.Transactions;

/// <summary>
/// Asks a transactional id's coordinator whether partitions are in its producer's transaction before a transactional
/// write opens the transaction there (KIP-890 part 1, Kafka's AddPartitionsToTxnManager with verify_only).
/// </summary>
public interface ITransactionVerifier
{
    /// <summary>
    /// The coordinator's answer per partition, NONE for a partition in the transaction. Errors are those a partition
    /// leader handles: the coordinator's (TRANSACTION_ABORTABLE when not in the transaction, INVALID_PRODUCER_ID_MAPPING,
    /// NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, CONCURRENT_TRANSACTIONS...), PRODUCER_FENCED as
    /// INVALID_PRODUCER_EPOCH, COORDINATOR_NOT_AVAILABLE without a coordinator, NETWORK_EXCEPTION when it could not be
    /// asked. Never throws for these.
    /// </summary>
    Task<IReadOnlyDictionary<TopicPartition, ErrorCode>> VerifyAsync(string transactionalId, long producerId, short producerEpoch, IReadOnlyCollection<TopicPartition> partitions, CancellationToken cancellationToken);
}

/// <summary>
/// <see cref="ITransactionVerifier"/> of a broker: the coordinator is the leader of the id's __transaction_state
/// partition in the metadata image; this broker's own <see cref="TransactionCoordinator"/> answers directly, another
/// broker gets AddPartitionsToTxn v4+ with verify_only over <see cref="BrokerConnections"/>.
/// Simplified: one request per verification (Kafka batches the verifications of many producers per coordinator).
/// </summary>
public sealed class TransactionVerifier(int nodeId, Func<MetadataImage> image, TransactionCoordinator coordinator, BrokerConnections connections, TimeSpan requestTimeout)
    : ITransactionVerifier
{
    /// <summary>The first AddPartitionsToTxn version with verify_only (a coordinator without it is not asked, as Kafka).</summary>
    private const short MinVerifyVersion = 4;

    private const short MaxVersion = 5;

    public async Task<IReadOnlyDictionary<TopicPartition, ErrorCode>> VerifyAsync(string transactionalId, long producerId, short producerEpoch, IReadOnlyCollection<TopicPartition> partitions, CancellationToken cancellationToken)
    {
        PartitionRegistration? registration = image().GetPartition(InternalTopics.TransactionState, coordinator.PartitionFor(transactionalId));
        if (registration is not { HasLeader: true })
        {
            return All(partitions, ErrorCode.CoordinatorNotAvailable);
        }

        if (registration.Leader == nodeId)
        {
            IReadOnlyDictionary<TopicPartition, ErrorCode> answer = await coordinator.VerifyPartitionsAsync(transactionalId, producerId, producerEpoch, partitions).WaitAsync(cancellationToken).ConfigureAwait(false);
            return ForLeaders(answer);
        }

        try
        {
            return await AskAsync(registration.Leader, transactionalId, producerId, producerEpoch, partitions, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is KafkaClientException or IOException or System.Net.Sockets.SocketException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return All(partitions, ErrorCode.NetworkException);
        }
    }

    private async Task<IReadOnlyDictionary<TopicPartition, ErrorCode>> AskAsync(int brokerId, string transactionalId, long producerId, short producerEpoch, IReadOnlyCollection<TopicPartition> partitions, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(requestTimeout);
        KafkaClientConnection connection = await connections.GetAsync(brokerId, timeout.Token).ConfigureAwait(false);
        short version = connection.NegotiatedVersion(ApiKey.AddPartitionsToTxn, MaxVersion);
        if (version < MinVerifyVersion)
        {
            // Kafka: a coordinator that cannot verify is not asked; the write goes ahead.
            return All(partitions, ErrorCode.None);
        }

        var transaction = new AddPartitionsToTxnRequest.AddPartitionsToTxnTransaction
        {
            TransactionalId = transactionalId,
            ProducerId = producerId,
            ProducerEpoch = producerEpoch,
            VerifyOnly = true,
        };
        foreach (TopicPartition partition in partitions)
        {
            AddPartitionsToTxnRequest.AddPartitionsToTxnTopic? topic = transaction.Topics.Find(t => t.Name == partition.Topic);
            if (topic is null)
            {
                topic = new AddPartitionsToTxnRequest.AddPartitionsToTxnTopic { Name = partition.Topic };
                transaction.Topics.Add(topic);
            }

            topic.Partitions.Add(partition.Partition);
        }

        var response = await connection.SendAsync<AddPartitionsToTxnResponse>(new AddPartitionsToTxnRequest { Transactions = [transaction] }, version, timeout.Token).ConfigureAwait(false);
        if (response.ErrorCode != 0)
        {
            // Kafka does not expose CLUSTER_AUTHORIZATION_FAILED to the client: the verification just did not complete.
            var error = (ErrorCode)response.ErrorCode;
            return All(partitions, error == ErrorCode.ClusterAuthorizationFailed ? ErrorCode.InvalidTxnState : error);
        }

        // Partitions the answer does not name count as verified, as in Kafka.
        var result = All(partitions, ErrorCode.None);
        foreach (AddPartitionsToTxnResponse.AddPartitionsToTxnResult answered in response.ResultsByTransaction)
        {
            if (answered.TransactionalId != transactionalId)
            {
                continue;
            }

            foreach (AddPartitionsToTxnResponse.AddPartitionsToTxnTopicResult topic in answered.TopicResults)
            {
                foreach (AddPartitionsToTxnResponse.AddPartitionsToTxnPartitionResult partition in topic.ResultsByPartition)
                {
                    var key = new TopicPartition(topic.Name, partition.PartitionIndex);
                    if (result.ContainsKey(key))
                    {
                        result[key] = ForLeader((ErrorCode)partition.PartitionErrorCode);
                    }
                }
            }
        }

        return result;
    }

    /// <summary>Producers expect INVALID_PRODUCER_EPOCH from a partition, not PRODUCER_FENCED (Kafka's AddPartitionsToTxnManager).</summary>
    private static ErrorCode ForLeader(ErrorCode error) => error == ErrorCode.ProducerFenced ? ErrorCode.InvalidProducerEpoch : error;

    private static Dictionary<TopicPartition, ErrorCode> ForLeaders(IReadOnlyDictionary<TopicPartition, ErrorCode> answer)
    {
        var result = new Dictionary<TopicPartition, ErrorCode>(answer.Count);
        foreach (var (partition, error) in answer)
        {
            result[partition] = ForLeader(error);
        }

        return result;
    }

    private static Dictionary<TopicPartition, ErrorCode> All(IReadOnlyCollection<TopicPartition> partitions, ErrorCode error)
    {
        var result = new Dictionary<TopicPartition, ErrorCode>(partitions.Count);
        foreach (TopicPartition partition in partitions)
        {
            result[partition] = error;
        }

        return result;
    }
}
