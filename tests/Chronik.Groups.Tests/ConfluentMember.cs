using System.Collections.Concurrent;
using Confluent.Kafka;

namespace Chronik.Groups.Tests;

/// <summary>
/// A Confluent.Kafka (librdkafka) consumer polling on its own thread: records consumed, assignment
/// history (assigned / revoked events in order) and the current assignment.
/// </summary>
public sealed class ConfluentMember : IDisposable
{
    private readonly IConsumer<string, string> _consumer;
    private readonly Thread _thread;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _lock = new();
    private readonly List<int> _assignment = [];
    private bool _closeOnStop = true;

    public ConfluentMember(string name, ConsumerConfig config, string topic)
    {
        Name = name;
        config.EnableAutoCommit ??= true;
        config.AutoCommitIntervalMs ??= 200;
        config.AutoOffsetReset ??= AutoOffsetReset.Earliest;
        _consumer = new ConsumerBuilder<string, string>(config)
            .SetPartitionsAssignedHandler((_, partitions) => OnAssigned(partitions))
            .SetPartitionsRevokedHandler((_, partitions) => OnRevoked(partitions))
            .SetPartitionsLostHandler((_, partitions) => OnRevoked(partitions))
            .SetErrorHandler((_, error) => Errors.Enqueue(error.ToString()))
            .Build();
        _consumer.Subscribe(topic);
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    public string Name { get; }

    public ConcurrentQueue<(int Partition, long Offset, string Value)> Records { get; } = new();

    /// <summary>"+p" / "-p" events in the order librdkafka reported them.</summary>
    public ConcurrentQueue<string> Events { get; } = new();

    public ConcurrentQueue<string> Errors { get; } = new();

    public IReadOnlyList<int> Assignment
    {
        get
        {
            lock (_lock)
            {
                return [.. _assignment.Order()];
            }
        }
    }

    /// <summary>Commits explicit offsets as this member (with its generation); throws KafkaException on refusal.</summary>
    public void CommitDirect(IEnumerable<TopicPartitionOffset> offsets) => _consumer.Commit(offsets);

    /// <summary>Stops without leaving the group (as a crashed process would).</summary>
    public void Abandon()
    {
        _closeOnStop = false;
        Dispose();
    }

    public void Dispose()
    {
        if (!_stop.IsCancellationRequested)
        {
            _stop.Cancel();
            _thread.Join(TimeSpan.FromSeconds(30));
            if (_closeOnStop)
            {
                _consumer.Close();
            }

            _consumer.Dispose();
        }
    }

    public override string ToString() => $"{Name}: assignment [{string.Join(",", Assignment)}], events [{string.Join(" ", Events)}], errors [{string.Join("; ", Errors.TakeLast(5))}]";

    private void OnAssigned(List<TopicPartition> partitions)
    {
        lock (_lock)
        {
            foreach (TopicPartition tp in partitions)
            {
                _assignment.Add(tp.Partition.Value);
                Events.Enqueue("+" + tp.Partition.Value);
            }
        }
    }

    private void OnRevoked(List<TopicPartitionOffset> partitions)
    {
        lock (_lock)
        {
            foreach (TopicPartitionOffset tp in partitions)
            {
                _assignment.Remove(tp.Partition.Value);
                Events.Enqueue("-" + tp.Partition.Value);
            }
        }
    }

    private void Run()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                ConsumeResult<string, string>? result = _consumer.Consume(TimeSpan.FromMilliseconds(100));
                if (result is { IsPartitionEOF: false, Message: not null })
                {
                    Records.Enqueue((result.Partition.Value, result.Offset.Value, result.Message.Value));
                }
            }
            catch (ConsumeException ex)
            {
                Errors.Enqueue(ex.Error.ToString());
            }
        }
    }
}
