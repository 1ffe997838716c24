using Chronik.Broker.Network;
using Chronik.Broker.Partitions;
using Chronik.Broker.Partitions.FetchSessions;
using Chronik.Broker.Requests;
using Chronik.Protocol.Compression;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Records;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Handlers;

/// <summary>
/// Fetch (key 1), v0-17.
/// Behavior: each partition is read from fetch_offset — whole batches as stored, copied once from the segment file
/// into the response — up to the high watermark for consumers (replica_id -1; read_committed stops at the last
/// stable offset, below the first transaction still open, and lists the aborted transactions overlapping the
/// batches returned, from the partition's aborted-transaction index) and to the log end for followers. partition_max_bytes and max_bytes (capped by the broker's
/// fetch.max.bytes) bound the response, except that the first batch of the first partition with data is returned
/// even when larger (KIP-74). With fewer than min_bytes available the request waits up to max_wait_ms without
/// holding a thread: a partition's high watermark moving (the group fsync completing a produce) wakes it, and it
/// reads again. Errors: OFFSET_OUT_OF_RANGE outside [log start, log end], FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH
/// from current_leader_epoch, NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION, UNKNOWN_TOPIC_ID (v13+),
/// KAFKA_STORAGE_ERROR; a partition with an error answers at once. Fetch sessions (KIP-227, v7+): full requests
/// open a session in a bounded cache, incremental ones answer only partitions with news; session errors are
/// FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH, FETCH_SESSION_TOPIC_ID_ERROR.
/// Followers (replica_id ≥ 0) are answered as Kafka's leader does — reads to the log end, and the follower's
/// position is recorded for the high watermark — but replication itself (fetchers, ISR changes) is the cluster's;
/// a broker that is not an assigned replica gets UNKNOWN_LEADER_EPOCH or NOT_LEADER_OR_FOLLOWER.
/// Simplified: no fetch from follower (preferred_read_replica is always -1, KIP-392), no quotas (throttle 0),
/// no tiered storage.
/// Version notes: v0-1 read message format v0 and v2-3 v1 (batches are down-converted for them, records headers
/// and producer ids are lost); v0-2 have no max_bytes and no KIP-74 first-batch exception; v3 max_bytes; v4
/// isolation_level, last_stable_offset, aborted_transactions; v5 log_start_offset; v6 KAFKA_STORAGE_ERROR (older
/// versions get NOT_LEADER_OR_FOLLOWER); v7 fetch sessions and forgotten topics (KIP-227); v9
/// current_leader_epoch (KIP-320); v10 zstd; v11 rack_id and preferred_read_replica (KIP-392); v12 flexible,
/// last_fetched_epoch and diverging_epoch (KIP-595), current_leader; v13 topic ids (KIP-516); v15 replica_state
/// (KIP-903); v16 node_endpoints (KIP-951); v17 replica_directory_id (KIP-853).
/// </summary>
public sealed class FetchHandler : ApiHandler<FetchRequest, FetchResponseBody>
{
    private readonly ReplicaManager _replicas;
    private readonly FetchSessionCache _sessions;
    private readonly BrokerTopicMetrics _metrics;
    private readonly int _fetchMaxBytes;
    private readonly TimeProvider _time;
    private readonly FetchDeadlines _deadlines;

    /// <param name="fetchMaxBytes">The broker's fetch.max.bytes: the largest response to a consumer.</param>
    public FetchHandler(ReplicaManager replicas, FetchSessionCache sessions, BrokerTopicMetrics metrics, int fetchMaxBytes, TimeProvider? time = null)
    {
        _replicas = replicas;
        _sessions = sessions;
        _metrics = metrics;
        _fetchMaxBytes = fetchMaxBytes;
        _time = time ?? TimeProvider.System;
        _deadlines = new FetchDeadlines(_time);
    }

    public override ApiKey ApiKey => ApiKey.Fetch;

    public override short MinVersion => 0;

    public override short MaxVersion => 17;

    protected override ValueTask<FetchResponseBody?> HandleAsync(RequestContext context, FetchRequest request)
    {
        short version = context.ApiVersion;
        int replicaId = version >= 15 ? request.ReplicaState.ReplicaId : request.ReplicaId;
        var fetchContext = _sessions.NewContext(version, request.SessionId, request.SessionEpoch, replicaId >= 0, Requested(request, version), Forgotten(request, version), NowMs);
        if (fetchContext.Kind == FetchContextKind.SessionError)
        {
            return new(new FetchResponseBody(new FetchResponse { ErrorCode = (short)fetchContext.Error }));
        }

        var isolation = version >= 4 && request.IsolationLevel == 1 ? FetchIsolation.TxnCommitted : FetchIsolation.HighWatermark;
        int maxBytes = version >= 3 ? Math.Min(request.MaxBytes, _fetchMaxBytes) : int.MaxValue;
        long replicaEpoch = version >= 15 ? request.ReplicaState.ReplicaEpoch : -1;
        var operation = new FetchOperation(Resolve(fetchContext), replicaId, isolation, maxBytes, minOneMessage: version >= 3, checkLastFetchedEpoch: version >= 12, replicaEpoch);
        var reading = operation.ReadAndWaitAsync(request.MinBytes, request.MaxWaitMs, _deadlines, context.CancellationToken);
        return reading.IsCompletedSuccessfully
            ? new(BuildResponse(context, fetchContext, operation, isolation))
            : RespondWhenReadAsync(context, fetchContext, operation, isolation, reading);
    }

    private static List<(FetchPartitionKey Key, FetchPartitionParams Params)> Requested(FetchRequest request, short version)
    {
        int count = 0;
        foreach (var topic in request.Topics)
        {
            count += topic.Partitions.Count;
        }

        var requested = new List<(FetchPartitionKey Key, FetchPartitionParams Params)>(count);
        foreach (var topic in request.Topics)
        {
            foreach (var partition in topic.Partitions)
            {
                var key = version >= 13 ? FetchPartitionKey.ById(topic.TopicId, partition.Partition) : FetchPartitionKey.ByName(topic.Topic, partition.Partition);
                requested.Add((key, new FetchPartitionParams(partition.FetchOffset, partition.PartitionMaxBytes, partition.CurrentLeaderEpoch, partition.LastFetchedEpoch, partition.LogStartOffset)));
            }
        }

        return requested;
    }

    private static List<FetchPartitionKey> Forgotten(FetchRequest request, short version)
    {
        var forgotten = new List<FetchPartitionKey>();
        foreach (var topic in request.ForgottenTopicsData)
        {
            foreach (int partition in topic.Partitions)
            {
                forgotten.Add(version >= 13 ? FetchPartitionKey.ById(topic.TopicId, partition) : FetchPartitionKey.ByName(topic.Topic, partition));
            }
        }

        return forgotten;
    }

    private FetchTarget[] Resolve(FetchContext fetchContext)
    {
        var partitions = fetchContext.Partitions;
        var targets = new FetchTarget[partitions.Count];
        for (int i = 0; i < targets.Length; i++)
        {
            var (key, request) = partitions[i];
            if (fetchContext.UsesTopicIds)
            {
                var partition = _replicas.GetPartition(key.TopicId, key.Partition, out var error);
                targets[i] = new FetchTarget(key, request, partition?.Topic ?? _replicas.TopicName(key.TopicId), key.TopicId, partition, error);
            }
            else
            {
                var partition = _replicas.GetPartition(key.Topic, key.Partition, out var error);
                targets[i] = new FetchTarget(key, request, key.Topic, partition?.TopicId ?? Guid.Empty, partition, error);
            }
        }

        return targets;
    }

    private async ValueTask<FetchResponseBody?> RespondWhenReadAsync(RequestContext context, FetchContext fetchContext, FetchOperation operation, FetchIsolation isolation, ValueTask reading)
    {
        await reading.ConfigureAwait(false);
        context.CancellationToken.ThrowIfCancellationRequested();
        return BuildResponse(context, fetchContext, operation, isolation);
    }

    private FetchResponseBody BuildResponse(RequestContext context, FetchContext fetchContext, FetchOperation operation, FetchIsolation isolation)
    {
        short version = context.ApiVersion;
        var targets = operation.Targets;
        var outcomes = new FetchPartitionOutcome[targets.Count];
        var include = new bool[targets.Count];
        long total = 0;
        for (int i = 0; i < targets.Count; i++)
        {
            var t = targets[i];
            outcomes[i] = new FetchPartitionOutcome(t.Error, t.HighWatermark, t.LogStartOffset, t.Records.Length, t.DivergingEpoch is not null);
        }

        var (sessionId, sessionError) = _sessions.Complete(fetchContext, outcomes, include, NowMs);
        var response = new FetchResponse();
        if (version >= 7)
        {
            response.SessionId = sessionId;
            response.ErrorCode = (short)sessionError;
        }

        if (sessionError != ErrorCode.None)
        {
            return new FetchResponseBody(response);
        }

        for (int i = 0; i < targets.Count; i++)
        {
            if (include[i])
            {
                total += targets[i].Records.Length;
            }
        }

        byte[]? arena = total > 0 ? FrameBuffers.Rent((int)Math.Min(total, Array.MaxLength)) : null;
        List<IDisposable>? owned = null;
        int position = 0;
        FetchResponse.FetchableTopicResponse? current = null;
        var image = _replicas.AppliedImage;
        for (int i = 0; i < targets.Count; i++)
        {
            if (!include[i])
            {
                continue;
            }

            var target = targets[i];
            var data = NewPartitionData(target, isolation, version);
            if (target.Records.Length > 0 && position + target.Records.Length <= arena!.Length)
            {
                var slice = arena.AsMemory(position, target.Records.Length);
                var error = CopyRecords(target, slice, version, data, ref owned);
                if (error == ErrorCode.None)
                {
                    position += slice.Length;
                    _metrics.RecordFetched(target.Topic!, slice.Length);
                }
                else
                {
                    data = NewPartitionData(target, isolation, version, error);
                }
            }

            var partitionError = (ErrorCode)data.ErrorCode;
            _metrics.RecordFetchOutcome(partitionError);
            if (version >= 12 && LeaderHints.Applies(partitionError) && target.Topic is { } topicName
                && LeaderHints.CurrentLeader(image, topicName, target.Index) is { } leader)
            {
                data.CurrentLeader = new FetchResponse.LeaderIdAndEpoch { LeaderId = leader.LeaderId, LeaderEpoch = leader.LeaderEpoch };
                AddNodeEndpoint(context, response, image, leader.LeaderId);
            }

            if (current is null || (fetchContext.UsesTopicIds ? current.TopicId != target.TopicId : current.Topic != target.Key.Topic))
            {
                current = new FetchResponse.FetchableTopicResponse
                {
                    Topic = fetchContext.UsesTopicIds ? target.Topic ?? "" : target.Key.Topic,
                    TopicId = target.TopicId,
                };
                response.Responses.Add(current);
            }

            current.Partitions.Add(data);
        }

        return new FetchResponseBody(response, arena, owned);
    }

    private static FetchResponse.PartitionData NewPartitionData(FetchTarget target, FetchIsolation isolation, short version, ErrorCode? failure = null)
    {
        var error = failure ?? target.Error;
        bool ok = error == ErrorCode.None;
        var data = new FetchResponse.PartitionData
        {
            PartitionIndex = target.Index,
            ErrorCode = (short)ForVersion(error, version),
            HighWatermark = ok ? target.HighWatermark : -1,
            LastStableOffset = ok ? target.LastStableOffset : -1,
            LogStartOffset = ok ? target.LogStartOffset : -1,
            AbortedTransactions = ok && isolation == FetchIsolation.TxnCommitted ? [] : null,
            Records = ReadOnlyMemory<byte>.Empty,
        };
        if (ok && target.DivergingEpoch is { } diverging)
        {
            data.DivergingEpoch = new FetchResponse.EpochEndOffset { Epoch = diverging.Epoch, EndOffset = diverging.EndOffset };
        }

        return data;
    }

    /// <summary>Copies the target's batches from the segment file into <paramref name="slice"/>; down-converts for v0-3.</summary>
    private static ErrorCode CopyRecords(FetchTarget target, Memory<byte> slice, short version, FetchResponse.PartitionData data, ref List<IDisposable>? owned)
    {
        try
        {
            target.Records.CopyTo(slice.Span);
        }
        catch (IOException)
        {
            return ErrorCode.KafkaStorageError;
        }
        catch (ObjectDisposedException)
        {
            return ErrorCode.NotLeaderOrFollower;
        }

        if (version >= 4)
        {
            data.Records = slice;
            if (data.AbortedTransactions is not null)
            {
                data.AbortedTransactions = AbortedTransactions(target, slice.Span);
            }

            return ErrorCode.None;
        }

        // Fetch v0-3 clients read only message format v0 (v0-1) or v1 (v2-3).
        var converted = new PooledBufferWriter(slice.Length + 64);
        try
        {
            MessageFormatConverter.V2ToLegacy(slice, version <= 1 ? (byte)0 : (byte)1, converted);
        }
        catch (Exception e) when (e is RecordDecodeException or CompressionException)
        {
            converted.Dispose();
            return ErrorCode.CorruptMessage;
        }

        (owned ??= []).Add(converted);
        data.Records = converted.WrittenMemory;
        return ErrorCode.None;
    }

    /// <summary>
    /// read_committed: the aborted transactions overlapping the batches returned, from the fetch offset to just past
    /// the last batch (Kafka's upper bound), so the consumer can skip their records.
    /// </summary>
    private static List<FetchResponse.AbortedTransaction> AbortedTransactions(FetchTarget target, ReadOnlySpan<byte> batches)
    {
        long upperBound = target.Request.FetchOffset;
        int position = 0;
        while (batches.Length - position >= RecordBatchHeader.Size)
        {
            ReadOnlySpan<byte> batch = batches[position..];
            upperBound = RecordBatchHeader.LastOffset(batch) + 1;
            position += RecordBatchHeader.TotalSize(batch);
        }

        List<Storage.Transactions.AbortedTransaction> aborted = target.Partition!.Log.CollectAbortedTransactions(target.Request.FetchOffset, upperBound);
        var result = new List<FetchResponse.AbortedTransaction>(aborted.Count);
        foreach (Storage.Transactions.AbortedTransaction transaction in aborted)
        {
            result.Add(new FetchResponse.AbortedTransaction { ProducerId = transaction.ProducerId, FirstOffset = transaction.FirstOffset });
        }

        return result;
    }

    /// <summary>Older versions know fewer errors: KAFKA_STORAGE_ERROR came with v6.</summary>
    private static ErrorCode ForVersion(ErrorCode error, short version) =>
        error == ErrorCode.KafkaStorageError && version < 6 ? ErrorCode.NotLeaderOrFollower : error;

    /// <summary>KIP-951 (v16+): how to reach a leader named in a CurrentLeader field.</summary>
    private static void AddNodeEndpoint(RequestContext context, FetchResponse response, Cluster.Metadata.MetadataImage image, int leaderId)
    {
        if (context.ApiVersion < 16)
        {
            return;
        }

        foreach (var endpoint in response.NodeEndpoints)
        {
            if (endpoint.NodeId == leaderId)
            {
                return;
            }
        }

        if (LeaderHints.Endpoint(image, leaderId, context.Connection.ListenerName) is { } found)
        {
            response.NodeEndpoints.Add(new FetchResponse.NodeEndpoint { NodeId = leaderId, Host = found.Endpoint.Host, Port = found.Endpoint.Port, Rack = found.Rack });
        }
    }

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();
}
