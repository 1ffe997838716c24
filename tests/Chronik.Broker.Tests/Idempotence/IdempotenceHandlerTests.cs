using Chronik.Broker.Handlers;
using Chronik.Broker.Producers;
using Chronik.Broker.Tests.DataPath;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Records;
using Chronik.Protocol.Wire;
using static Chronik.Broker.Tests.DataPath.Requests;

namespace Chronik.Broker.Tests.Idempotence;

/// <summary>InitProducerId, DescribeProducers and idempotent Produce through the handlers, over real logs.</summary>
public class IdempotenceHandlerTests
{
    private static byte[] IdempotentBatch(long producerId, short epoch, int sequence, params string[] values)
    {
        using var builder = new RecordBatchBuilder { ProducerId = producerId, ProducerEpoch = epoch, BaseSequence = sequence };
        foreach (string value in values)
        {
            builder.Append(Now, null, System.Text.Encoding.UTF8.GetBytes(value));
        }

        return builder.Build();
    }

    private static ProduceResponse.PartitionProduceResponse Single(ProduceResponse? response) => Assert.Single(Assert.Single(response!.Responses).PartitionResponses);

    [Theory]
    [InlineData((short)0)]
    [InlineData((short)3)]
    [InlineData((short)5)]
    public async Task Idempotent_producers_get_a_new_id_at_epoch_zero_every_time(short version)
    {
        await using var broker = new HandlerHarness();
        using var ids = new ProducerIdManager(1, () => 1, new ProducerIdTests.FakeController(blockSize: 10));
        var handler = new InitProducerIdHandler(ids);
        var first = await broker.CallAsync<InitProducerIdResponse>(handler, new InitProducerIdRequest { TransactionalId = null, TransactionTimeoutMs = 60_000 }, version);
        Assert.Equal(((short)ErrorCode.None, 0L, (short)0), (first!.ErrorCode, first.ProducerId, first.ProducerEpoch));

        // KIP-360: the producer's current id and epoch do not matter without a transactional id; a new id is handed out.
        var again = new InitProducerIdRequest { TransactionalId = null, ProducerId = version >= 3 ? 0 : -1, ProducerEpoch = version >= 3 ? (short)4 : (short)-1 };
        var second = await broker.CallAsync<InitProducerIdResponse>(handler, again, version);
        Assert.Equal(((short)ErrorCode.None, 1L, (short)0), (second!.ErrorCode, second.ProducerId, second.ProducerEpoch));
    }

    [Fact]
    public async Task Malformed_requests_and_transactional_ids_without_a_coordinator_are_refused()
    {
        await using var broker = new HandlerHarness();
        using var ids = new ProducerIdManager(1, () => 1, new ProducerIdTests.FakeController(blockSize: 10));
        var handler = new InitProducerIdHandler(ids);
        var empty = await broker.CallAsync<InitProducerIdResponse>(handler, new InitProducerIdRequest { TransactionalId = "" }, 4);
        Assert.Equal(((short)ErrorCode.InvalidRequest, -1L, (short)-1), (empty!.ErrorCode, empty.ProducerId, empty.ProducerEpoch));
        var half = await broker.CallAsync<InitProducerIdResponse>(handler, new InitProducerIdRequest { TransactionalId = null, ProducerId = 5, ProducerEpoch = -1 }, 4);
        Assert.Equal((short)ErrorCode.InvalidRequest, half!.ErrorCode);
        var transactional = await broker.CallAsync<InitProducerIdResponse>(handler, new InitProducerIdRequest { TransactionalId = "txn", TransactionTimeoutMs = 60_000 }, 4);
        Assert.Equal(((short)ErrorCode.NotCoordinator, -1L), (transactional!.ErrorCode, transactional.ProducerId));
    }

    [Theory]
    [InlineData((short)3, ErrorCode.InvalidProducerEpoch)]
    [InlineData((short)4, ErrorCode.ProducerFenced)]
    public async Task Transactional_ids_go_to_the_coordinator_and_producer_fenced_is_mapped_for_old_versions(short version, ErrorCode expected)
    {
        await using var broker = new HandlerHarness();
        using var ids = new ProducerIdManager(1, () => 1, new ProducerIdTests.FakeController(blockSize: 10));
        var coordinator = new FakeTransactionCoordinator();
        var handler = new InitProducerIdHandler(ids, coordinator);
        var ok = await broker.CallAsync<InitProducerIdResponse>(handler, new InitProducerIdRequest { TransactionalId = "txn", TransactionTimeoutMs = 1234 }, version);
        Assert.Equal(((short)ErrorCode.None, 4242L, (short)3), (ok!.ErrorCode, ok.ProducerId, ok.ProducerEpoch));
        Assert.Equal(("txn", 1234, -1L, (short)-1), coordinator.Last);

        coordinator.Fence = true;
        var fenced = await broker.CallAsync<InitProducerIdResponse>(handler, new InitProducerIdRequest { TransactionalId = "txn", ProducerId = 4242, ProducerEpoch = 3 }, version);
        Assert.Equal(((short)expected, -1L, (short)-1), (fenced!.ErrorCode, fenced.ProducerId, fenced.ProducerEpoch));
        Assert.Equal(("txn", 0, 4242L, (short)3), coordinator.Last);
    }

    [Fact]
    public async Task Produce_answers_a_retried_batch_with_its_original_offset_and_appends_nothing()
    {
        await using var broker = new HandlerHarness();
        broker.CreateTopic("t");
        byte[] first = IdempotentBatch(7, 0, 0, "a", "b");
        byte[] second = IdempotentBatch(7, 0, 2, "c");
        Assert.Equal(0, Single(await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", first), 9)).BaseOffset);
        Assert.Equal(2, Single(await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", second), 9)).BaseOffset);

        var retry = Single(await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", first), 9));
        Assert.Equal(((short)ErrorCode.None, 0L), (retry.ErrorCode, retry.BaseOffset));
        Assert.Equal(RecordBatchHeader.MaxTimestamp(first), retry.LogAppendTimeMs);
        Assert.Equal(3, broker.Partition("t").LogEndOffset);

        var fetched = await broker.CallAsync<FetchResponse>(broker.Fetch, Fetch("t", 0), 12);
        Assert.Equal(["a", "b", "c"], Values(Assert.Single(Assert.Single(fetched!.Responses).Partitions).Records));
    }

    [Fact]
    public async Task Produce_reports_out_of_order_sequences_and_fenced_epochs_per_partition()
    {
        await using var broker = new HandlerHarness();
        broker.CreateTopic("t");
        Single(await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", IdempotentBatch(7, 1, 0, "a")), 9));

        var gap = Single(await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", IdempotentBatch(7, 1, 5, "x")), 9));
        Assert.Equal(((short)ErrorCode.OutOfOrderSequenceNumber, -1L), (gap.ErrorCode, gap.BaseOffset));
        Assert.Contains("Out of order sequence number", gap.ErrorMessage, StringComparison.Ordinal);

        var fenced = Single(await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", IdempotentBatch(7, 0, 1, "x")), 9));
        Assert.Equal((short)ErrorCode.InvalidProducerEpoch, fenced.ErrorCode);
        Assert.Equal(1, broker.Partition("t").LogEndOffset);
    }

    [Fact]
    public async Task Describe_producers_lists_the_producers_of_each_partition()
    {
        await using var broker = new HandlerHarness();
        broker.CreateTopic("t", partitions: 2);
        await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", IdempotentBatch(7, 2, 0, "a", "b")), 9);
        await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", IdempotentBatch(8, 0, 0, "c"), partition: 1), 9);
        var handler = new DescribeProducersHandler(broker.Replicas);
        var request = new DescribeProducersRequest
        {
            Topics =
            [
                new DescribeProducersRequest.TopicRequest { Name = "t", PartitionIndexes = [0, 1, 7] },
                new DescribeProducersRequest.TopicRequest { Name = "missing", PartitionIndexes = [0] },
                new DescribeProducersRequest.TopicRequest { Name = "bad/name", PartitionIndexes = [0] },
            ],
        };
        var response = await broker.CallAsync<DescribeProducersResponse>(handler, request, 0);
        var t = response!.Topics[0].Partitions;
        var seven = Assert.Single(t[0].ActiveProducers);
        Assert.Equal((7L, 2, 1, -1, -1L), (seven.ProducerId, seven.ProducerEpoch, seven.LastSequence, seven.CoordinatorEpoch, seven.CurrentTxnStartOffset));
        Assert.True(seven.LastTimestamp > 0);
        Assert.Equal(8, Assert.Single(t[1].ActiveProducers).ProducerId);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, t[2].ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, Assert.Single(response.Topics[1].Partitions).ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidTopicException, Assert.Single(response.Topics[2].Partitions).ErrorCode);
    }

    private sealed class FakeTransactionCoordinator : ITransactionCoordinator
    {
        public bool Fence { get; set; }

        public (string, int, long, short) Last { get; private set; }

        public ValueTask<InitProducerIdResult> InitProducerIdAsync(string transactionalId, int transactionTimeoutMs, long producerId, short producerEpoch, CancellationToken cancellationToken)
        {
            Last = (transactionalId, transactionTimeoutMs, producerId, producerEpoch);
            return new(Fence ? InitProducerIdResult.Failed(ErrorCode.ProducerFenced) : new InitProducerIdResult(ErrorCode.None, 4242, 3));
        }
    }
}
