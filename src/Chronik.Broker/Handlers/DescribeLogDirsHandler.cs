using Chronik.Broker.Partitions;
using Chronik.Broker.Requests;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Handlers;

/// <summary>
/// DescribeLogDirs (key 35), v0-4.
/// Behavior: one log directory, data-dir/logs (absolute path), with every hosted partition — or only the requested
/// ones, omitting those not hosted here, as Kafka — and its size in bytes (all segments) and offset lag
/// (max(0, high watermark - log end), 0 on a leader). An I/O failure that took the directory offline answers
/// KAFKA_STORAGE_ERROR for it. v4 adds the volume's total and usable bytes.
/// Simplified: no authorizer yet (Kafka requires DESCRIBE on the cluster); no future logs (AlterReplicaLogDirs).
/// Version notes: v1 same as v0; v2 flexible; v3 top-level error_code; v4 total_bytes and usable_bytes (KIP-827).
/// </summary>
public sealed class DescribeLogDirsHandler : ApiHandler<DescribeLogDirsRequest, DescribeLogDirsResponse>
{
    private readonly ReplicaManager _replicas;

    public DescribeLogDirsHandler(ReplicaManager replicas)
    {
        _replicas = replicas;
    }

    public override ApiKey ApiKey => ApiKey.DescribeLogDirs;

    public override short MinVersion => 0;

    public override short MaxVersion => 4;

    protected override ValueTask<DescribeLogDirsResponse?> HandleAsync(RequestContext context, DescribeLogDirsRequest request)
    {
        var logs = _replicas.Logs;
        var result = new DescribeLogDirsResponse.DescribeLogDirsResult
        {
            LogDir = logs.LogsDirectory,
            ErrorCode = (short)(logs.Failure is null ? ErrorCode.None : ErrorCode.KafkaStorageError),
        };
        if (context.ApiVersion >= 4)
        {
            try
            {
                var drive = new DriveInfo(logs.LogsDirectory);
                result.TotalBytes = drive.TotalSize;
                result.UsableBytes = drive.AvailableFreeSpace;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
            {
                // Unknown volume: the fields keep their default -1.
            }
        }

        if (logs.Failure is null)
        {
            var byTopic = new SortedDictionary<string, DescribeLogDirsResponse.DescribeLogDirsTopic>(StringComparer.Ordinal);
            if (request.Topics is null)
            {
                foreach (var partition in _replicas.Partitions)
                {
                    Add(byTopic, partition);
                }
            }
            else
            {
                foreach (var topic in request.Topics)
                {
                    foreach (int index in topic.Partitions)
                    {
                        if (_replicas.GetPartition(new Storage.TopicPartition(topic.Topic, index)) is { } partition)
                        {
                            Add(byTopic, partition);
                        }
                    }
                }
            }

            result.Topics = [.. byTopic.Values];
        }

        return new(new DescribeLogDirsResponse { Results = [result] });
    }

    private static void Add(SortedDictionary<string, DescribeLogDirsResponse.DescribeLogDirsTopic> byTopic, Partition partition)
    {
        if (!byTopic.TryGetValue(partition.Topic, out var topic))
        {
            topic = new DescribeLogDirsResponse.DescribeLogDirsTopic { Name = partition.Topic };
            byTopic[partition.Topic] = topic;
        }

        if (topic.Partitions.Exists(p => p.PartitionIndex == partition.Index))
        {
            return;
        }

        topic.Partitions.Add(new DescribeLogDirsResponse.DescribeLogDirsPartition
        {
            PartitionIndex = partition.Index,
            PartitionSize = partition.Log.Size,
            OffsetLag = Math.Max(0, partition.HighWatermark - partition.LogEndOffset),
        });
    }
}
