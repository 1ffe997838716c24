using Chronik.Broker.Partitions;
using Chronik.Broker.Tests.DataPath;
using Chronik.Protocol.Records;
using Chronik.Protocol.Wire;
using Chronik.Storage;
using Chronik.Storage.Cleaner;
using Chronik.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using static Chronik.Broker.Tests.DataPath.Requests;

namespace Chronik.Broker.Tests.Partitions;

public class ReplicaManagerTests
{
    /// <summary>A replica manager on <paramref name="dataDirectory"/> that follows <paramref name="images"/> (no log cleaner).</summary>
    internal static ReplicaManager Open(string dataDirectory, ImageBuilder images, int nodeId = 1) =>
        new(
            new ReplicaManagerOptions
            {
                NodeId = nodeId,
                DataDirectory = dataDirectory,
                Configs = TestConfigs.Create(),
                ConfigureStorage = o => o with { Cleaner = new LogCleanerOptions { Enabled = false } },
            },
            () => images.Image,
            NullLoggerFactory.Instance);

    [Fact]
    public void Hosts_the_partitions_assigned_to_this_broker_with_their_roles()
    {
        using var directory = new TempDirectory("replicas");
        var images = new ImageBuilder().Broker(1).Broker(2);
        var led = images.Topic("led", partitions: 2, replicas: [1, 2]);
        images.Topic("followed", replicas: [2, 1]);
        images.Topic("elsewhere", replicas: [2]);
        using var replicas = Open(directory.Path, images);
        replicas.Start();
        replicas.ApplyImage(images.Image);

        Assert.Equal(3, replicas.Partitions.Count);
        var leader = replicas.GetPartition(new TopicPartition("led", 1))!;
        Assert.True(leader.IsLeader);
        Assert.Equal(led, leader.TopicId);
        Assert.Equal(PartitionRole.Follower, replicas.GetPartition(new TopicPartition("followed", 0))!.Role);
        Assert.Null(replicas.GetPartition("elsewhere", 0, out var error));
        Assert.Equal(ErrorCode.NotLeaderOrFollower, error);
        Assert.Null(replicas.GetPartition("missing", 0, out error));
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, error);
        Assert.Null(replicas.GetPartition(Guid.NewGuid(), 0, out error));
        Assert.Equal(ErrorCode.UnknownTopicId, error);
        Assert.True(Directory.Exists(Path.Combine(directory.Path, "logs", "led-1")));
        Assert.False(Directory.Exists(Path.Combine(directory.Path, "logs", "elsewhere-0")));
    }

    [Fact]
    public void A_request_for_a_partition_the_image_just_got_catches_up_without_the_watcher()
    {
        using var directory = new TempDirectory("replicas");
        var images = new ImageBuilder().Broker(1);
        using var replicas = Open(directory.Path, images);
        replicas.Start();
        replicas.ApplyImage(images.Image);
        images.Topic("fresh");
        Assert.NotNull(replicas.GetPartition("fresh", 0, out var error));
        Assert.Equal(ErrorCode.None, error);
    }

    [Fact]
    public void Becoming_leader_records_the_epoch_start_at_the_log_end()
    {
        using var directory = new TempDirectory("replicas");
        var images = new ImageBuilder().Broker(1).Broker(2);
        var id = images.Topic("t", replicas: [1, 2]);
        using var replicas = Open(directory.Path, images);
        replicas.Start();
        replicas.ApplyImage(images.Image);
        var partition = replicas.GetPartition(new TopicPartition("t", 0))!;
        partition.AppendAsLeader(Batch(CompressionType.None, "a", "b", "c"), requiredAcks: 1);

        images.Leader(id, 0, 2);
        replicas.ApplyImage(images.Image);
        Assert.Equal(PartitionRole.Follower, partition.Role);
        Assert.Throws<PartitionException>(() => partition.AppendAsLeader(Batch(CompressionType.None, "x"), 1));

        images.Leader(id, 0, 1);
        replicas.ApplyImage(images.Image);
        Assert.True(partition.IsLeader);
        Assert.Equal(2, partition.LeaderEpoch);
        Assert.Equal([new Storage.Epochs.EpochEntry(0, 0), new Storage.Epochs.EpochEntry(2, 3)], partition.Log.LeaderEpochs.Entries);
        Assert.Equal((0, 3L), partition.EndOffsetForEpoch(1));
        Assert.Equal(3, partition.LeaderEpochStartOffset);
    }

    [Fact]
    public async Task High_watermark_follows_the_group_fsync()
    {
        using var directory = new TempDirectory("replicas");
        var images = new ImageBuilder().Broker(1);
        images.Topic("t");
        using var replicas = Open(directory.Path, images);
        replicas.Start();
        replicas.ApplyImage(images.Image);
        var partition = replicas.GetPartition(new TopicPartition("t", 0))!;
        var result = partition.AppendAsLeader(Batch(CompressionType.None, "a", "b"), requiredAcks: -1);
        await partition.WaitForAcksAsync(result, -1);
        Assert.Equal(2, partition.HighWatermark);
        Assert.True(partition.Log.RecoveryPoint >= 2);
    }

    [Fact]
    public async Task Relaxed_flush_policy_moves_the_high_watermark_with_the_append()
    {
        using var directory = new TempDirectory("replicas");
        var images = new ImageBuilder().Broker(1);
        images.Topic("t", configs: ("flush.messages", "1000"));
        using var replicas = Open(directory.Path, images);
        replicas.Start();
        replicas.ApplyImage(images.Image);
        var partition = replicas.GetPartition(new TopicPartition("t", 0))!;
        var result = partition.AppendAsLeader(Batch(CompressionType.None, "a"), requiredAcks: -1);
        Assert.Equal(1, partition.HighWatermark);
        await partition.WaitForAcksAsync(result, -1);
    }

    [Fact]
    public void Config_changes_reach_the_open_log()
    {
        using var directory = new TempDirectory("replicas");
        var images = new ImageBuilder().Broker(1);
        images.Topic("t");
        using var replicas = Open(directory.Path, images);
        replicas.Start();
        replicas.ApplyImage(images.Image);
        var partition = replicas.GetPartition(new TopicPartition("t", 0))!;
        Assert.Equal(LogConfig.Default.RetentionMs, partition.Log.Config.RetentionMs);
        images.TopicConfig("t", "retention.ms", "1234");
        replicas.ApplyImage(images.Image);
        Assert.Equal(1234, partition.Log.Config.RetentionMs);
        images.TopicConfig("t", "retention.ms", null);
        replicas.ApplyImage(images.Image);
        Assert.Equal(LogConfig.Default.RetentionMs, partition.Log.Config.RetentionMs);
    }

    [Fact]
    public void Deleting_the_topic_deletes_its_logs_and_fails_its_partitions()
    {
        using var directory = new TempDirectory("replicas");
        var images = new ImageBuilder().Broker(1);
        var id = images.Topic("t", partitions: 2);
        using var replicas = Open(directory.Path, images);
        var removed = new List<string>();
        replicas.PartitionRemoved += p => removed.Add(p.TopicPartition.ToString());
        replicas.Start();
        replicas.ApplyImage(images.Image);
        var partition = replicas.GetPartition(new TopicPartition("t", 0))!;
        images.Remove(id);
        replicas.ApplyImage(images.Image);
        Assert.Equal(["t-0", "t-1"], removed.Order());
        Assert.True(partition.IsDeleted);
        Assert.Equal(ErrorCode.NotLeaderOrFollower, partition.CheckLeader(-1, requireLeader: true));
        Assert.Empty(replicas.Partitions);
        Assert.Null(replicas.Logs.GetLog(new TopicPartition("t", 0)));
        Assert.False(Directory.Exists(Path.Combine(directory.Path, "logs", "t-0")));
    }

    [Fact]
    public void A_log_left_by_an_earlier_topic_of_the_same_name_is_not_reused()
    {
        using var directory = new TempDirectory("replicas");
        var images = new ImageBuilder().Broker(1);
        images.Topic("t");
        using (var replicas = Open(directory.Path, images))
        {
            replicas.Start();
            replicas.ApplyImage(images.Image);
            replicas.GetPartition(new TopicPartition("t", 0))!.AppendAsLeader(Batch(CompressionType.None, "old"), 1);
        }

        // While this broker was away the topic was deleted and created again.
        var recreated = new ImageBuilder().Broker(1);
        var newId = recreated.Topic("t");
        using (var replicas = Open(directory.Path, recreated))
        {
            replicas.Start();
            replicas.ApplyImage(recreated.Image);
            var partition = replicas.GetPartition(new TopicPartition("t", 0))!;
            Assert.Equal(newId, partition.TopicId);
            Assert.Equal(0, partition.LogEndOffset);
        }
    }

    [Fact]
    public void The_same_topic_keeps_its_data_across_restarts()
    {
        using var directory = new TempDirectory("replicas");
        var images = new ImageBuilder().Broker(1);
        images.Topic("t");
        using (var replicas = Open(directory.Path, images))
        {
            replicas.Start();
            replicas.ApplyImage(images.Image);
            replicas.GetPartition(new TopicPartition("t", 0))!.AppendAsLeader(Batch(CompressionType.None, "kept"), 1);
        }

        using (var replicas = Open(directory.Path, images))
        {
            replicas.Start();
            replicas.ApplyImage(images.Image);
            var partition = replicas.GetPartition(new TopicPartition("t", 0))!;
            Assert.Equal(1, partition.LogEndOffset);
            Assert.Equal(1, partition.HighWatermark);
        }
    }

    [Fact]
    public void Stray_logs_are_deleted_only_once_the_metadata_caught_up()
    {
        using var directory = new TempDirectory("replicas");
        var images = new ImageBuilder().Broker(1);
        images.Topic("gone");
        using (var replicas = Open(directory.Path, images))
        {
            replicas.Start();
            replicas.ApplyImage(images.Image);
        }

        var empty = new ImageBuilder().Broker(1);
        using (var replicas = Open(directory.Path, empty))
        {
            replicas.Start();
            replicas.ApplyImage(empty.Image);
            Assert.NotNull(replicas.Logs.GetLog(new TopicPartition("gone", 0)));
            replicas.MarkMetadataCaughtUp();
            Assert.Null(replicas.Logs.GetLog(new TopicPartition("gone", 0)));
        }
    }
    [Fact]
    public void Random_image_sequences_keep_hosted_partitions_and_logs_in_line_with_the_image()
    {
        for (int seed = 0; seed < 8; seed++)
        {
            using var directory = new TempDirectory("replicas");
            var random = new Random(seed);
            var images = new ImageBuilder().Broker(1).Broker(2);
            using var replicas = Open(directory.Path, images);
            replicas.Start();
            replicas.MarkMetadataCaughtUp();
            var topics = new List<(string Name, Guid Id)>();
            for (int step = 0; step < 40; step++)
            {
                switch (random.Next(5))
                {
                    case 0 or 1:
                        string name = $"t{random.Next(6)}";
                        if (images.Image.GetTopic(name) is null)
                        {
                            int[] assigned = random.Next(3) switch { 0 => [1], 1 => [2], _ => [2, 1] };
                            topics.Add((name, images.Topic(name, partitions: 1 + random.Next(3), replicas: assigned)));
                        }

                        break;
                    case 2 when topics.Count > 0:
                        var gone = topics[random.Next(topics.Count)];
                        topics.Remove(gone);
                        images.Remove(gone.Id);
                        break;
                    case 3 when topics.Count > 0:
                        var moved = topics[random.Next(topics.Count)];
                        images.Leader(moved.Id, 0, random.Next(1, 3));
                        break;
                    case 4 when topics.Count > 0:
                        images.TopicConfig(topics[random.Next(topics.Count)].Name, "retention.ms", random.Next(1000, 100_000).ToString(System.Globalization.CultureInfo.InvariantCulture));
                        break;
                }

                replicas.ApplyImage(images.Image);
                var expected = new HashSet<TopicPartition>();
                foreach (var topic in images.Image.Topics.Values)
                {
                    foreach (var registration in topic.Partitions.Values)
                    {
                        var tp = new TopicPartition(topic.Name, registration.Partition);
                        var hosted = replicas.GetPartition(tp);
                        if (!registration.Replicas.Contains(1))
                        {
                            Assert.Null(hosted);
                            continue;
                        }

                        expected.Add(tp);
                        Assert.NotNull(hosted);
                        Assert.Equal(topic.TopicId, hosted!.TopicId);
                        Assert.Equal(registration.Leader == 1, hosted.IsLeader);
                        Assert.Equal(registration.LeaderEpoch, hosted.LeaderEpoch);
                        var retention = images.Image.GetConfig(Cluster.Metadata.ConfigResource.ForTopic(topic.Name), "retention.ms");
                        Assert.Equal(retention is null ? LogConfig.Default.RetentionMs : long.Parse(retention, System.Globalization.CultureInfo.InvariantCulture), hosted.Log.Config.RetentionMs);
                    }
                }

                var names = expected.Select(tp => tp.ToString()).Order(StringComparer.Ordinal).ToList();
                Assert.Equal(names, replicas.Partitions.Select(p => p.TopicPartition.ToString()).Order(StringComparer.Ordinal));
                Assert.Equal(names, replicas.Logs.Logs.Select(l => l.TopicPartition.ToString()).Order(StringComparer.Ordinal));
            }
        }
    }
}
