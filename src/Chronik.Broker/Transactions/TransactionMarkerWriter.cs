using System.Buffers;
using Chronik.Broker.Groups.Runtime;
using Chronik.Broker.Partitions;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Records;
using Chronik.Protocol.Wire;
using Chronik.Storage;

namespace Chronik.Broker.Transactions;

/// <summary>
/// Appends transaction markers to partitions this broker leads — the work of WriteTxnMarkers, whether the request
/// came from another broker's transaction coordinator or from this broker's own (a local call). A data partition
/// gets a control batch (one COMMIT or ABORT record, the producer's id and epoch, the coordinator epoch) appended
/// as a coordinator write with acks=all; a __consumer_offsets partition gets it through the group coordinator,
/// which orders it with its own writes and commits or drops the producer's pending offsets.
/// </summary>
public sealed class TransactionMarkerWriter
{
    private readonly ReplicaManager _replicas;
    private readonly GroupCoordinator _groups;
    private readonly TimeProvider _time;

    public TransactionMarkerWriter(ReplicaManager replicas, GroupCoordinator groups, TimeProvider? time = null)
    {
        _replicas = replicas;
        _groups = groups;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Writes one marker to each of its partitions (concurrently) and reports each partition's error.</summary>
    public async Task<WriteTxnMarkersResponse.WritableTxnMarkerResult> WriteAsync(WriteTxnMarkersRequest.WritableTxnMarker marker, CancellationToken cancellationToken)
    {
        var result = new WriteTxnMarkersResponse.WritableTxnMarkerResult { ProducerId = marker.ProducerId };
        byte[] batch = MarkerBatch(marker.ProducerId, marker.ProducerEpoch, marker.TransactionResult, marker.CoordinatorEpoch, _time.GetUtcNow().ToUnixTimeMilliseconds());
        var pending = new List<(WriteTxnMarkersResponse.WritableTxnMarkerTopicResult Topic, int Partition, Task<ErrorCode> Written)>();
        foreach (WriteTxnMarkersRequest.WritableTxnMarkerTopic topic in marker.Topics)
        {
            var topicResult = new WriteTxnMarkersResponse.WritableTxnMarkerTopicResult { Name = topic.Name };
            result.Topics.Add(topicResult);
            foreach (int partition in topic.PartitionIndexes)
            {
                Task<ErrorCode> written = topic.Name == InternalTopics.ConsumerOffsets
                    ? WriteToOffsetsAsync(partition, marker)
                    : AppendAsync(topic.Name, partition, batch, cancellationToken);
                pending.Add((topicResult, partition, written));
            }
        }

        foreach (var (topicResult, partition, written) in pending)
        {
            ErrorCode error = await written.ConfigureAwait(false);
            topicResult.Partitions.Add(new WriteTxnMarkersResponse.WritableTxnMarkerPartitionResult { PartitionIndex = partition, ErrorCode = (short)error });
        }

        return result;
    }

    /// <summary>Kafka's MemoryRecords.withEndTransactionMarker: the control batch a marker is.</summary>
    public static byte[] MarkerBatch(long producerId, short producerEpoch, bool committed, int coordinatorEpoch, long timestampMs)
    {
        var output = new ArrayBufferWriter<byte>(96);
        var marker = new EndTransactionMarker(committed ? ControlRecordType.Commit : ControlRecordType.Abort, coordinatorEpoch);
        ControlRecords.WriteEndTransactionMarkerBatch(output, producerId, producerEpoch, marker, timestampMs);
        return output.WrittenSpan.ToArray();
    }

    private async Task<ErrorCode> AppendAsync(string topic, int index, byte[] batch, CancellationToken cancellationToken)
    {
        Partition? partition = _replicas.GetPartition(topic, index, out ErrorCode lookupError);
        if (partition is null)
        {
            return lookupError;
        }

        try
        {
            AppendResult appended = partition.AppendAsLeader(batch, requiredAcks: -1, AppendOrigin.Coordinator);
            await partition.WaitForAcksAsync(appended, requiredAcks: -1, cancellationToken).ConfigureAwait(false);
            return ErrorCode.None;
        }
        catch (PartitionException ex)
        {
            return ex.ErrorCode;
        }
        catch (StorageException ex)
        {
            return ex.ErrorCode;
        }
        catch (ObjectDisposedException)
        {
            return ErrorCode.NotLeaderOrFollower;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ErrorCode.RequestTimedOut;
        }
    }

    /// <summary>The group coordinator writes the marker; a partition it does not serve (now) is for the sender to retry.</summary>
    private async Task<ErrorCode> WriteToOffsetsAsync(int partition, WriteTxnMarkersRequest.WritableTxnMarker marker)
    {
        ErrorCode error = await _groups.CompleteTransactionAsync(partition, marker.ProducerId, marker.ProducerEpoch, marker.TransactionResult, marker.CoordinatorEpoch).ConfigureAwait(false);
        return error is ErrorCode.NotCoordinator or ErrorCode.CoordinatorLoadInProgress or ErrorCode.CoordinatorNotAvailable ? ErrorCode.NotLeaderOrFollower : error;
    }
}
