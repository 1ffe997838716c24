using System.Collections.Concurrent;
using System.Collections.Immutable;
using Chronik.Broker.Coordinators;
using Chronik.Broker.Tests.Groups;
using Chronik.Broker.Transactions;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;
using Chronik.Storage;
using Microsoft.Extensions.Time.Testing;

namespace Chronik.Broker.Tests.Transactions;

/// <summary>The coordinator over in-memory __transaction_state logs, with a marker channel whose sender is scripted.</summary>
public class TransactionCoordinatorRuntimeTests : IAsyncLifetime
{
    private const int NodeId = 1;
    private static readonly Guid StateTopicId = Guid.Parse("00000000-0000-0000-0000-0000000071a0");
    private static readonly Guid DataTopicId = Guid.Parse("00000000-0000-0000-0000-00000000da7a");
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly InMemoryCoordinatorLogProvider _logs = new();
    private readonly ScriptedSender _sender = new();
    private MetadataImage _image = MetadataImage.Empty;
    private TransactionCoordinator _coordinator = null!;
    private TransactionMarkerChannel _channel = null!;

    public Task InitializeAsync()
    {
        _channel = new TransactionMarkerChannel(() => _image, _sender, () => _coordinator, TimeSpan.FromMilliseconds(5));
        _coordinator = new TransactionCoordinator(new TransactionCoordinatorOptions { TransactionStateLogNumPartitions = 2 }, NodeId, _logs, () => _image, new CountingProducerIds(), _channel);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _coordinator.DisposeAsync();
    }

    private static MetadataImage Cluster(int stateLeader, int leaderEpoch = 0, int dataLeader = 2)
    {
        MetadataImage image = MetadataImage.Empty
            .Apply(new TopicRecord(InternalTopics.TransactionState, StateTopicId))
            .Apply(new TopicRecord("data", DataTopicId));
        for (int p = 0; p < 2; p++)
        {
            image = image.Apply(new PartitionRecord(StateTopicId, p, ImmutableArray.Create(stateLeader), ImmutableArray.Create(stateLeader), stateLeader, leaderEpoch, 0));
            image = image.Apply(new PartitionRecord(DataTopicId, p, ImmutableArray.Create(dataLeader), ImmutableArray.Create(dataLeader), dataLeader, 0, 0));
        }

        return image;
    }

    private void Publish(MetadataImage image)
    {
        _image = image;
        _coordinator.OnMetadataUpdate(image);
    }

    private async Task WaitActiveAsync(string transactionalId)
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (_coordinator.StateOf(_coordinator.PartitionFor(transactionalId)) != CoordinatorPartitionState.Active)
        {
            await Task.Delay(5, cts.Token);
        }
    }

    private async Task WaitStateAsync(string transactionalId, string state)
    {
        using var cts = new CancellationTokenSource(Timeout);
        while ((await _coordinator.DescribeAsync(transactionalId)).TransactionState != state)
        {
            await Task.Delay(5, cts.Token);
        }
    }

    [Fact]
    public async Task A_transaction_commits_through_markers_sent_to_the_partition_leaders()
    {
        Publish(Cluster(stateLeader: NodeId));
        await WaitActiveAsync("t");
        TransactionalProducerIdResult init = await _coordinator.InitProducerIdAsync("t", 60_000, -1, -1, default);
        Assert.Equal((ErrorCode.None, 5000L, (short)0), (init.Error, init.ProducerId, init.ProducerEpoch));
        Assert.Equal(ErrorCode.None, await _coordinator.AddPartitionsAsync("t", init.ProducerId, init.ProducerEpoch, [new TopicPartition("data", 0), new TopicPartition("data", 1)]));

        _sender.FailuresLeft = 3;
        EndTxnResult end = await _coordinator.EndTransactionAsync("t", init.ProducerId, init.ProducerEpoch, commit: true, 0, default);
        Assert.Equal(ErrorCode.None, end.Error);
        await WaitStateAsync("t", "CompleteCommit");

        // Markers went to broker 2 (the data leader), after retries, with the coordinator epoch and the producer's epoch.
        var delivered = _sender.Delivered.Where(d => d.Error == ErrorCode.None).ToList();
        Assert.All(delivered, d => Assert.Equal((2, true, 0, init.ProducerId), (d.Broker, d.Marker.TransactionResult, d.Marker.CoordinatorEpoch, d.Marker.ProducerId)));
        Assert.Equal([0, 1], delivered.SelectMany(d => d.Marker.Topics.SelectMany(t => t.PartitionIndexes)).Order());
        Assert.True(_sender.Delivered.Count(d => d.Error != ErrorCode.None) >= 3);
    }

    [Fact]
    public async Task A_new_coordinator_finishes_the_transactions_its_predecessor_left_ending()
    {
        Publish(Cluster(stateLeader: NodeId));
        await WaitActiveAsync("t");
        TransactionalProducerIdResult init = await _coordinator.InitProducerIdAsync("t", 60_000, -1, -1, default);
        await _coordinator.AddPartitionsAsync("t", init.ProducerId, init.ProducerEpoch, [new TopicPartition("data", 1)]);

        _sender.Blocked = true;
        Assert.Equal(ErrorCode.None, (await _coordinator.EndTransactionAsync("t", init.ProducerId, init.ProducerEpoch, commit: false, 0, default)).Error);
        Assert.Equal("PrepareAbort", (await _coordinator.DescribeAsync("t")).TransactionState);

        // Leadership moves away and back (a new leader epoch): the reloaded shard sends the markers again.
        Publish(Cluster(stateLeader: 3, leaderEpoch: 1));
        Assert.Equal((short)ErrorCode.NotCoordinator, (await _coordinator.DescribeAsync("t")).ErrorCode);
        _sender.Blocked = false;
        Publish(Cluster(stateLeader: NodeId, leaderEpoch: 2));
        await WaitActiveAsync("t");
        await WaitStateAsync("t", "CompleteAbort");
        Assert.Contains(_sender.Delivered, d => d.Error == ErrorCode.None && d.Marker.CoordinatorEpoch == 2 && !d.Marker.TransactionResult);
    }

    [Fact]
    public async Task Partitions_of_a_deleted_topic_need_no_marker()
    {
        Publish(Cluster(stateLeader: NodeId));
        await WaitActiveAsync("t");
        TransactionalProducerIdResult init = await _coordinator.InitProducerIdAsync("t", 60_000, -1, -1, default);
        await _coordinator.AddPartitionsAsync("t", init.ProducerId, init.ProducerEpoch, [new TopicPartition("data", 0)]);
        _sender.Blocked = true;
        await _coordinator.EndTransactionAsync("t", init.ProducerId, init.ProducerEpoch, commit: true, 0, default);
        Publish(Cluster(stateLeader: NodeId).Apply(new RemoveTopicRecord(DataTopicId)));
        await WaitStateAsync("t", "CompleteCommit");
    }

    [Fact]
    public async Task List_covers_every_partition_led_here()
    {
        Publish(Cluster(stateLeader: NodeId));
        foreach (string id in new[] { "a", "b", "c", "d" })
        {
            await WaitActiveAsync(id);
            await _coordinator.InitProducerIdAsync(id, 60_000, -1, -1, default);
        }

        ListTransactionsResponse listed = await _coordinator.ListAsync(["Empty", "Bogus"], [], -1);
        Assert.Equal(["a", "b", "c", "d"], listed.TransactionStates.Select(t => t.TransactionalId).Order());
        Assert.Equal(["Bogus"], listed.UnknownStateFilters);
    }

    [Fact]
    public async Task The_coordinators_timers_abort_a_timed_out_transaction_and_forget_an_idle_id()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = new TransactionCoordinatorOptions
        {
            TransactionStateLogNumPartitions = 2,
            TransactionalIdExpirationMs = 3_600_000,
            RemoveExpiredTransactionalIdsIntervalMs = 60_000,
        };
        MetadataImage image = Cluster(stateLeader: NodeId);
        TransactionCoordinator coordinator = null!;
        await using var channel = new TransactionMarkerChannel(() => image, _sender, () => coordinator, TimeSpan.FromMilliseconds(5));
        await using (coordinator = new TransactionCoordinator(options, NodeId, new InMemoryCoordinatorLogProvider(), () => image, new CountingProducerIds(), channel, time))
        {
            coordinator.OnMetadataUpdate(image);
            using var cts = new CancellationTokenSource(Timeout);
            while (coordinator.StateOf(coordinator.PartitionFor("slow")) != CoordinatorPartitionState.Active)
            {
                await Task.Delay(5, cts.Token);
            }

            TransactionalProducerIdResult init = await coordinator.InitProducerIdAsync("slow", 5_000, -1, -1, default);
            await coordinator.AddPartitionsAsync("slow", init.ProducerId, init.ProducerEpoch, [new TopicPartition("data", 0)]);

            // transaction.timeout.ms (5 s) passes; the check runs every transaction.abort.timed.out.transaction.cleanup.interval.ms (10 s).
            time.Advance(TimeSpan.FromMilliseconds(options.AbortTimedOutTransactionsIntervalMs));
            while ((await coordinator.DescribeAsync("slow")).TransactionState != "CompleteAbort")
            {
                await Task.Delay(5, cts.Token);
            }

            Assert.Contains(_sender.Delivered, d => d.Error == ErrorCode.None && !d.Marker.TransactionResult && d.Marker.ProducerEpoch == init.ProducerEpoch + 1);
            EndTxnResult late = await coordinator.EndTransactionAsync("slow", init.ProducerId, init.ProducerEpoch, commit: true, 0, default);
            Assert.Equal(ErrorCode.ProducerFenced, late.Error);

            // transactional.id.expiration.ms later, the idle id is tombstoned at the next hourly check.
            time.Advance(TimeSpan.FromMilliseconds(options.TransactionalIdExpirationMs + options.RemoveExpiredTransactionalIdsIntervalMs));
            while ((await coordinator.DescribeAsync("slow")).ErrorCode != (short)ErrorCode.TransactionalIdNotFound)
            {
                await Task.Delay(5, cts.Token);
            }
        }
    }

    private sealed class CountingProducerIds : IProducerIdSource
    {
        private long _next = 5000;

        public ValueTask<(ErrorCode Error, long ProducerId)> GenerateProducerIdAsync(CancellationToken cancellationToken) =>
            new((ErrorCode.None, Interlocked.Increment(ref _next) - 1));
    }

    /// <summary>Answers markers as a leader would: NOT_ENOUGH_REPLICAS while failures are scripted, nothing while blocked.</summary>
    private sealed class ScriptedSender : ITransactionMarkerSender
    {
        public ConcurrentQueue<(int Broker, WriteTxnMarkersRequest.WritableTxnMarker Marker, ErrorCode Error)> Delivered { get; } = new();

        public int FailuresLeft { get; set; }

        public bool Blocked { get; set; }

        public Task<WriteTxnMarkersResponse.WritableTxnMarkerResult> SendAsync(int brokerId, WriteTxnMarkersRequest.WritableTxnMarker marker, CancellationToken cancellationToken)
        {
            if (Blocked)
            {
                throw new IOException("broker unreachable");
            }

            ErrorCode error = FailuresLeft-- > 0 ? ErrorCode.NotEnoughReplicas : ErrorCode.None;
            Delivered.Enqueue((brokerId, marker, error));
            var result = new WriteTxnMarkersResponse.WritableTxnMarkerResult { ProducerId = marker.ProducerId };
            foreach (var topic in marker.Topics)
            {
                result.Topics.Add(new WriteTxnMarkersResponse.WritableTxnMarkerTopicResult
                {
                    Name = topic.Name,
                    Partitions = [.. topic.PartitionIndexes.Select(p => new WriteTxnMarkersResponse.WritableTxnMarkerPartitionResult { PartitionIndex = p, ErrorCode = (short)error })],
                });
            }

            return Task.FromResult(result);
        }
    }
}
