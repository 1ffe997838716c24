using Chronik.Broker.Transactions;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;
using Chronik.Testing;
using static Chronik.Broker.Tests.Transactions.TransactionNodeHarness;

namespace Chronik.Broker.Tests.Transactions;

/// <summary>
/// What a partition leader does with transactional writes on a real single node: KIP-890 part 1 (a batch or a
/// TxnOffsetCommit that would open the transaction on a partition is verified with the transaction coordinator
/// first), the connection's order kept while a produce waits for its verification, and DescribeProducers showing a
/// producer's open transaction.
/// </summary>
public class TransactionalProduceTests : IAsyncLifetime
{
    private TransactionNodeHarness _h = null!;

    public async Task InitializeAsync() => _h = await TransactionNodeHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    private long LogEndOffset(string topic, int partition) => _h.Node.Replicas.GetPartition(new Storage.TopicPartition(topic, partition))!.LogEndOffset;

    [Theory]
    [InlineData(9, ErrorCode.InvalidTxnState)]
    [InlineData(11, ErrorCode.TransactionAbortable)]
    public async Task A_batch_for_a_partition_not_in_the_transaction_is_refused_and_not_written(short version, ErrorCode expected)
    {
        await _h.CreateTopicAsync("verified", partitions: 2);
        var (pid, epoch) = await _h.InitAsync("tx-v");
        await _h.SendAsync<AddPartitionsToTxnResponse>(AddPartitions("tx-v", pid, epoch, "verified", 0), 3);

        var refused = await _h.SendAsync<ProduceResponse>(DataPath.Requests.Produce("verified", TransactionalBatch(pid, epoch, 0, "x"), partition: 1, transactionalId: "tx-v"), version);
        Assert.Equal((short)expected, refused.Responses[0].PartitionResponses[0].ErrorCode);
        Assert.Equal(0, LogEndOffset("verified", 1));

        var accepted = await _h.SendAsync<ProduceResponse>(DataPath.Requests.Produce("verified", TransactionalBatch(pid, epoch, 0, "y"), partition: 0, transactionalId: "tx-v"), version);
        Assert.Equal((short)ErrorCode.None, accepted.Responses[0].PartitionResponses[0].ErrorCode);
        Assert.Equal(1, LogEndOffset("verified", 0));
    }

    [Fact]
    public async Task Transactional_records_without_the_requests_transactional_id_are_refused()
    {
        await _h.CreateTopicAsync("anonymous");
        var (pid, epoch) = await _h.InitAsync("tx-n");
        await _h.SendAsync<AddPartitionsToTxnResponse>(AddPartitions("tx-n", pid, epoch, "anonymous", 0), 3);
        var refused = await _h.SendAsync<ProduceResponse>(DataPath.Requests.Produce("anonymous", TransactionalBatch(pid, epoch, 0, "x")), 9);
        Assert.Equal((short)ErrorCode.TransactionalIdAuthorizationFailed, refused.Responses[0].PartitionResponses[0].ErrorCode);
        Assert.Equal(0, LogEndOffset("anonymous", 0));
    }

    [Fact]
    public async Task A_pipelined_batch_behind_one_waiting_for_verification_is_appended_after_it()
    {
        HeldVerifier held = null!;
        await using var node = await TransactionNodeHarness.StartAsync(real => held = new HeldVerifier(real));
        await node.CreateTopicAsync("ordered");
        var (pid, epoch) = await node.InitAsync("tx-p");
        await node.SendAsync<AddPartitionsToTxnResponse>(AddPartitions("tx-p", pid, epoch, "ordered", 0), 3);

        // Both are handed to the handler before either is answered, as a connection pipelines them. The first waits
        // for its verification; the second, the transaction's next sequence, must wait behind it, not verify and
        // append on its own (it would land first, and the first would then be out of order).
        Task<ProduceResponse> first = node.SendAsync<ProduceResponse>(DataPath.Requests.Produce("ordered", TransactionalBatch(pid, epoch, 0, "a", "b"), transactionalId: "tx-p"), 9);
        await Wait.UntilAsync(() => held.Calls == 1, "the first batch is being verified");
        Task<ProduceResponse> second = node.SendAsync<ProduceResponse>(DataPath.Requests.Produce("ordered", TransactionalBatch(pid, epoch, 2, "c"), transactionalId: "tx-p"), 9);
        Assert.Equal(1, held.Calls);
        Assert.False(second.IsCompleted);

        held.Release();
        ProduceResponse.PartitionProduceResponse a = (await first).Responses[0].PartitionResponses[0];
        ProduceResponse.PartitionProduceResponse b = (await second).Responses[0].PartitionResponses[0];
        Assert.Equal(((short)ErrorCode.None, 0L), (a.ErrorCode, a.BaseOffset));
        Assert.Equal(((short)ErrorCode.None, 2L), (b.ErrorCode, b.BaseOffset));
        Assert.Equal(1, held.Calls);
    }

    [Theory]
    [InlineData(3, ErrorCode.InvalidTxnState)]
    [InlineData(4, ErrorCode.TransactionAbortable)]
    public async Task Transactional_offsets_of_a_group_not_added_to_the_transaction_are_refused(short version, ErrorCode expected)
    {
        await _h.CreateTopicAsync("input");
        await _h.SendAsync<FindCoordinatorResponse>(new FindCoordinatorRequest { KeyType = 0, CoordinatorKeys = ["unadded"] }, 4);
        var (pid, epoch) = await _h.InitAsync("tx-g");
        TxnOffsetCommitResponse response;
        do
        {
            response = await _h.SendAsync<TxnOffsetCommitResponse>(new TxnOffsetCommitRequest
            {
                TransactionalId = "tx-g",
                GroupId = "unadded",
                ProducerId = pid,
                ProducerEpoch = epoch,
                Topics = [new() { Name = "input", Partitions = [new() { PartitionIndex = 0, CommittedOffset = 9 }] }],
            }, version);
        }
        while (response.Topics[0].Partitions[0].ErrorCode is (short)ErrorCode.CoordinatorLoadInProgress or (short)ErrorCode.NotCoordinator);

        Assert.Equal((short)expected, response.Topics[0].Partitions[0].ErrorCode);
        var fetched = await _h.SendAsync<OffsetFetchResponse>(new OffsetFetchRequest { GroupId = "unadded", RequireStable = true, Topics = [new() { Name = "input", PartitionIndexes = [0] }] }, 7);
        Assert.Equal(((short)ErrorCode.None, -1L), (fetched.Topics[0].Partitions[0].ErrorCode, fetched.Topics[0].Partitions[0].CommittedOffset));
    }

    [Fact]
    public async Task Describe_producers_shows_the_open_transaction_and_the_marker_that_ended_it()
    {
        await _h.CreateTopicAsync("described");
        var (pid, epoch) = await _h.InitAsync("tx-d");
        await _h.SendAsync<AddPartitionsToTxnResponse>(AddPartitions("tx-d", pid, epoch, "described", 0), 3);
        await _h.SendAsync<ProduceResponse>(DataPath.Requests.Produce("described", TransactionalBatch(pid, epoch, 0, "a", "b"), transactionalId: "tx-d"), 9);

        DescribeProducersResponse.ProducerState open = await DescribeAsync(pid);
        Assert.Equal((epoch, 1, 0L), (open.ProducerEpoch, open.LastSequence, open.CurrentTxnStartOffset));

        await _h.SendAsync<EndTxnResponse>(new EndTxnRequest { TransactionalId = "tx-d", ProducerId = pid, ProducerEpoch = epoch, Committed = true }, 3);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        DescribeProducersResponse.ProducerState ended;
        while ((ended = await DescribeAsync(pid)).CurrentTxnStartOffset != -1)
        {
            await Task.Delay(10, cts.Token);
        }

        // The marker carries the coordinator epoch: the leader epoch of the coordinator's __transaction_state partition.
        Assert.Equal(0, ended.CoordinatorEpoch);
        Assert.Equal(3, LogEndOffset("described", 0));
    }

    private async Task<DescribeProducersResponse.ProducerState> DescribeAsync(long producerId)
    {
        var response = await _h.SendAsync<DescribeProducersResponse>(new DescribeProducersRequest { Topics = [new() { Name = "described", PartitionIndexes = [0] }] }, 0);
        DescribeProducersResponse.PartitionResponse partition = response.Topics[0].Partitions[0];
        Assert.Equal((short)ErrorCode.None, partition.ErrorCode);
        return Assert.Single(partition.ActiveProducers, p => p.ProducerId == producerId);
    }

    /// <summary>The node's verifier, holding every verification until <see cref="Release"/>.</summary>
    private sealed class HeldVerifier(ITransactionVerifier inner) : ITransactionVerifier
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public void Release() => _released.TrySetResult();

        public async Task<IReadOnlyDictionary<Storage.TopicPartition, ErrorCode>> VerifyAsync(string transactionalId, long producerId, short producerEpoch, IReadOnlyCollection<Storage.TopicPartition> partitions, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            await _released.Task.WaitAsync(cancellationToken);
            return await inner.VerifyAsync(transactionalId, producerId, producerEpoch, partitions, cancellationToken);
        }
    }
}
