using Chronik.Broker.Partitions;
using Chronik.Broker.Requests;
using Chronik.Protocol.Compression;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;
using Chronik.Storage;

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
/// Simplified: no transaction verification (KIP-890 part 1) and no check that a transactional batch comes with the
/// request's transactional_id yet (the transaction coordinator's work). compression.type other than "producer"
/// does not recompress. No quotas (throttle 0).
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

    private readonly ReplicaManager _replicas;
    private readonly BrokerTopicMetrics _metrics;
    private readonly TimeProvider _time;

    public ProduceHandler(ReplicaManager replicas, BrokerTopicMetrics metrics, TimeProvider? time = null)
    {
        _replicas = replicas;
        _metrics = metrics;
        _time = time ?? TimeProvider.System;
    }

    public override ApiKey ApiKey => ApiKey.Produce;

    public override short MinVersion => 0;

    public override short MaxVersion => 11;

    protected override ValueTask<ProduceResponse?> HandleAsync(RequestContext context, ProduceRequest request)
    {
        short version = context.ApiVersion;
        short acks = request.Acks;
        bool validAcks = acks is -1 or 0 or 1;
        var response = new ProduceResponse { Responses = new List<ProduceResponse.TopicProduceResponse>(request.TopicData.Count) };
        List<PendingAck>? pending = null;
        bool failed = false;
        foreach (var topic in request.TopicData)
        {
            var topicResponse = new ProduceResponse.TopicProduceResponse
            {
                Name = topic.Name,
                PartitionResponses = new List<ProduceResponse.PartitionProduceResponse>(topic.PartitionData.Count),
            };
            response.Responses.Add(topicResponse);
            foreach (var data in topic.PartitionData)
            {
                var partitionResponse = new ProduceResponse.PartitionProduceResponse { Index = data.Index, BaseOffset = -1, LogAppendTimeMs = -1, LogStartOffset = -1 };
                topicResponse.PartitionResponses.Add(partitionResponse);
                ErrorCode error;
                string? message = null;
                if (!validAcks)
                {
                    error = ErrorCode.InvalidRequiredAcks;
                }
                else
                {
                    error = Append(context, topic.Name, data, acks, partitionResponse, ref pending, out message);
                }

                if (error != ErrorCode.None)
                {
                    failed = true;
                    SetError(version, partitionResponse, topic.Name, error, message);
                }
            }
        }

        if (acks == 0 && validAcks)
        {
            if (failed)
            {
                context.RequestConnectionClose();
            }

            return new((ProduceResponse?)null);
        }

        if (pending is null)
        {
            AddNodeEndpoints(context, response, failed);
            return new(response);
        }

        return AwaitAcksAsync(context, request, response, pending);
    }

    private ErrorCode Append(
        RequestContext context,
        string topic,
        ProduceRequest.PartitionProduceData data,
        short acks,
        ProduceResponse.PartitionProduceResponse partitionResponse,
        ref List<PendingAck>? pending,
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

        AppendResult result;
        try
        {
            result = partition.AppendAsLeader(batches, acks);
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
        finally
        {
            converted?.Dispose();
        }

        partitionResponse.BaseOffset = result.FirstOffset;
        partitionResponse.LogAppendTimeMs = result.LogAppendTime;
        partitionResponse.LogStartOffset = result.LogStartOffset;
        if (!result.IsDuplicate)
        {
            _metrics.RecordProduced(topic, result.Bytes, result.RecordCount);
        }

        if (acks != 0)
        {
            (pending ??= []).Add(new PendingAck(partition, result, partitionResponse));
        }
        else
        {
            _metrics.RecordProduceOutcome(ErrorCode.None);
        }

        return ErrorCode.None;
    }

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
}
