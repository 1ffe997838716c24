using System.Collections.Immutable;
using Chronik.Broker.Groups;
using Chronik.Broker.Groups.Records;
using Chronik.Broker.Coordinators;
using Chronik.Broker.Groups.Runtime;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;
using static Chronik.Broker.Tests.Groups.ShardHarness;

namespace Chronik.Broker.Tests.Groups;

public class GroupCoordinatorRuntimeTests : IAsyncLifetime
{
    private const int NodeId = 1;
    private static readonly Guid OffsetsTopicId = Guid.Parse("00000000-0000-0000-0000-00000000c0f0");
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly InMemoryCoordinatorLogProvider _logs = new();
    private MetadataImage _image = MetadataImage.Empty;
    private GroupCoordinator _coordinator = null!;

    public Task InitializeAsync()
    {
        _coordinator = new GroupCoordinator(new GroupCoordinatorOptions { OffsetsTopicNumPartitions = 3, GroupInitialRebalanceDelayMs = 60_000 }, NodeId, _logs, () => _image, randomSeed: 5);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _coordinator.DisposeAsync();

    private static MetadataImage OffsetsTopic(int leader, int leaderEpoch = 0)
    {
        MetadataImage image = MetadataImage.Empty.Apply(new TopicRecord(InternalTopics.ConsumerOffsets, OffsetsTopicId));
        for (int p = 0; p < 3; p++)
        {
            image = image.Apply(new PartitionRecord(OffsetsTopicId, p, ImmutableArray.Create(leader), ImmutableArray.Create(leader), leader, leaderEpoch, 0));
        }

        return image;
    }

    private void Publish(MetadataImage image)
    {
        _image = image;
        _coordinator.OnMetadataUpdate(image);
    }

    private async Task WaitActiveAsync(string groupId)
    {
        int partition = _coordinator.PartitionFor(groupId);
        using var cts = new CancellationTokenSource(Timeout);
        while (_coordinator.StateOf(partition) != CoordinatorPartitionState.Active)
        {
            await Task.Delay(5, cts.Token);
        }
    }

    private static OffsetCommitRequest Commit(string group, long offset) => new()
    {
        GroupId = group,
        GenerationIdOrMemberEpoch = -1,
        Topics = [new() { Name = "t", Partitions = [new() { PartitionIndex = 0, CommittedOffset = offset }] }],
    };

    private Task<OffsetCommitResponse> CommitAsync(string group, long offset) =>
        _coordinator.ExecuteAsync(group, s => s.OffsetCommit(Context(8), Commit(group, offset)), e => new OffsetCommitResponse { Topics = [new() { Partitions = [new() { ErrorCode = (short)e }] }] });

    private Task<long> FetchAsync(string group) =>
        _coordinator.ExecuteAsync(group, s => s.OffsetFetch(group, null, -1, [("t", [0])]).Topics[0].Partitions[0].CommittedOffset, _ => -100L);

    [Fact]
    public async Task A_partition_led_elsewhere_is_not_coordinator_and_one_led_here_loads()
    {
        Publish(OffsetsTopic(leader: 2));
        Assert.Equal((short)ErrorCode.NotCoordinator, (await CommitAsync("g", 1)).Topics[0].Partitions[0].ErrorCode);
        Publish(OffsetsTopic(leader: NodeId));
        await WaitActiveAsync("g");
        Assert.Equal((short)ErrorCode.None, (await CommitAsync("g", 1)).Topics[0].Partitions[0].ErrorCode);
        Assert.Equal(1, await FetchAsync("g"));
    }

    [Fact]
    public async Task Answers_wait_until_the_records_are_durable()
    {
        Publish(OffsetsTopic(NodeId));
        await WaitActiveAsync("g");
        InMemoryCoordinatorLog log = _logs.Logs[_coordinator.PartitionFor("g")];
        log.HoldDurability = true;
        Task<OffsetCommitResponse> commit = CommitAsync("g", 7);
        await Task.Delay(50);
        Assert.False(commit.IsCompleted);
        log.ReleaseDurability();
        Assert.Equal((short)ErrorCode.None, (await commit.WaitAsync(Timeout)).Topics[0].Partitions[0].ErrorCode);
    }

    [Fact]
    public async Task A_failed_write_answers_not_coordinator_and_the_shard_reloads_what_survived()
    {
        Publish(OffsetsTopic(NodeId));
        await WaitActiveAsync("g");
        await CommitAsync("g", 5);
        InMemoryCoordinatorLog log = _logs.Logs[_coordinator.PartitionFor("g")];
        log.HoldDurability = true;
        Task<OffsetCommitResponse> commit = CommitAsync("g", 6);
        log.FailPending();
        Assert.Equal((short)ErrorCode.NotCoordinator, (await commit.WaitAsync(Timeout)).Topics[0].Partitions[0].ErrorCode);
        await WaitActiveAsync("g");
        Assert.Equal(5, await FetchAsync("g"));
    }

    [Fact]
    public async Task Loading_replays_the_partition_and_resigning_answers_waiting_joins()
    {
        int partition = _coordinator.PartitionFor("g");
        InMemoryCoordinatorLog log = (InMemoryCoordinatorLog)_logs.GetLog(partition)!;
        log.Append(CoordinatorBatches.Encode([new CoordinatorWrite<CoordinatorRecord>(CoordinatorWriteKind.Record, new OffsetCommitRecord("g", "t", 0, new OffsetCommitValue(33, 1, "", 1)))], GroupRecordSerde.Instance, 1), 0);
        Publish(OffsetsTopic(NodeId));
        await WaitActiveAsync("g");
        Assert.Equal(33, await FetchAsync("g"));

        Task<JoinGroupResponse> join = _coordinator.ExecuteAsync("g", s => s.JoinGroup(Context(3), Join("g")), e => GroupCoordinatorShard.JoinError(3, e, ""));
        await Task.Delay(50);
        Assert.False(join.IsCompleted, "the initial rebalance delay keeps the join waiting");
        Publish(OffsetsTopic(leader: 2));
        Assert.Equal((short)ErrorCode.NotCoordinator, (await join.WaitAsync(Timeout)).ErrorCode);
        Assert.Equal(CoordinatorPartitionState.Closed, _coordinator.StateOf(partition));
    }
}
