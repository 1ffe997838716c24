using Chronik.Broker.Coordinators;
using Chronik.Broker.Producers;
using Chronik.Broker.Transactions.Records;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;
using Chronik.Storage;
using Microsoft.Extensions.Logging;

namespace Chronik.Broker.Transactions;

/// <summary>
/// The transaction coordinator of this node: one <see cref="TransactionCoordinatorShard"/> per __transaction_state
/// partition this node leads, run by the shared <see cref="CoordinatorRuntime{TShard, TRecord}"/> (load on election
/// with COORDINATOR_LOAD_IN_PROGRESS meanwhile, NOT_COORDINATOR after resignation, answers after durability). The
/// shards decide; this class adds what needs I/O: producer ids from <see cref="IProducerIdSource"/>, and the
/// completion of transactions whose markers the <see cref="ITransactionMarkerChannel"/> wrote.
/// </summary>
public sealed class TransactionCoordinator : ITransactionCoordinator, IAsyncDisposable
{
    private readonly CoordinatorRuntime<TransactionCoordinatorShard, TransactionLogRecord> _runtime;
    private readonly Func<MetadataImage> _image;
    private readonly IProducerIdSource _producerIds;
    private readonly int _nodeId;

    public TransactionCoordinator(
        TransactionCoordinatorOptions options,
        int nodeId,
        ICoordinatorLogProvider logs,
        Func<MetadataImage> image,
        IProducerIdSource producerIds,
        ITransactionMarkerChannel markers,
        TimeProvider? time = null,
        ILogger<TransactionCoordinator>? logger = null)
    {
        Options = options;
        _nodeId = nodeId;
        _image = image;
        _producerIds = producerIds;
        TimeProvider clock = time ?? TimeProvider.System;
        _runtime = new CoordinatorRuntime<TransactionCoordinatorShard, TransactionLogRecord>(
            InternalTopics.TransactionState,
            nodeId,
            logs,
            image,
            (partition, leaderEpoch) => new TransactionCoordinatorShard(partition, leaderEpoch, options, clock, markers),
            TransactionLogCodec.Instance,
            clock,
            (ILogger?)logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
    }

    public TransactionCoordinatorOptions Options { get; }

    /// <summary>Partitions of __transaction_state once it exists (its real count), else the configured count.</summary>
    public int PartitionCount => _image().GetTopic(InternalTopics.TransactionState)?.Partitions.Count is > 0 and var count ? count : Options.TransactionStateLogNumPartitions;

    /// <summary>The __transaction_state partition that owns <paramref name="transactionalId"/>: abs(javaHash) % partitions.</summary>
    public int PartitionFor(string transactionalId) => Groups.CoordinatorPartitioner.PartitionFor(transactionalId, PartitionCount);

    public CoordinatorPartitionState StateOf(int partition) => _runtime.StateOf(partition);

    public IReadOnlyList<int> ActivePartitions => _runtime.ActivePartitions;

    /// <summary>Follows the metadata: loads the __transaction_state partitions this node leads and unloads the others.</summary>
    public void OnMetadataUpdate(MetadataImage image) => _runtime.OnMetadataUpdate(image);

    /// <summary>Runs <paramref name="operation"/> on the shard owning <paramref name="transactionalId"/> (see <see cref="CoordinatorRuntime{TShard, TRecord}.ExecuteOnPartitionAsync{T}"/>).</summary>
    public Task<T> ExecuteAsync<T>(string transactionalId, Func<TransactionCoordinatorShard, T> operation, Func<ErrorCode, T> error) =>
        _runtime.ExecuteOnPartitionAsync(PartitionFor(transactionalId), operation, error);

    /// <summary>
    /// InitProducerId with a transactional id: (error, producer id, epoch). A new id first gets a producer id from
    /// the <see cref="IProducerIdSource"/>; coordinator errors are NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS.
    /// </summary>
    public async Task<TransactionalProducerIdResult> InitProducerIdAsync(string transactionalId, int timeoutMs, long expectedProducerId, short expectedEpoch, CancellationToken cancellationToken)
    {
        long? producerId = null;
        while (true)
        {
            TransactionalProducerIdResult result = await ExecuteAsync(
                transactionalId,
                shard => shard.InitProducerId(transactionalId, timeoutMs, expectedProducerId, expectedEpoch, producerId),
                TransactionalProducerIdResult.Failed).ConfigureAwait(false);
            if (!result.NeedsProducerId)
            {
                return result;
            }

            var (error, generated) = await _producerIds.GenerateProducerIdAsync(cancellationToken).ConfigureAwait(false);
            if (error != ErrorCode.None)
            {
                return TransactionalProducerIdResult.Failed(error);
            }

            producerId = generated;
        }
    }

    /// <summary>The InitProducerId handler's seam for transactional ids.</summary>
    async ValueTask<InitProducerIdResult> ITransactionCoordinator.InitProducerIdAsync(string transactionalId, int transactionTimeoutMs, long producerId, short producerEpoch, CancellationToken cancellationToken)
    {
        TransactionalProducerIdResult result = await InitProducerIdAsync(transactionalId, transactionTimeoutMs, producerId, producerEpoch, cancellationToken).ConfigureAwait(false);
        return result.Error == ErrorCode.None ? new InitProducerIdResult(ErrorCode.None, result.ProducerId, result.ProducerEpoch) : InitProducerIdResult.Failed(result.Error);
    }

    /// <summary>EndTxn (a producer id is fetched when a version-2 epoch bump exhausts the epoch).</summary>
    public async Task<EndTxnResult> EndTransactionAsync(string transactionalId, long producerId, short producerEpoch, bool commit, short clientTransactionVersion, CancellationToken cancellationToken)
    {
        long? nextProducerId = null;
        while (true)
        {
            EndTxnResult result = await ExecuteAsync(
                transactionalId,
                shard => shard.EndTransaction(transactionalId, producerId, producerEpoch, commit, clientTransactionVersion, nextProducerId),
                EndTxnResult.Failed).ConfigureAwait(false);
            if (!result.NeedsProducerId)
            {
                return result;
            }

            var (error, generated) = await _producerIds.GenerateProducerIdAsync(cancellationToken).ConfigureAwait(false);
            if (error != ErrorCode.None)
            {
                return EndTxnResult.Failed(error);
            }

            nextProducerId = generated;
        }
    }

    public Task<ErrorCode> AddPartitionsAsync(string transactionalId, long producerId, short producerEpoch, IReadOnlyCollection<TopicPartition> partitions, short clientTransactionVersion = 0) =>
        ExecuteAsync(transactionalId, shard => shard.AddPartitions(transactionalId, producerId, producerEpoch, partitions, clientTransactionVersion), e => e);

    public Task<IReadOnlyDictionary<TopicPartition, ErrorCode>> VerifyPartitionsAsync(string transactionalId, long producerId, short producerEpoch, IReadOnlyCollection<TopicPartition> partitions) =>
        ExecuteAsync(
            transactionalId,
            shard => shard.VerifyPartitions(transactionalId, producerId, producerEpoch, partitions),
            e => (IReadOnlyDictionary<TopicPartition, ErrorCode>)partitions.Distinct().ToDictionary(p => p, _ => e));

    /// <summary>The markers of <paramref name="job"/> are written: the transaction completes on its shard (if that shard is still the one that sent them).</summary>
    public Task<ErrorCode> CompleteTransactionAsync(TransactionMarkerJob job) =>
        _runtime.ExecuteOnPartitionAsync(job.CoordinatorPartition, shard =>
        {
            shard.CompleteTransaction(job);
            return ErrorCode.None;
        }, e => e);

    /// <summary>Whether <paramref name="partition"/> is served here in <paramref name="coordinatorEpoch"/> (markers of a deposed shard stop).</summary>
    public Task<bool> IsCurrentAsync(int partition, int coordinatorEpoch) =>
        _runtime.ExecuteOnPartitionAsync(partition, shard => shard.CoordinatorEpoch == coordinatorEpoch, _ => false);

    public Task<DescribeTransactionsResponse.TransactionStateData> DescribeAsync(string transactionalId) =>
        ExecuteAsync(
            transactionalId,
            shard => shard.Describe(transactionalId),
            e => new DescribeTransactionsResponse.TransactionStateData { TransactionalId = transactionalId, ErrorCode = (short)e, TransactionState = "" });

    /// <summary>
    /// ListTransactions over every __transaction_state partition this node leads (each broker answers for its own):
    /// COORDINATOR_LOAD_IN_PROGRESS while one of them is still loading.
    /// </summary>
    public async Task<ListTransactionsResponse> ListAsync(IReadOnlyList<string> stateFilters, IReadOnlyList<long> producerIdFilters, long durationFilterMs)
    {
        var response = new ListTransactionsResponse();
        var states = new HashSet<TransactionState>();
        foreach (string name in stateFilters)
        {
            if (TransactionStates.TryParse(name, out TransactionState state))
            {
                states.Add(state);
            }
            else
            {
                response.UnknownStateFilters.Add(name);
            }
        }

        var producerIds = new HashSet<long>(producerIdFilters);
        TopicImage? topic = _image().GetTopic(InternalTopics.TransactionState);
        foreach (PartitionRegistration registration in topic?.Partitions.Values.OrderBy(p => p.Partition) ?? Enumerable.Empty<PartitionRegistration>())
        {
            int partition = registration.Partition;
            CoordinatorPartitionState state = _runtime.StateOf(partition);
            if (state == CoordinatorPartitionState.Loading || (state == CoordinatorPartitionState.Closed && registration.Leader == _nodeId))
            {
                return new ListTransactionsResponse { ErrorCode = (short)ErrorCode.CoordinatorLoadInProgress };
            }

            if (state != CoordinatorPartitionState.Active)
            {
                continue;
            }

            List<ListTransactionsResponse.TransactionStateData> listed = await _runtime.ExecuteOnPartitionAsync(
                partition,
                shard => shard.List(states, producerIds, durationFilterMs).ToList(),
                _ => []).ConfigureAwait(false);
            response.TransactionStates.AddRange(listed);
        }

        return response;
    }

    public ValueTask DisposeAsync() => _runtime.DisposeAsync();
}
