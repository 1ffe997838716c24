using Chronik.Cluster.Chaos.Checking;
using Chronik.Cluster.Chaos.Run;
using Confluent.Kafka;

namespace Chronik.Cluster.Chaos.Workload;

/// <summary>
/// A consumer in a group that reads the topic during the faults and commits its positions (manual,
/// synchronous commits every <c>commitInterval</c>), recording every record it read and every commit
/// attempt with its outcome. Runs on its own thread: the librdkafka consumer API blocks.
/// </summary>
public sealed class GroupConsumer : IDisposable
{
    private readonly IConsumer<Ignore, byte[]> _consumer;
    private readonly string _topic;
    private readonly TimeSpan _commitInterval;
    private readonly EventLog _log;
    private readonly Lock _lock = new();
    private readonly List<LogRecord> _consumed = [];
    private readonly Dictionary<int, long> _positions = [];
    private readonly Dictionary<int, long> _committed = [];

    public GroupConsumer(string bootstrap, string groupId, string topic, TimeSpan commitInterval, EventLog log)
    {
        _topic = topic;
        _commitInterval = commitInterval;
        _log = log;
        var config = new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = groupId,
            ClientId = "chaos-group-consumer",
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            SessionTimeoutMs = 10_000,
            HeartbeatIntervalMs = 1_000,
            MaxPollIntervalMs = 60_000,
            SocketTimeoutMs = 10_000,
            ReconnectBackoffMs = 50,
            ReconnectBackoffMaxMs = 1_000,
            TopicMetadataRefreshIntervalMs = 5_000,
        };
        _consumer = new ConsumerBuilder<Ignore, byte[]>(config)
            .SetLogHandler((_, m) => log.Detail($"[consumer] librdkafka {m.Level} {m.Facility}: {m.Message}"))
            .SetErrorHandler((_, e) => log.Detail($"[consumer] error {e.Code}{(e.IsFatal ? " (fatal)" : "")}: {e.Reason}"))
            .SetPartitionsAssignedHandler((_, partitions) => log.Detail($"[consumer] assigned {string.Join(",", partitions.Select(p => p.Partition.Value))}"))
            .SetPartitionsRevokedHandler((_, partitions) =>
            {
                log.Detail($"[consumer] revoked {string.Join(",", partitions.Select(p => p.Partition.Value))}");
                lock (_lock)
                {
                    foreach (TopicPartitionOffset p in partitions)
                    {
                        _positions.Remove(p.Partition.Value);
                    }
                }
            })
            .Build();
    }

    public CommitLedger Commits { get; } = new();

    public long ConsumedCount
    {
        get
        {
            lock (_lock)
            {
                return _consumed.Count;
            }
        }
    }

    /// <summary>Consumes and commits until <paramref name="stop"/> fires, then commits once more and leaves the group.</summary>
    public Task RunAsync(CancellationToken stop) => Task.Factory.StartNew(
        () =>
        {
            _consumer.Subscribe(_topic);
            DateTime nextCommit = DateTime.UtcNow + _commitInterval;
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    ConsumeResult<Ignore, byte[]>? result = _consumer.Consume(TimeSpan.FromMilliseconds(100));
                    if (result is { IsPartitionEOF: false, Message: not null })
                    {
                        lock (_lock)
                        {
                            _consumed.Add(new LogRecord(result.Partition.Value, result.Offset.Value, result.Message.Value ?? []));
                            _positions[result.Partition.Value] = result.Offset.Value + 1;
                        }
                    }
                }
                catch (KafkaException e)
                {
                    _log.Detail($"[consumer] consume failed: {e.Error.Code} {e.Error.Reason}");
                }

                if (DateTime.UtcNow >= nextCommit)
                {
                    Commit();
                    nextCommit = DateTime.UtcNow + _commitInterval;
                }
            }

            Commit();
            _consumer.Close();
        },
        CancellationToken.None,
        TaskCreationOptions.LongRunning,
        TaskScheduler.Default);

    /// <summary>What was read, in the order it was read.</summary>
    public IReadOnlyList<LogRecord> Consumed()
    {
        lock (_lock)
        {
            return [.. _consumed];
        }
    }

    public void Dispose() => _consumer.Dispose();

    private void Commit()
    {
        List<TopicPartitionOffset> offsets;
        lock (_lock)
        {
            offsets = [.. _positions
                .Where(p => !_committed.TryGetValue(p.Key, out long done) || done != p.Value)
                .Select(p => new TopicPartitionOffset(_topic, p.Key, p.Value))];
        }

        if (offsets.Count == 0)
        {
            return;
        }

        int[] attempts = [.. offsets.Select(o => Commits.Begin(o.Partition.Value, o.Offset.Value))];
        List<TopicPartitionOffset> succeeded;
        try
        {
            // Synchronous: returns when the coordinator answered (it may never, while no coordinator is reachable).
            _consumer.Commit(offsets);
            succeeded = offsets;
        }
        catch (TopicPartitionOffsetException e)
        {
            succeeded = [.. e.Results.Where(r => !r.Error.IsError).Select(r => r.TopicPartitionOffset)];
            _log.Detail($"[consumer] commit partly failed: {string.Join(", ", e.Results.Where(r => r.Error.IsError).Select(r => $"{r.Partition.Value}@{r.Offset.Value} {r.Error.Code}"))}");
        }
        catch (KafkaException e)
        {
            succeeded = [];
            _log.Detail($"[consumer] commit failed: {e.Error.Code} {e.Error.Reason}");
        }

        var ok = new HashSet<int>(succeeded.Select(s => s.Partition.Value));
        for (int i = 0; i < offsets.Count; i++)
        {
            int partition = offsets[i].Partition.Value;
            if (ok.Contains(partition))
            {
                Commits.Succeeded(attempts[i]);
                lock (_lock)
                {
                    _committed[partition] = offsets[i].Offset.Value;
                }
            }
        }
    }
}
