using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Tests.Transactions;

/// <summary>
/// The transaction APIs through their handlers on a real single node, over the wire format: a transaction from
/// FindCoordinator to the markers in the partition and what read_committed fetches see, version mappings, the
/// broker (v4+) AddPartitionsToTxn path, WriteTxnMarkers, TxnOffsetCommit with require_stable, and the admin views.
/// </summary>
public class TransactionHandlerTests : IAsyncLifetime
{
    private TransactionNodeHarness _h = null!;

    public async Task InitializeAsync() => _h = await TransactionNodeHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    private async Task<FetchResponse.PartitionData> FetchAsync(string topic, sbyte isolation)
    {
        FetchRequest request = DataPath.Requests.Fetch(topic, 0);
        request.IsolationLevel = isolation;
        var response = await _h.SendAsync<FetchResponse>(request, 11);
        return response.Responses[0].Partitions[0];
    }

    private async Task WaitForStateAsync(string transactionalId, string state)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while ((await _h.SendAsync<DescribeTransactionsResponse>(new DescribeTransactionsRequest { TransactionalIds = [transactionalId] }, 0)).TransactionStates[0].TransactionState != state)
        {
            await Task.Delay(10, cts.Token);
        }
    }

    [Fact]
    public async Task An_aborted_transaction_is_listed_to_read_committed_fetches_and_a_committed_one_is_not()
    {
        await _h.CreateTopicAsync("data");
        var (pid, epoch) = await _h.InitAsync("tx-a");
        var added = await _h.SendAsync<AddPartitionsToTxnResponse>(TransactionNodeHarness.AddPartitions("tx-a", pid, epoch, "data", 0), 3);
        Assert.Equal((short)ErrorCode.None, added.ResultsByTopicV3AndBelow[0].ResultsByPartition[0].PartitionErrorCode);
        var produced = await _h.SendAsync<ProduceResponse>(DataPath.Requests.Produce("data", TransactionNodeHarness.TransactionalBatch(pid, epoch, 0, "a1", "a2"), transactionalId: "tx-a"), 9);
        Assert.Equal((short)ErrorCode.None, produced.Responses[0].PartitionResponses[0].ErrorCode);

        // Open: read_committed stops before it (LSO 0); read_uncommitted sees it.
        FetchResponse.PartitionData open = await FetchAsync("data", 1);
        Assert.Equal((0L, 0), (open.LastStableOffset, open.Records?.Length ?? 0));
        Assert.Equal(2, DataPath.Requests.Values((await FetchAsync("data", 0)).Records).Count);

        var ended = await _h.SendAsync<EndTxnResponse>(new EndTxnRequest { TransactionalId = "tx-a", ProducerId = pid, ProducerEpoch = epoch, Committed = false }, 3);
        Assert.Equal((short)ErrorCode.None, ended.ErrorCode);
        await WaitForStateAsync("tx-a", "CompleteAbort");

        FetchResponse.PartitionData aborted = await FetchAsync("data", 1);
        Assert.Equal(3, aborted.LastStableOffset);
        FetchResponse.AbortedTransaction listed = Assert.Single(aborted.AbortedTransactions!);
        Assert.Equal((pid, 0L), (listed.ProducerId, listed.FirstOffset));
        Assert.Null((await FetchAsync("data", 0)).AbortedTransactions);

        // A committed transaction after it: the aborted one is still listed for a fetch from 0, nothing more.
        await _h.SendAsync<AddPartitionsToTxnResponse>(TransactionNodeHarness.AddPartitions("tx-a", pid, epoch, "data", 0), 3);
        await _h.SendAsync<ProduceResponse>(DataPath.Requests.Produce("data", TransactionNodeHarness.TransactionalBatch(pid, epoch, 2, "c1"), transactionalId: "tx-a"), 9);
        await _h.SendAsync<EndTxnResponse>(new EndTxnRequest { TransactionalId = "tx-a", ProducerId = pid, ProducerEpoch = epoch, Committed = true }, 3);
        await WaitForStateAsync("tx-a", "CompleteCommit");
        FetchResponse.PartitionData both = await FetchAsync("data", 1);
        Assert.Equal(5, both.LastStableOffset);
        Assert.Single(both.AbortedTransactions!);

        var listOffsets = await _h.SendAsync<ListOffsetsResponse>(DataPath.Requests.ListOffsets("data", -1, isolation: 1), 5);
        Assert.Equal(5, listOffsets.Topics[0].Partitions[0].Offset);
    }

    [Fact]
    public async Task Old_versions_get_invalid_producer_epoch_where_newer_ones_get_producer_fenced()
    {
        await _h.CreateTopicAsync("fenced");
        var (pid, epoch) = await _h.InitAsync("tx-f");
        await _h.InitAsync("tx-f");
        var v1 = await _h.SendAsync<AddPartitionsToTxnResponse>(TransactionNodeHarness.AddPartitions("tx-f", pid, epoch, "fenced", 0), 1);
        Assert.Equal((short)ErrorCode.InvalidProducerEpoch, v1.ResultsByTopicV3AndBelow[0].ResultsByPartition[0].PartitionErrorCode);
        var v3 = await _h.SendAsync<AddPartitionsToTxnResponse>(TransactionNodeHarness.AddPartitions("tx-f", pid, epoch, "fenced", 0), 3);
        Assert.Equal((short)ErrorCode.ProducerFenced, v3.ResultsByTopicV3AndBelow[0].ResultsByPartition[0].PartitionErrorCode);
        Assert.Equal((short)ErrorCode.InvalidProducerEpoch, (await _h.SendAsync<EndTxnResponse>(new EndTxnRequest { TransactionalId = "tx-f", ProducerId = pid, ProducerEpoch = epoch, Committed = true }, 1)).ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidProducerEpoch, (await _h.SendAsync<AddOffsetsToTxnResponse>(new AddOffsetsToTxnRequest { TransactionalId = "tx-f", ProducerId = pid, ProducerEpoch = epoch, GroupId = "g" }, 1)).ErrorCode);
    }

    [Fact]
    public async Task Unknown_partitions_fail_and_the_others_are_not_attempted()
    {
        await _h.CreateTopicAsync("known");
        var (pid, epoch) = await _h.InitAsync("tx-u");
        var request = TransactionNodeHarness.AddPartitions("tx-u", pid, epoch, "known", 0);
        request.V3AndBelowTopics.Add(new() { Name = "unknown", Partitions = [0] });
        var response = await _h.SendAsync<AddPartitionsToTxnResponse>(request, 3);
        var errors = response.ResultsByTopicV3AndBelow.ToDictionary(t => t.Name, t => (ErrorCode)t.ResultsByPartition[0].PartitionErrorCode);
        Assert.Equal(ErrorCode.OperationNotAttempted, errors["known"]);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, errors["unknown"]);
        Assert.Equal("Empty", (await _h.SendAsync<DescribeTransactionsResponse>(new DescribeTransactionsRequest { TransactionalIds = ["tx-u"] }, 0)).TransactionStates[0].TransactionState);
    }

    [Fact]
    public async Task The_broker_path_verifies_and_adds_several_transactions_at_once()
    {
        await _h.CreateTopicAsync("batched", 2);
        var (pid1, epoch1) = await _h.InitAsync("tx-b1");
        var (pid2, epoch2) = await _h.InitAsync("tx-b2");
        await _h.SendAsync<AddPartitionsToTxnResponse>(TransactionNodeHarness.AddPartitions("tx-b1", pid1, epoch1, "batched", 0), 3);
        var request = new AddPartitionsToTxnRequest
        {
            Transactions =
            [
                new() { TransactionalId = "tx-b1", ProducerId = pid1, ProducerEpoch = epoch1, VerifyOnly = true, Topics = [new() { Name = "batched", Partitions = [0, 1] }] },
                new() { TransactionalId = "tx-b2", ProducerId = pid2, ProducerEpoch = epoch2, Topics = [new() { Name = "batched", Partitions = [1] }] },
            ],
        };
        var response = await _h.SendAsync<AddPartitionsToTxnResponse>(request, 5);
        var verified = response.ResultsByTransaction.Single(t => t.TransactionalId == "tx-b1").TopicResults[0].ResultsByPartition.ToDictionary(p => p.PartitionIndex, p => (ErrorCode)p.PartitionErrorCode);
        Assert.Equal(ErrorCode.None, verified[0]);
        Assert.Equal(ErrorCode.TransactionAbortable, verified[1]);
        Assert.Equal((short)ErrorCode.None, response.ResultsByTransaction.Single(t => t.TransactionalId == "tx-b2").TopicResults[0].ResultsByPartition[0].PartitionErrorCode);
        Assert.Equal("Ongoing", (await _h.SendAsync<DescribeTransactionsResponse>(new DescribeTransactionsRequest { TransactionalIds = ["tx-b2"] }, 0)).TransactionStates[0].TransactionState);
    }

    [Fact]
    public async Task Transactional_offsets_become_visible_with_the_commit_and_are_unstable_before()
    {
        await _h.CreateTopicAsync("consumed");
        var found = await _h.SendAsync<FindCoordinatorResponse>(new FindCoordinatorRequest { KeyType = 0, CoordinatorKeys = ["grp"] }, 4);
        Assert.Equal((short)ErrorCode.None, found.Coordinators[0].ErrorCode);
        var (pid, epoch) = await _h.InitAsync("tx-o");
        Assert.Equal((short)ErrorCode.None, (await _h.SendAsync<AddOffsetsToTxnResponse>(new AddOffsetsToTxnRequest { TransactionalId = "tx-o", ProducerId = pid, ProducerEpoch = epoch, GroupId = "grp" }, 3)).ErrorCode);
        TxnOffsetCommitResponse committed;
        do
        {
            committed = await _h.SendAsync<TxnOffsetCommitResponse>(new TxnOffsetCommitRequest
            {
                TransactionalId = "tx-o",
                GroupId = "grp",
                ProducerId = pid,
                ProducerEpoch = epoch,
                Topics = [new() { Name = "consumed", Partitions = [new() { PartitionIndex = 0, CommittedOffset = 77 }] }],
            }, 3);
        }
        while (committed.Topics[0].Partitions[0].ErrorCode == (short)ErrorCode.CoordinatorLoadInProgress);

        Assert.Equal((short)ErrorCode.None, committed.Topics[0].Partitions[0].ErrorCode);
        var unstable = await _h.SendAsync<OffsetFetchResponse>(new OffsetFetchRequest { GroupId = "grp", RequireStable = true, Topics = [new() { Name = "consumed", PartitionIndexes = [0] }] }, 7);
        Assert.Equal((short)ErrorCode.UnstableOffsetCommit, unstable.Topics[0].Partitions[0].ErrorCode);

        await _h.SendAsync<EndTxnResponse>(new EndTxnRequest { TransactionalId = "tx-o", ProducerId = pid, ProducerEpoch = epoch, Committed = true }, 3);
        await WaitForStateAsync("tx-o", "CompleteCommit");
        var stable = await _h.SendAsync<OffsetFetchResponse>(new OffsetFetchRequest { GroupId = "grp", RequireStable = true, Topics = [new() { Name = "consumed", PartitionIndexes = [0] }] }, 7);
        Assert.Equal(((short)ErrorCode.None, 77L), (stable.Topics[0].Partitions[0].ErrorCode, stable.Topics[0].Partitions[0].CommittedOffset));
    }

    [Fact]
    public async Task A_fenced_producers_transactional_offsets_are_refused_without_disturbing_the_group_coordinator()
    {
        await _h.CreateTopicAsync("zombie-input");
        await _h.SendAsync<FindCoordinatorResponse>(new FindCoordinatorRequest { KeyType = 0, CoordinatorKeys = ["zgrp"] }, 4);
        var (pid, epoch) = await _h.InitAsync("tx-z");
        await _h.SendAsync<AddOffsetsToTxnResponse>(new AddOffsetsToTxnRequest { TransactionalId = "tx-z", ProducerId = pid, ProducerEpoch = epoch, GroupId = "zgrp" }, 3);
        TxnOffsetCommitRequest Commit(short e) => new()
        {
            TransactionalId = "tx-z",
            GroupId = "zgrp",
            ProducerId = pid,
            ProducerEpoch = e,
            Topics = [new() { Name = "zombie-input", Partitions = [new() { PartitionIndex = 0, CommittedOffset = 5 }] }],
        };
        TxnOffsetCommitResponse first;
        do
        {
            first = await _h.SendAsync<TxnOffsetCommitResponse>(Commit(epoch), 3);
        }
        while (first.Topics[0].Partitions[0].ErrorCode == (short)ErrorCode.CoordinatorLoadInProgress);

        Assert.Equal((short)ErrorCode.None, first.Topics[0].Partitions[0].ErrorCode);

        // A new producer instance fences the first: its open transaction is aborted under a bumped epoch.
        var (_, newEpoch) = await _h.InitAsync("tx-z");
        Assert.True(newEpoch > epoch + 1);
        var zombie = await _h.SendAsync<TxnOffsetCommitResponse>(Commit(epoch), 3);
        Assert.Equal((short)ErrorCode.InvalidProducerEpoch, zombie.Topics[0].Partitions[0].ErrorCode);
        var fetched = await _h.SendAsync<OffsetFetchResponse>(new OffsetFetchRequest { GroupId = "zgrp", RequireStable = true, Topics = [new() { Name = "zombie-input", PartitionIndexes = [0] }] }, 7);
        Assert.Equal(((short)ErrorCode.None, -1L), (fetched.Topics[0].Partitions[0].ErrorCode, fetched.Topics[0].Partitions[0].CommittedOffset));
    }

    [Fact]
    public async Task Write_txn_markers_reports_each_partition()
    {
        await _h.CreateTopicAsync("marked");
        var request = new WriteTxnMarkersRequest
        {
            Markers =
            [
                new()
                {
                    ProducerId = 99,
                    ProducerEpoch = 0,
                    TransactionResult = false,
                    CoordinatorEpoch = 0,
                    Topics = [new() { Name = "marked", PartitionIndexes = [0] }, new() { Name = "nope", PartitionIndexes = [3] }],
                },
            ],
        };
        var response = await _h.SendAsync<WriteTxnMarkersResponse>(request, 1);
        var errors = response.Markers[0].Topics.ToDictionary(t => t.Name, t => (ErrorCode)t.Partitions[0].ErrorCode);
        Assert.Equal(ErrorCode.None, errors["marked"]);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, errors["nope"]);
        Assert.Equal(1, _h.Node.Replicas.GetPartition(new Storage.TopicPartition("marked", 0))!.LogEndOffset);
    }

    [Fact]
    public async Task List_and_describe_report_the_coordinators_transactions()
    {
        await _h.CreateTopicAsync("listed");
        var (pid, epoch) = await _h.InitAsync("tx-l");
        await _h.SendAsync<AddPartitionsToTxnResponse>(TransactionNodeHarness.AddPartitions("tx-l", pid, epoch, "listed", 0), 3);
        var listed = await _h.SendAsync<ListTransactionsResponse>(new ListTransactionsRequest { StateFilters = ["Ongoing", "Nonsense"] }, 1);
        Assert.Equal((short)ErrorCode.None, listed.ErrorCode);
        Assert.Equal(["Nonsense"], listed.UnknownStateFilters);
        ListTransactionsResponse.TransactionStateData state = Assert.Single(listed.TransactionStates);
        Assert.Equal(("tx-l", pid, "Ongoing"), (state.TransactionalId, state.ProducerId, state.TransactionState));

        var described = await _h.SendAsync<DescribeTransactionsResponse>(new DescribeTransactionsRequest { TransactionalIds = ["tx-l", "missing"] }, 0);
        Assert.Equal((epoch, 60_000, "listed"), (described.TransactionStates[0].ProducerEpoch, described.TransactionStates[0].TransactionTimeoutMs, described.TransactionStates[0].Topics[0].Topic));
        Assert.Equal((short)ErrorCode.TransactionalIdNotFound, described.TransactionStates[1].ErrorCode);
    }

    [Fact]
    public async Task The_first_transactional_find_coordinator_creates_the_state_topic_with_kafkas_settings()
    {
        var found = await _h.SendAsync<FindCoordinatorResponse>(new FindCoordinatorRequest { KeyType = 1, CoordinatorKeys = ["tx-c"] }, 4);
        Assert.Equal(((short)ErrorCode.None, 1), (found.Coordinators[0].ErrorCode, found.Coordinators[0].NodeId));
        Cluster.Metadata.MetadataImage image = _h.Node.Image;
        var options = _h.Coordinator.Options;
        var topic = image.GetTopic(InternalTopics.TransactionState)!;
        Assert.Equal(options.TransactionStateLogNumPartitions, topic.Partitions.Count);
        Assert.All(topic.Partitions.Values, p => Assert.Equal(options.TransactionStateLogReplicationFactor, p.Replicas.Length));
        var configs = image.GetConfigs(Cluster.Metadata.ConfigResource.ForTopic(InternalTopics.TransactionState));
        Assert.Equal("compact", configs["cleanup.policy"]);
        Assert.Equal(options.TransactionStateLogMinIsr.ToString(System.Globalization.CultureInfo.InvariantCulture), configs["min.insync.replicas"]);
        Assert.Equal("false", configs["unclean.leader.election.enable"]);
    }

    [Fact]
    public async Task Find_coordinator_refuses_share_group_keys()
    {
        var response = await _h.SendAsync<FindCoordinatorResponse>(new FindCoordinatorRequest { KeyType = 2, CoordinatorKeys = ["x"] }, 6);
        Assert.Equal((short)ErrorCode.InvalidRequest, response.Coordinators[0].ErrorCode);
    }
}
