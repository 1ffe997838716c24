using Chronik.Protocol.Messages;
using Chronik.Protocol.Records;
using Chronik.Protocol.Wire;
using static Chronik.Broker.Tests.DataPath.Requests;

namespace Chronik.Broker.Tests.DataPath;

/// <summary>ListOffsets, DeleteRecords, OffsetForLeaderEpoch and DescribeLogDirs against a real log.</summary>
public class OffsetHandlersTests
{
    private const long T0 = 1_700_000_000_000;

    private static ListOffsetsResponse.ListOffsetsPartitionResponse Single(ListOffsetsResponse? response) => Assert.Single(Assert.Single(response!.Topics).Partitions);

    /// <summary>Three batches: offsets 0-1 at T0, 2 at T0+1000 (the max), 3 at T0+500.</summary>
    private static async Task<HandlerHarness> WithRecordsAsync()
    {
        var broker = new HandlerHarness();
        broker.CreateTopic("t");
        await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", Batch(CompressionType.None, false, T0, "a", "b")), 9);
        await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", Batch(CompressionType.Gzip, false, T0 + 1000, "c")), 9);
        await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", Batch(CompressionType.None, false, T0 + 500, "d")), 9);
        return broker;
    }

    [Fact]
    public async Task Earliest_latest_and_by_timestamp()
    {
        await using var broker = await WithRecordsAsync();
        var latest = Single(await broker.CallAsync<ListOffsetsResponse>(broker.ListOffsets, ListOffsets("t", -1), 9));
        Assert.Equal((4L, -1L, 0), (latest.Offset, latest.Timestamp, latest.LeaderEpoch));
        var earliest = Single(await broker.CallAsync<ListOffsetsResponse>(broker.ListOffsets, ListOffsets("t", -2), 9));
        Assert.Equal((0L, 0), (earliest.Offset, earliest.LeaderEpoch));
        var local = Single(await broker.CallAsync<ListOffsetsResponse>(broker.ListOffsets, ListOffsets("t", -4), 9));
        Assert.Equal(0, local.Offset);

        var byTime = Single(await broker.CallAsync<ListOffsetsResponse>(broker.ListOffsets, ListOffsets("t", T0 + 1), 9));
        Assert.Equal((T0 + 1, 1L), (byTime.Timestamp, byTime.Offset));
        var compressed = Single(await broker.CallAsync<ListOffsetsResponse>(broker.ListOffsets, ListOffsets("t", T0 + 600), 9));
        Assert.Equal((T0 + 1000, 2L), (compressed.Timestamp, compressed.Offset));
        var none = Single(await broker.CallAsync<ListOffsetsResponse>(broker.ListOffsets, ListOffsets("t", T0 + 5000), 9));
        Assert.Equal((short)ErrorCode.None, none.ErrorCode);
        Assert.Equal((-1L, -1L), (none.Offset, none.Timestamp));
    }

    [Fact]
    public async Task Max_timestamp_and_latest_tiered()
    {
        await using var broker = await WithRecordsAsync();
        var max = Single(await broker.CallAsync<ListOffsetsResponse>(broker.ListOffsets, ListOffsets("t", -3), 7));
        Assert.Equal((T0 + 1000, 2L), (max.Timestamp, max.Offset));
        var tiered = Single(await broker.CallAsync<ListOffsetsResponse>(broker.ListOffsets, ListOffsets("t", -5), 9));
        Assert.Equal((short)ErrorCode.None, tiered.ErrorCode);
        Assert.Equal((-1L, -1), (tiered.Offset, tiered.LeaderEpoch));
    }

    [Fact]
    public async Task Version_0_lists_old_style_offsets()
    {
        await using var broker = await WithRecordsAsync();
        var latest = Single(await broker.CallAsync<ListOffsetsResponse>(broker.ListOffsets, ListOffsets("t", -1, maxNumOffsets: 5), 0));
        Assert.Equal([4L, 0L], latest.OldStyleOffsets);
        var one = Single(await broker.CallAsync<ListOffsetsResponse>(broker.ListOffsets, ListOffsets("t", -1, maxNumOffsets: 1), 0));
        Assert.Equal([4L], one.OldStyleOffsets);
        var earliest = Single(await broker.CallAsync<ListOffsetsResponse>(broker.ListOffsets, ListOffsets("t", -2), 0));
        Assert.Equal([0L], earliest.OldStyleOffsets);
    }

    [Fact]
    public async Task Leader_epoch_checks_and_errors()
    {
        await using var broker = new HandlerHarness();
        broker.Images.Topic("t", leaderEpoch: 2);
        broker.Publish();
        Assert.Equal((short)ErrorCode.FencedLeaderEpoch, Single(await broker.CallAsync<ListOffsetsResponse>(broker.ListOffsets, ListOffsets("t", -1, currentLeaderEpoch: 1), 9)).ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownLeaderEpoch, Single(await broker.CallAsync<ListOffsetsResponse>(broker.ListOffsets, ListOffsets("t", -1, currentLeaderEpoch: 3), 9)).ErrorCode);
        var current = Single(await broker.CallAsync<ListOffsetsResponse>(broker.ListOffsets, ListOffsets("t", -1, currentLeaderEpoch: 2), 9));
        Assert.Equal((short)ErrorCode.None, current.ErrorCode);
        Assert.Equal(2, current.LeaderEpoch);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, Single(await broker.CallAsync<ListOffsetsResponse>(broker.ListOffsets, ListOffsets("nope", -1), 9)).ErrorCode);

        var duplicate = ListOffsets("t", -1);
        duplicate.Topics[0].Partitions.Add(new ListOffsetsRequest.ListOffsetsPartition { PartitionIndex = 0, Timestamp = -2 });
        var response = await broker.CallAsync<ListOffsetsResponse>(broker.ListOffsets, duplicate, 9);
        Assert.All(response!.Topics[0].Partitions, p => Assert.Equal((short)ErrorCode.InvalidRequest, p.ErrorCode));
    }

    [Fact]
    public async Task Delete_records_moves_the_log_start()
    {
        await using var broker = await WithRecordsAsync();
        var request = new DeleteRecordsRequest
        {
            TimeoutMs = 1000,
            Topics = [new DeleteRecordsRequest.DeleteRecordsTopic { Name = "t", Partitions = [new DeleteRecordsRequest.DeleteRecordsPartition { PartitionIndex = 0, Offset = 2 }] }],
        };
        var result = Assert.Single(Assert.Single((await broker.CallAsync<DeleteRecordsResponse>(broker.DeleteRecords, request, 2))!.Topics).Partitions);
        Assert.Equal((short)ErrorCode.None, result.ErrorCode);
        Assert.Equal(2, result.LowWatermark);

        var earliest = Single(await broker.CallAsync<ListOffsetsResponse>(broker.ListOffsets, ListOffsets("t", -2), 9));
        Assert.Equal(2, earliest.Offset);
        var fetched = await broker.CallAsync<FetchResponse>(broker.Fetch, Fetch("t", 0), 12);
        Assert.Equal((short)ErrorCode.OffsetOutOfRange, fetched!.Responses[0].Partitions[0].ErrorCode);
        var fromStart = await broker.CallAsync<FetchResponse>(broker.Fetch, Fetch("t", 2), 12);
        Assert.Equal(2, fromStart!.Responses[0].Partitions[0].LogStartOffset);

        // -1 means the high watermark; beyond it is out of range.
        request.Topics[0].Partitions[0].Offset = -1;
        Assert.Equal(4, (await broker.CallAsync<DeleteRecordsResponse>(broker.DeleteRecords, request, 0))!.Topics[0].Partitions[0].LowWatermark);
        request.Topics[0].Partitions[0].Offset = 10;
        Assert.Equal((short)ErrorCode.OffsetOutOfRange, (await broker.CallAsync<DeleteRecordsResponse>(broker.DeleteRecords, request, 1))!.Topics[0].Partitions[0].ErrorCode);
    }

    [Fact]
    public async Task Delete_records_is_refused_for_compact_only_and_internal_topics()
    {
        await using var broker = new HandlerHarness();
        broker.CreateTopic("c", configs: ("cleanup.policy", "compact"));
        broker.CreateTopic("__consumer_offsets");
        var request = new DeleteRecordsRequest
        {
            Topics =
            [
                new DeleteRecordsRequest.DeleteRecordsTopic { Name = "c", Partitions = [new DeleteRecordsRequest.DeleteRecordsPartition { PartitionIndex = 0, Offset = 0 }] },
                new DeleteRecordsRequest.DeleteRecordsTopic { Name = "__consumer_offsets", Partitions = [new DeleteRecordsRequest.DeleteRecordsPartition { PartitionIndex = 0, Offset = 0 }] },
            ],
        };
        var response = await broker.CallAsync<DeleteRecordsResponse>(broker.DeleteRecords, request, 2);
        Assert.Equal((short)ErrorCode.PolicyViolation, response!.Topics[0].Partitions[0].ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidTopicException, response.Topics[1].Partitions[0].ErrorCode);
    }

    [Fact]
    public async Task Offset_for_leader_epoch_answers_the_end_of_each_epoch()
    {
        await using var broker = new HandlerHarness();
        var id = broker.CreateTopic("t");
        await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", Batch(CompressionType.None, "a", "b")), 9);
        broker.Images.Leader(id, 0, 1);
        broker.Publish();
        await broker.CallAsync<ProduceResponse>(broker.Produce, Produce("t", Batch(CompressionType.None, "c")), 9);

        OffsetForLeaderEpochRequest Ask(int epoch, int current = -1) => new()
        {
            ReplicaId = -1,
            Topics = [new OffsetForLeaderEpochRequest.OffsetForLeaderTopic { Topic = "t", Partitions = [new OffsetForLeaderEpochRequest.OffsetForLeaderPartition { Partition = 0, LeaderEpoch = epoch, CurrentLeaderEpoch = current }] }],
        };

        async Task<OffsetForLeaderEpochResponse.EpochEndOffset> AnswerAsync(int epoch, int current = -1, short version = 4) =>
            Assert.Single(Assert.Single((await broker.CallAsync<OffsetForLeaderEpochResponse>(broker.OffsetForLeaderEpoch, Ask(epoch, current), version))!.Topics).Partitions);

        var first = await AnswerAsync(0);
        Assert.Equal((0, 2L), (first.LeaderEpoch, first.EndOffset));
        var latest = await AnswerAsync(1);
        Assert.Equal((1, 3L), (latest.LeaderEpoch, latest.EndOffset));
        var future = await AnswerAsync(5);
        Assert.Equal((short)ErrorCode.None, future.ErrorCode);
        Assert.Equal((-1, -1L), (future.LeaderEpoch, future.EndOffset));
        Assert.Equal((short)ErrorCode.FencedLeaderEpoch, (await AnswerAsync(0, current: 0)).ErrorCode);
        var v0 = await AnswerAsync(0, version: 0);
        Assert.Equal(2, v0.EndOffset);
    }

    [Fact]
    public async Task Describe_log_dirs_lists_partition_sizes()
    {
        await using var broker = await WithRecordsAsync();
        broker.CreateTopic("other", partitions: 2);
        var all = await broker.CallAsync<DescribeLogDirsResponse>(broker.DescribeLogDirs, new DescribeLogDirsRequest { Topics = null }, 4);
        var dir = Assert.Single(all!.Results);
        Assert.Equal(Path.Combine(broker.DataDirectory, "logs"), dir.LogDir);
        Assert.Equal(["other", "t"], dir.Topics.Select(t => t.Name));
        var t = dir.Topics[1].Partitions[0];
        Assert.Equal(broker.Partition("t").Log.Size, t.PartitionSize);
        Assert.True(t.PartitionSize > 0);
        Assert.Equal(0, t.OffsetLag);
        Assert.True(dir.TotalBytes > 0 && dir.UsableBytes > 0);

        var some = await broker.CallAsync<DescribeLogDirsResponse>(
            broker.DescribeLogDirs,
            new DescribeLogDirsRequest { Topics = [new DescribeLogDirsRequest.DescribableLogDirTopic { Topic = "other", Partitions = [1, 7] }] },
            1);
        var only = Assert.Single(Assert.Single(some!.Results).Topics);
        Assert.Equal([1], only.Partitions.Select(p => p.PartitionIndex));
    }
}
