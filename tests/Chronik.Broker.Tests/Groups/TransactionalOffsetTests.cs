using System.Collections.Immutable;
using Chronik.Broker.Coordinators;
using Chronik.Broker.Groups;
using Chronik.Broker.Groups.Runtime;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;
using static Chronik.Broker.Tests.Groups.ShardHarness;

namespace Chronik.Broker.Tests.Groups;

/// <summary>TxnOffsetCommit: offsets pending until the transaction's marker commits or aborts them (KIP-98, KIP-447).</summary>
public class TransactionalOffsetTests
{
    private const long ProducerId = 4000;
    private const short Epoch = 3;
    private readonly ShardHarness _h = new();

    private static TxnOffsetCommitRequest TxnCommit(string group, long offset, int partition = 0, long producerId = ProducerId, int generation = -1, string memberId = "") => new()
    {
        TransactionalId = "txn",
        GroupId = group,
        ProducerId = producerId,
        ProducerEpoch = Epoch,
        GenerationId = generation,
        MemberId = memberId,
        Topics = [new() { Name = "t", Partitions = [new() { PartitionIndex = partition, CommittedOffset = offset, CommittedLeaderEpoch = 2, CommittedMetadata = "m" }] }],
    };

    private OffsetFetchResponse.OffsetFetchResponsePartitions Fetch(string group, bool requireStable = false, int partition = 0) =>
        _h.Run(s => s.OffsetFetch(group, null, -1, [("t", [partition])], requireStable)).Topics[0].Partitions[0];

    private short CommitError(TxnOffsetCommitResponse response) => response.Topics[0].Partitions[0].ErrorCode;

    [Fact]
    public void Offsets_stay_pending_until_the_commit_marker_then_become_visible()
    {
        Assert.Equal((short)ErrorCode.None, CommitError(_h.Run(s => s.TxnOffsetCommit(Context(3), TxnCommit("g", 42)))));
        Assert.Equal(-1, Fetch("g").CommittedOffset);
        Assert.Equal((short)ErrorCode.UnstableOffsetCommit, Fetch("g", requireStable: true).ErrorCode);
        Assert.Equal((short)ErrorCode.None, Fetch("g", requireStable: true, partition: 1).ErrorCode);

        Assert.Equal(ErrorCode.None, _h.Run(s => s.CompleteTransaction(ProducerId, Epoch, committed: true, coordinatorEpoch: 5)));
        OffsetFetchResponse.OffsetFetchResponsePartitions fetched = Fetch("g", requireStable: true);
        Assert.Equal(((short)ErrorCode.None, 42L, 2, "m"), (fetched.ErrorCode, fetched.CommittedOffset, fetched.CommittedLeaderEpoch, fetched.Metadata));
    }

    [Fact]
    public void An_abort_marker_drops_the_pending_offsets()
    {
        _h.Run(s => s.OffsetCommit(Context(8), new OffsetCommitRequest { GroupId = "g", GenerationIdOrMemberEpoch = -1, Topics = [new() { Name = "t", Partitions = [new() { PartitionIndex = 0, CommittedOffset = 7 }] }] }));
        _h.Run(s => s.TxnOffsetCommit(Context(3), TxnCommit("g", 42)));
        _h.Run(s => s.CompleteTransaction(ProducerId, Epoch, committed: false, coordinatorEpoch: 5));
        Assert.Equal(7, Fetch("g", requireStable: true).CommittedOffset);
        Assert.Equal(0, _h.Shard.PendingTransactionalOffsets.ProducerCount);
    }

    [Fact]
    public void A_plain_commit_written_after_the_transactional_one_wins_when_the_marker_arrives()
    {
        _h.Run(s => s.TxnOffsetCommit(Context(3), TxnCommit("g", 42)));
        _h.Run(s => s.OffsetCommit(Context(8), new OffsetCommitRequest { GroupId = "g", GenerationIdOrMemberEpoch = -1, Topics = [new() { Name = "t", Partitions = [new() { PartitionIndex = 0, CommittedOffset = 50 }] }] }));
        _h.Run(s => s.CompleteTransaction(ProducerId, Epoch, committed: true, coordinatorEpoch: 5));
        Assert.Equal(50, Fetch("g").CommittedOffset);
    }

    [Fact]
    public void Markers_end_only_their_own_producers_transaction()
    {
        _h.Run(s => s.TxnOffsetCommit(Context(3), TxnCommit("g", 10, partition: 0, producerId: 1)));
        _h.Run(s => s.TxnOffsetCommit(Context(3), TxnCommit("g", 20, partition: 1, producerId: 2)));
        _h.Run(s => s.CompleteTransaction(2, Epoch, committed: true, coordinatorEpoch: 5));
        Assert.Equal(20, Fetch("g", partition: 1).CommittedOffset);
        Assert.Equal((short)ErrorCode.UnstableOffsetCommit, Fetch("g", requireStable: true, partition: 0).ErrorCode);
    }

    [Fact]
    public void Members_of_a_classic_group_are_checked_but_a_rebalance_does_not_refuse_the_commit()
    {
        JoinGroupResponse required = Done(_h.Run(s => s.JoinGroup(Context(5), Join("g"))));
        Task<JoinGroupResponse> join = _h.Run(s => s.JoinGroup(Context(5), Join("g", required.MemberId)));
        _h.Advance(TimeSpan.FromSeconds(1));
        int generation = Done(join).GenerationId;

        Assert.Equal((short)ErrorCode.UnknownMemberId, CommitError(_h.Run(s => s.TxnOffsetCommit(Context(3), TxnCommit("g", 1, generation: generation, memberId: "stranger")))));
        Assert.Equal((short)ErrorCode.IllegalGeneration, CommitError(_h.Run(s => s.TxnOffsetCommit(Context(3), TxnCommit("g", 1, generation: generation + 1, memberId: required.MemberId)))));

        // CompletingRebalance: OffsetCommit would be REBALANCE_IN_PROGRESS; a transactional commit goes through.
        Assert.Equal((short)ErrorCode.None, CommitError(_h.Run(s => s.TxnOffsetCommit(Context(3), TxnCommit("g", 1, generation: generation, memberId: required.MemberId)))));

        // Old transactional producers name no member at all.
        Assert.Equal((short)ErrorCode.None, CommitError(_h.Run(s => s.TxnOffsetCommit(Context(2), TxnCommit("g", 2)))));
    }

    [Fact]
    public void A_commit_with_a_generation_for_an_unknown_group_is_illegal_generation()
    {
        Assert.Equal((short)ErrorCode.IllegalGeneration, CommitError(_h.Run(s => s.TxnOffsetCommit(Context(3), TxnCommit("nope", 1, generation: 3, memberId: "m")))));
        Assert.Equal((short)ErrorCode.None, CommitError(_h.Run(s => s.TxnOffsetCommit(Context(3), TxnCommit("simple", 1)))));
    }
}

/// <summary>Transactional offsets survive a reload: the loader folds transactional batches and markers as they were written.</summary>
public class TransactionalOffsetReloadTests : IAsyncLifetime
{
    private static readonly Guid OffsetsTopicId = Guid.Parse("00000000-0000-0000-0000-00000000c0f0");
    private readonly InMemoryCoordinatorLogProvider _logs = new();
    private MetadataImage _image = MetadataImage.Empty;
    private GroupCoordinator _coordinator = null!;

    public Task InitializeAsync()
    {
        _coordinator = new GroupCoordinator(new GroupCoordinatorOptions { OffsetsTopicNumPartitions = 1 }, 1, _logs, () => _image);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _coordinator.DisposeAsync();

    private async Task PublishAsync(int leaderEpoch)
    {
        _image = MetadataImage.Empty.Apply(new TopicRecord(InternalTopics.ConsumerOffsets, OffsetsTopicId))
            .Apply(new PartitionRecord(OffsetsTopicId, 0, ImmutableArray.Create(1), ImmutableArray.Create(1), 1, leaderEpoch, 0));
        _coordinator.OnMetadataUpdate(_image);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (_coordinator.StateOf(0) != CoordinatorPartitionState.Active)
        {
            await Task.Delay(5, cts.Token);
        }
    }

    private Task<TxnOffsetCommitResponse> TxnCommitAsync(long producerId, int partition, long offset) =>
        _coordinator.ExecuteAsync("g", s => s.TxnOffsetCommit(Context(3), new TxnOffsetCommitRequest
        {
            TransactionalId = "txn",
            GroupId = "g",
            ProducerId = producerId,
            ProducerEpoch = 0,
            Topics = [new() { Name = "t", Partitions = [new() { PartitionIndex = partition, CommittedOffset = offset }] }],
        }), e => new TxnOffsetCommitResponse());

    private Task<OffsetFetchResponse.OffsetFetchResponsePartitions> FetchAsync(int partition) =>
        _coordinator.ExecuteAsync("g", s => s.OffsetFetch("g", null, -1, [("t", [partition])], requireStable: true).Topics[0].Partitions[0], _ => new OffsetFetchResponse.OffsetFetchResponsePartitions { ErrorCode = -1 });

    [Fact]
    public async Task Committed_aborted_and_open_transactions_reload_as_they_were()
    {
        await PublishAsync(0);
        await TxnCommitAsync(1, 0, 10);
        await TxnCommitAsync(2, 1, 20);
        await TxnCommitAsync(3, 2, 30);
        Assert.Equal(ErrorCode.None, await _coordinator.CompleteTransactionAsync(0, 1, 0, committed: true, coordinatorEpoch: 0));
        Assert.Equal(ErrorCode.None, await _coordinator.CompleteTransactionAsync(0, 2, 0, committed: false, coordinatorEpoch: 0));

        await PublishAsync(1);
        Assert.Equal(10, (await FetchAsync(0)).CommittedOffset);
        Assert.Equal(((short)ErrorCode.None, -1L), ((await FetchAsync(1)).ErrorCode, (await FetchAsync(1)).CommittedOffset));
        Assert.Equal((short)ErrorCode.UnstableOffsetCommit, (await FetchAsync(2)).ErrorCode);
        Assert.Equal(ErrorCode.None, await _coordinator.CompleteTransactionAsync(0, 3, 0, committed: true, coordinatorEpoch: 1));
        Assert.Equal(30, (await FetchAsync(2)).CommittedOffset);
    }

    [Fact]
    public async Task A_marker_for_a_partition_not_served_here_is_not_coordinator()
    {
        Assert.Equal(ErrorCode.NotCoordinator, await _coordinator.CompleteTransactionAsync(0, 1, 0, committed: true, coordinatorEpoch: 0));
    }
}
