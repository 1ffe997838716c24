using Chronik.Broker.Partitions;
using Chronik.Broker.Requests;
using Chronik.Broker.Transactions;
using Chronik.Protocol.Compression;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Records;
using Chronik.Protocol.Wire;
using Chronik.Storage;
using Chronik.Storage.Producers;

namespace Chronik.Broker.Handlers;

/// <summary>
/// Produce (key 0), v0-11.
/// Behavior: two phases. Synchronously, in request order, every partition's records are checked and appended to
/// the leader's log (offsets fixed, so the connection may pipeline the next request); then the handler waits for
/// acknowledgement: acks=1 when the batch is durable (the group fsync, or the page cache under a relaxed
/// flush.messages/flush.ms policy), acks=all when the high watermark passed it with at least min.insync.replicas
/// in the ISR (a single node: the same fsync). acks=0 appends and answers nothing. The wait is bounded by
/// timeout_ms (REQUEST_TIMED_OUT; the records stay appended, as in Kafka); timeout_ms ≤ 0 waits without bound
/// rather than failing a durable append. Records stay encoded: the log validates framing, CRC, counts, sizes
/// (MESSAGE_TOO_LARGE over max.message.bytes, RECORD_LIST_TOO_LARGE over segment.bytes) and timestamps
/// (INVALID_TIMESTAMP per message.timestamp.before/after.max.ms), and rewrites only base offset and leader epoch.
/// Errors per partition: UNKNOWN_TOPIC_OR_PARTITION (Produce never creates topics), NOT_LEADER_OR_FOLLOWER,
/// INVALID_REQUIRED_ACKS (acks not -1, 0 or 1), INVALID_TOPIC_EXCEPTION (internal topics, except for the
/// "__admin_client" client id as in Kafka), CORRUPT_MESSAGE, INVALID_RECORD (also a keyless record in a compacted
/// topic), UNSUPPORTED_COMPRESSION_TYPE, NOT_ENOUGH_REPLICAS(_AFTER_APPEND), KAFKA_STORAGE_ERROR.
/// Idempotent and transactional batches (producer id ≥ 0) are checked against the partition's producer state in
/// the same step that assigns their offsets (Kafka 4's rules, see Chronik.Storage's ProducerStateManager):
/// OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH, INVALID_TXN_STATE (a plain batch in an open transaction);
/// a retry of one of the producer's last five batches is not appended again and is answered as Kafka does, with
/// success, the original batch's base offset and its timestamp as log_append_time_ms (the client treats it as the
/// acknowledgement it missed); its acknowledgement waits for the original's durability/replication like any other.
/// A producer the partition has no state of may start at any sequence (Kafka 4 no longer sends UNKNOWN_PRODUCER_ID).
/// An acks=0 request with errors closes the connection after the append, as Kafka does: the client has no
/// response to learn from, so it reconnects and refreshes its metadata.
/// Transactional batches need the request's transactional_id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED, as Kafka answers
/// records it cannot authorize). KIP-890 part 1 (transaction.partition.verification.enable, on by default): a
/// transactional batch that would open its producer's transaction on a partition is appended only after the
/// transaction coordinator confirmed the partition is in the transaction (AddPartitionsToTxn verify_only, or a local
/// call); a refusal is INVALID_TXN_STATE (TRANSACTION_ABORTABLE from v11), retriable coordinator errors
/// NOT_ENOUGH_REPLICAS, and a marker written meanwhile makes the log refuse the batch. While a request waits for its
/// verification, the later produce requests of its connection wait behind it, so batches keep the connection's order.
/// Simplified: compression.type other than "producer" does not recompress. No quotas (throttle 0). A request mixing
/// transactional batches of several producers is refused per partition (INVALID_PRODUCER_ID_MAPPING) rather than whole.
/// Version notes: v0-2 carry message format v0/v1, up-converted to v2 batches before the append (magic 2 is
/// accepted too, as Kafka did); v2 log_append_time; v3 transactional_id and exactly one v2 batch per partition;
/// v4 KAFKA_STORAGE_ERROR (older versions get NOT_LEADER_OR_FOLLOWER instead); v5 log_start_offset; v7 zstd
/// (KIP-110); v8 record_errors and error_message (KIP-467); v9 flexible; v10 current_leader and node_endpoints
/// (KIP-951); v11 TRANSACTION_ABORTABLE (KIP-890).
/// </summary>
public sealed class ProduceHandler : ApiHandler<ProduceRequest, ProduceResponse>
{
    /// <summary>Kafka's client id that may write to internal topics (AdminUtils.ADMIN_CLIENT_ID).</summary>
    private const string AdminClientId = "__admin_client";

    // Per connection: completes once the appends of the newest produce request that waited for a transaction
    // verification are done; later produce requests of the connection append after it.
    private static readonly object AppendChainKey = new();

    private readonly ReplicaManager _replicas;
    private readonly BrokerTopicMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ITransactionVerifier? _verifier;

    public ProduceHandler(ReplicaManager replicas, BrokerTopicMetrics metrics, TimeProvider? time = null, ITransactionVerifier? verifier = null)
    {
        _replicas = replicas;
        _metrics = metrics;
        _time = time ?? TimeProvider.System;
        _verifier = verifier;
    }

    public override ApiKey ApiKey => ApiKey.Produce;

    public override short MinVersion => 0;

    public override short MaxVersion => 11;

    protected override ValueTask<ProduceResponse?> HandleAsync(RequestContext context, ProduceRequest request)
    {
        // Behind a request still waiting for its transaction verification, this one waits too, so every partition
        // gets the connection's batches in the order they were sent (a pipelining producer's sequences).
        if (context.Connection.Items.TryGetValue(AppendChainKey, out object? chain) && chain is Task { IsCompleted: false } previous)
        {
            var appended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            context.Connection.Items[AppendChainKey] = appended.Task;
            return HandleAfterAsync(previous, appended, context, request);
        }

        return Handle(context, request, appended: null);
    }

    private async ValueTask<ProduceResponse?> HandleAfterAsync(Task previous, TaskCompletionSource appended, RequestContext context, ProduceRequest request)
    {
        await previous.ConfigureAwait(false);
        return await Handle(context, request, appended).ConfigureAwait(false);
    }

    /// <summary>
    /// Phase one for every partition; <paramref name="appended"/> (when this request waited for an earlier one) is
    /// completed once all its appends are done, including those that wait for a transaction verification.
    /// </summary>
    private ValueTask<ProduceResponse?> Handle(RequestContext context, ProduceRequest request, TaskCompletionSource? appended)
    {
        bool validAcks = request.Acks is -1 or 0 or 1;
        var produce = new ProduceState(new ProduceResponse { Responses = new List<ProduceResponse.TopicProduceResponse>(request.TopicData.Count) });
        try
        {
            foreach (var topic in request.TopicData)
            {
                var topicResponse = new ProduceResponse.TopicProduceResponse
                {
                    Name = topic.Name,
                    PartitionResponses = new List<ProduceResponse.PartitionProduceResponse>(topic.PartitionData.Count),
                };
                produce.Response.Responses.Add(topicResponse);
                foreach (var data in topic.PartitionData)
                {
                    var partitionResponse = new ProduceResponse.PartitionProduceResponse { Index = data.Index, BaseOffset = -1, LogAppendTimeMs = -1, LogStartOffset = -1 };
                    topicResponse.PartitionResponses.Add(partitionResponse);
                    string? message = null;
                    ErrorCode error = validAcks
                        ? Append(context, request, topic.Name, data, partitionResponse, produce, out message)
                        : ErrorCode.InvalidRequiredAcks;
                    if (error != ErrorCode.None)
                    {
                        produce.Failed = true;
                        SetError(context.ApiVersion, partitionResponse, topic.Name, error, message);
                    }
                }
            }
        }
        catch
        {
            appended?.TrySetResult();
            throw;
        }

        if (produce.Deferred is not null)
        {
            if (appended is null)
            {
                // Still in phase one on the connection's read loop: the next request sees the chain.
                appended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                context.Connection.Items[AppendChainKey] = appended.Task;
            }

            return AppendVerifiedAsync(context, request, produce, appended);
        }

        appended?.TrySetResult();
        return Finish(context, request, produce);
    }

    /// <summary>Phase two: the answer once the appends are acknowledged (nothing for acks=0).</summary>
    private ValueTask<ProduceResponse?> Finish(RequestContext context, ProduceRequest request, ProduceState produce)
    {
        if (request.Acks == 0)
        {
            if (produce.Failed)
            {
                context.RequestConnectionClose();
            }

            return new((ProduceResponse?)null);
        }

        if (produce.Pending is null)
        {
            AddNodeEndpoints(context, produce.Response, produce.Failed);
            return new(produce.Response);
        }

        return AwaitAcksAsync(context, request, produce.Response, produce.Pending);
    }

    private ErrorCode Append(
        RequestContext context,
        ProduceRequest request,
        string topic,
        ProduceRequest.PartitionProduceData data,
        ProduceResponse.PartitionProduceResponse partitionResponse,
        ProduceState produce,
        out string? message)
    {
        message = null;
        if (InternalTopics.IsInternal(topic) && context.ClientId != AdminClientId)
        {
            message = $"Cannot append to internal topic {topic}";
            return ErrorCode.InvalidTopicException;
        }

        var partition = _replicas.GetPartition(topic, data.Index, out var error);
        if (partition is null)
        {
            return error;
        }

        error = ProducedRecords.Prepare(context.ApiVersion, data.Records, partition.Settings.Log, out var batches, out PooledBufferWriter? converted, out message);
        if (error != ErrorCode.None)
        {
            return error;
        }

        try
        {
            // Legacy message sets (v0-2, up-converted) carry no producer: only v3+ batches can be transactional.
            if (converted is null && IsTransactional(batches.Span))
            {
                error = StartVerification(request, partition, batches, partitionResponse, produce, out message, out bool deferred);
                if (error != ErrorCode.None || deferred)
                {
                    return error;
                }
            }

            return AppendToLeader(partition, batches, request.Acks, partitionResponse, produce, VerificationGuard.None, out message);
        }
        finally
        {
            converted?.Dispose();
        }
    }

    /// <summary>
    /// KIP-890 part 1: a transactional batch that would open its producer's transaction on this partition waits for
    /// the coordinator to confirm the partition is in the transaction (<paramref name="deferred"/>); one of an open
    /// transaction appends at once. Kafka answers TRANSACTIONAL_ID_AUTHORIZATION_FAILED to transactional records
    /// without a transactional id (they could not be authorized, nor verified).
    /// </summary>
    private ErrorCode StartVerification(
        ProduceRequest request,
        Partition partition,
        ReadOnlyMemory<byte> batches,
        ProduceResponse.PartitionProduceResponse partitionResponse,
        ProduceState produce,
        out string? message,
        out bool deferred)
    {
        message = null;
        deferred = false;
        if (request.TransactionalId is null)
        {
            message = "Transactional records need the request's transactional id";
            return ErrorCode.TransactionalIdAuthorizationFailed;
        }

        if (_verifier is null)
        {
            return ErrorCode.None;
        }

        long producerId = RecordBatchHeader.ProducerId(batches.Span);
        short producerEpoch = RecordBatchHeader.ProducerEpoch(batches.Span);
        if (produce.Deferred is [var first, ..] && (first.ProducerId != producerId || first.ProducerEpoch != producerEpoch))
        {
            message = "Transactional records of one request must come from one producer id and epoch";
            return ErrorCode.InvalidProducerIdMapping;
        }

        VerificationGuard guard;
        try
        {
            guard = partition.StartTransactionVerification(producerId, producerEpoch);
        }
        catch (PartitionException e)
        {
            message = e.Message;
            return e.ErrorCode;
        }
        catch (ObjectDisposedException)
        {
            return ErrorCode.NotLeaderOrFollower;
        }

        if (!guard.IsNone)
        {
            deferred = true;
            (produce.Deferred ??= []).Add(new DeferredAppend(partition, batches, partitionResponse, producerId, producerEpoch, guard));
        }

        return ErrorCode.None;
    }

    private async ValueTask<ProduceResponse?> AppendVerifiedAsync(RequestContext context, ProduceRequest request, ProduceState produce, TaskCompletionSource appended)
    {
        try
        {
            List<DeferredAppend> deferred = produce.Deferred!;
            var partitions = new List<TopicPartition>(deferred.Count);
            foreach (DeferredAppend append in deferred)
            {
                partitions.Add(append.Partition.TopicPartition);
            }

            IReadOnlyDictionary<TopicPartition, ErrorCode> verified = await _verifier!.VerifyAsync(
                request.TransactionalId!, deferred[0].ProducerId, deferred[0].ProducerEpoch, partitions, context.CancellationToken).ConfigureAwait(false);
            foreach (DeferredAppend append in deferred)
            {
                string? message;
                ErrorCode error = verified.GetValueOrDefault(append.Partition.TopicPartition);
                (error, message) = error == ErrorCode.None
                    ? (AppendToLeader(append.Partition, append.Batches, request.Acks, append.Response, produce, append.Guard, out string? appendMessage), appendMessage)
                    : TransactionErrors.ForProduce(error, context.ApiVersion);
                if (error != ErrorCode.None)
                {
                    produce.Failed = true;
                    SetError(context.ApiVersion, append.Response, append.Partition.Topic, error, message);
                }
            }
        }
        finally
        {
            appended.TrySetResult();
        }

        return await Finish(context, request, produce).ConfigureAwait(false);
    }

    private ErrorCode AppendToLeader(
        Partition partition,
        ReadOnlyMemory<byte> batches,
        short acks,
        ProduceResponse.PartitionProduceResponse partitionResponse,
        ProduceState produce,
        VerificationGuard verification,
        out string? message)
    {
        message = null;
        AppendResult result;
        try
        {
            result = partition.AppendAsLeader(batches, acks, AppendOrigin.Client, verification);
        }
        catch (StorageException e)
        {
            message = e.Message;
            return e.ErrorCode;
        }
        catch (PartitionException e)
        {
            message = e.Message;
            return e.ErrorCode;
        }
        catch (ObjectDisposedException)
        {
            // The broker is shutting down and closed the log.
            return ErrorCode.NotLeaderOrFollower;
        }

        partitionResponse.BaseOffset = result.FirstOffset;
        partitionResponse.LogAppendTimeMs = result.LogAppendTime;
        partitionResponse.LogStartOffset = result.LogStartOffset;
        if (!result.IsDuplicate)
        {
            _metrics.RecordProduced(partition.Topic, result.Bytes, result.RecordCount);
        }

        if (acks != 0)
        {
            (produce.Pending ??= []).Add(new PendingAck(partition, result, partitionResponse));
        }
        else
        {
            _metrics.RecordProduceOutcome(ErrorCode.None);
        }

        return ErrorCode.None;
    }

    private static bool IsTransactional(ReadOnlySpan<byte> batches) =>
        batches.Length >= RecordBatchHeader.Size && (RecordBatchHeader.Attributes(batches) & RecordBatchAttributes.Transactional) != 0;

    private async ValueTask<ProduceResponse?> AwaitAcksAsync(RequestContext context, ProduceRequest request, ProduceResponse response, List<PendingAck> pending)
    {
        var cancellation = context.CancellationToken;
        using var timeout = request.TimeoutMs > 0 ? new CancellationTokenSource(TimeSpan.FromMilliseconds(request.TimeoutMs), _time) : null;
        using var linked = timeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellation, timeout.Token);
        var token = linked?.Token ?? cancellation;
        bool failed = false;
        foreach (var ack in pending)
        {
            ErrorCode error = ErrorCode.None;
            string? message = null;
            try
            {
                await ack.Partition.WaitForAcksAsync(ack.Result, request.Acks, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout is { IsCancellationRequested: true } && !cancellation.IsCancellationRequested)
            {
                error = ErrorCode.RequestTimedOut;
                message = $"the append was not acknowledged within timeout_ms {request.TimeoutMs}";
            }
            catch (PartitionException e)
            {
                (error, message) = (e.ErrorCode, e.Message);
            }
            catch (StorageException e)
            {
                (error, message) = (e.ErrorCode, e.Message);
            }
            catch (ObjectDisposedException)
            {
                error = ErrorCode.NotLeaderOrFollower;
            }

            if (error != ErrorCode.None)
            {
                failed = true;
                SetError(context.ApiVersion, ack.Response, ack.Partition.Topic, error, message);
            }
            else
            {
                _metrics.RecordProduceOutcome(ErrorCode.None);
            }
        }

        AddNodeEndpoints(context, response, failed);
        return response;
    }

    private void SetError(short version, ProduceResponse.PartitionProduceResponse response, string topic, ErrorCode error, string? message)
    {
        _metrics.RecordProduceOutcome(error);
        if (error == ErrorCode.KafkaStorageError && version < 4)
        {
            error = ErrorCode.NotLeaderOrFollower;
        }

        response.ErrorCode = (short)error;
        if (version >= 8)
        {
            response.ErrorMessage = message;
        }

        if (version >= 10 && LeaderHints.Applies(error) && LeaderHints.CurrentLeader(_replicas.AppliedImage, topic, response.Index) is { } leader)
        {
            response.CurrentLeader = new ProduceResponse.LeaderIdAndEpoch { LeaderId = leader.LeaderId, LeaderEpoch = leader.LeaderEpoch };
        }
    }

    /// <summary>KIP-951 (v10+): the endpoints of the leaders named in CurrentLeader fields.</summary>
    private void AddNodeEndpoints(RequestContext context, ProduceResponse response, bool failed)
    {
        if (!failed || context.ApiVersion < 10)
        {
            return;
        }

        var image = _replicas.AppliedImage;
        foreach (var topic in response.Responses)
        {
            foreach (var partition in topic.PartitionResponses)
            {
                int leaderId = partition.CurrentLeader.LeaderId;
                if (leaderId < 0 || response.NodeEndpoints.Exists(e => e.NodeId == leaderId))
                {
                    continue;
                }

                if (LeaderHints.Endpoint(image, leaderId, context.Connection.ListenerName) is { } found)
                {
                    response.NodeEndpoints.Add(new ProduceResponse.NodeEndpoint
                    {
                        NodeId = leaderId,
                        Host = found.Endpoint.Host,
                        Port = found.Endpoint.Port,
                        Rack = found.Rack,
                    });
                }
            }
        }
    }

    private sealed record PendingAck(Partition Partition, AppendResult Result, ProduceResponse.PartitionProduceResponse Response);

    /// <summary>A partition's batch waiting for the transaction coordinator's verification.</summary>
    private sealed record DeferredAppend(Partition Partition, ReadOnlyMemory<byte> Batches, ProduceResponse.PartitionProduceResponse Response, long ProducerId, short ProducerEpoch, VerificationGuard Guard);

    /// <summary>One request's answer as its partitions are appended.</summary>
    private sealed class ProduceState(ProduceResponse response)
    {
        public ProduceResponse Response { get; } = response;

        public List<PendingAck>? Pending { get; set; }

        public List<DeferredAppend>? Deferred { get; set; }

        public bool Failed { get; set; }
    }
}
