using Chronik.Broker.Partitions;
using Chronik.Protocol.Records;
using Chronik.Protocol.Wire;
using Chronik.Storage;
using Chronik.Testing;
using static Chronik.Broker.Tests.DataPath.Requests;

namespace Chronik.Broker.Tests.Partitions;

/// <summary>Where and when acks=all waiters resume: the high watermark covers the append, and never on the flusher.</summary>
public class PartitionAcksTests
{
    [Fact]
    public async Task A_single_replica_acks_all_answer_resumes_off_the_flusher_with_the_high_watermark_past_it()
    {
        using var directory = new TempDirectory("acks");
        var images = new ImageBuilder().Broker(1);
        images.Topic("t");
        using var replicas = ReplicaManagerTests.Open(directory.Path, images);
        replicas.Start();
        replicas.ApplyImage(images.Image);
        var partition = replicas.GetPartition(new TopicPartition("t", 0))!;

        for (int i = 0; i < 50; i++)
        {
            var result = partition.AppendAsLeader(Batch(CompressionType.None, "a", "b"), requiredAcks: -1);
            await partition.WaitForAcksAsync(result, -1);
            Assert.NotEqual("chronik-flusher", Thread.CurrentThread.Name);
            Assert.True(partition.HighWatermark > result.LastOffset);
            Assert.True(partition.Log.RecoveryPoint > result.LastOffset);
        }
    }

    [Fact]
    public async Task An_acks_all_waiter_is_released_by_the_follower_fetch_that_covers_it_and_fails_when_leadership_moves()
    {
        using var directory = new TempDirectory("acks");
        var images = new ImageBuilder().Broker(1).Broker(2);
        var id = images.Topic("t", replicas: [1, 2]);
        using var replicas = ReplicaManagerTests.Open(directory.Path, images);
        replicas.Start();
        replicas.ApplyImage(images.Image);
        var partition = replicas.GetPartition(new TopicPartition("t", 0))!;
        Assert.Equal([1, 2], partition.Isr.ToArray());

        var first = partition.AppendAsLeader(Batch(CompressionType.None, "a"), requiredAcks: -1);
        var acked = partition.WaitForAcksAsync(first, -1).AsTask();
        await partition.Log.FlushAsync();
        Assert.False(acked.IsCompleted);

        Assert.True(partition.RecordFollowerFetch(2, first.LastOffset + 1, partition.LogEndOffset, brokerEpoch: -1));
        await acked.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(first.LastOffset + 1, partition.HighWatermark);

        var second = partition.AppendAsLeader(Batch(CompressionType.None, "b"), requiredAcks: -1);
        var pending = partition.WaitForAcksAsync(second, -1).AsTask();
        await partition.Log.FlushAsync();
        Assert.False(pending.IsCompleted);

        images.Leader(id, 0, 2);
        replicas.ApplyImage(images.Image);
        var error = await Assert.ThrowsAsync<PartitionException>(() => pending.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(ErrorCode.NotLeaderOrFollower, error.ErrorCode);
    }
}
