using Chronik.Broker.Producers;
using Chronik.Cluster.Controller;
using Chronik.Protocol.Wire;
using Chronik.Testing;

namespace Chronik.Broker.Tests.Idempotence;

public class ProducerIdTests
{
    [Fact]
    public void Blocks_hand_out_ids_in_order_and_ask_for_the_next_block_at_90_percent()
    {
        var blocks = new ProducerIdBlocks();
        Assert.False(blocks.TryClaim(out _));
        Assert.True(blocks.NeedsNextBlock);
        Assert.True(blocks.Offer(0, 10));
        Assert.False(blocks.NeedsNextBlock);
        var ids = new List<long>();
        for (int i = 0; i < 9; i++)
        {
            Assert.True(blocks.TryClaim(out long id));
            ids.Add(id);
            Assert.Equal(i >= 8, blocks.NeedsNextBlock);
        }

        Assert.True(blocks.Offer(10, 10));
        Assert.False(blocks.NeedsNextBlock);
        for (int i = 0; i < 11; i++)
        {
            Assert.True(blocks.TryClaim(out long id));
            ids.Add(id);
        }

        Assert.Equal(Enumerable.Range(0, 20).Select(i => (long)i), ids);
        Assert.Equal(0, blocks.Remaining);
        Assert.False(blocks.TryClaim(out _));
    }

    [Theory]
    [InlineData(5L, 10)]
    [InlineData(-1L, 10)]
    [InlineData(20L, 0)]
    [InlineData(long.MaxValue - 5, 10)]
    public void Blocks_refuse_overlapping_or_impossible_ranges(long first, int size)
    {
        var blocks = new ProducerIdBlocks();
        Assert.True(blocks.Offer(0, 10));
        Assert.True(blocks.TryClaim(out _));
        Assert.False(blocks.Offer(first, size));
    }

    [Fact]
    public void A_waiting_block_is_not_replaced()
    {
        var blocks = new ProducerIdBlocks();
        Assert.True(blocks.Offer(0, 10));
        Assert.False(blocks.Offer(10, 10));
    }

    [Fact]
    public async Task Two_brokers_never_hand_out_the_same_id()
    {
        var controller = new FakeController(blockSize: 7);
        using var one = new ProducerIdManager(1, () => 1, controller);
        using var two = new ProducerIdManager(2, () => 1, controller);
        var ids = await Task.WhenAll(Enumerable.Range(0, 200).Select(async i =>
        {
            var (error, id) = await (i % 2 == 0 ? one : two).GenerateProducerIdAsync();
            Assert.Equal(ErrorCode.None, error);
            return id;
        }));
        Assert.Equal(200, ids.Distinct().Count());
        Assert.All(ids, id => Assert.True(id >= 0));
        Assert.True(controller.Calls >= 200 / 7);
    }

    [Fact]
    public async Task Without_a_block_in_time_the_answer_is_coordinator_load_in_progress_and_a_later_call_recovers()
    {
        var controller = new FakeController(blockSize: 100) { Error = ErrorCode.StaleBrokerEpoch };
        using var manager = new ProducerIdManager(1, () => 1, controller) { MaxWait = TimeSpan.FromMilliseconds(300), RetryBackoff = TimeSpan.FromMilliseconds(20) };
        Assert.Equal((ErrorCode.CoordinatorLoadInProgress, -1L), await manager.GenerateProducerIdAsync());
        Assert.True(controller.Calls > 1, "the manager retries while a caller waits");

        controller.Error = ErrorCode.None;

        // The retry that fetches the block may run after the next caller's wait on a loaded machine: wait for it.
        (ErrorCode Error, long ProducerId) first = default;
        await Wait.UntilAsync(async () => (first = await manager.GenerateProducerIdAsync()).Error == ErrorCode.None, "an id once the controller answers");
        Assert.Equal(0L, first.ProducerId);
        Assert.Equal((ErrorCode.None, 1L), await manager.GenerateProducerIdAsync());
    }

    [Fact]
    public async Task A_throwing_controller_is_a_failed_attempt_not_a_crash()
    {
        var controller = new FakeController(blockSize: 100) { Throw = true };
        using var manager = new ProducerIdManager(1, () => 1, controller) { MaxWait = TimeSpan.FromMilliseconds(200) };
        Assert.Equal(ErrorCode.CoordinatorLoadInProgress, (await manager.GenerateProducerIdAsync()).Error);
        controller.Throw = false;

        // A loaded machine may need more than one 200 ms wait to run the retry; the manager must recover eventually.
        await Wait.UntilAsync(async () => (await manager.GenerateProducerIdAsync()).Error == ErrorCode.None, "an id once the controller stopped throwing");
    }

    /// <summary>Allocates consecutive blocks as the controller's decision does (one shared counter).</summary>
    internal sealed class FakeController(int blockSize) : IControllerClient
    {
        private long _next;
        private int _calls;

        public ErrorCode Error { get; set; }

        public bool Throw { get; set; }

        public int Calls => Volatile.Read(ref _calls);

        public async Task<ProducerIdsResult> AllocateProducerIdsAsync(int brokerId, long brokerEpoch, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            await Task.Yield();
            if (Throw)
            {
                throw new InvalidOperationException("the quorum is closed");
            }

            if (Error != ErrorCode.None)
            {
                return new ProducerIdsResult(new ApiError(Error, "not now"));
            }

            long first = Interlocked.Add(ref _next, blockSize) - blockSize;
            return new ProducerIdsResult(ApiError.None, first, blockSize);
        }

        public Task<IReadOnlyList<CreateTopicResult>> CreateTopicsAsync(IReadOnlyList<CreatableTopic> topics, bool validateOnly, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<DeleteTopicResult>> DeleteTopicsAsync(IReadOnlyList<TopicReference> topics, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<CreatePartitionsResult>> CreatePartitionsAsync(IReadOnlyList<CreatePartitionsTopic> topics, bool validateOnly, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<AlterConfigsResult>> AlterConfigsAsync(IReadOnlyList<AlterConfigsResource> resources, bool validateOnly, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<BrokerRegistrationResult> RegisterBrokerAsync(BrokerRegistrationRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<BrokerHeartbeatResult> BrokerHeartbeatAsync(BrokerHeartbeatRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<AlterPartitionResult> AlterPartitionAsync(AlterPartitionRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<ElectLeadersOutcome> ElectLeadersAsync(ElectionType type, IReadOnlyList<TopicPartitionRef>? partitions, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<PartitionReassignmentResult>> AlterPartitionReassignmentsAsync(IReadOnlyList<PartitionReassignment> reassignments, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<ApiError> UnregisterBrokerAsync(int brokerId, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
