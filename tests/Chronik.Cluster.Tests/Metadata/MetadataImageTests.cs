using System.Collections.Immutable;
using Chronik.Cluster.Metadata;

namespace Chronik.Cluster.Tests.Metadata;

public class MetadataImageTests
{
    private static readonly Guid T = RecordFactory.TopicA;

    [Fact]
    public void Topics_partitions_and_configs_are_looked_up_by_name_and_id()
    {
        MetadataImage image = MetadataImage.Empty.Apply(
        [
            new TopicRecord("orders", T),
            new ConfigRecord(ConfigResourceType.Topic, "orders", "cleanup.policy", "compact"),
            new PartitionRecord(T, 0, [1, 2], [1, 2], 1, 0, 0),
            new PartitionRecord(T, 1, [2, 1], [2, 1], 2, 0, 0),
        ], version: 5);

        Assert.Equal(5, image.Version);
        Assert.Same(image.GetTopic("orders"), image.GetTopic(T));
        Assert.Equal([0, 1], image.GetTopic("orders")!.Partitions.Keys);
        Assert.Equal(2, image.GetPartition("orders", 1)!.Leader);
        Assert.Equal("compact", image.GetConfig(ConfigResource.ForTopic("orders"), "cleanup.policy"));
        Assert.Null(image.GetTopic("missing"));
    }

    [Fact]
    public void Partition_change_bumps_partition_epoch_always_and_leader_epoch_on_leader_change()
    {
        MetadataImage image = MetadataImage.Empty.Apply([new TopicRecord("t", T), new PartitionRecord(T, 0, [1, 2], [1, 2], 1, 3, 7)], 1);

        image = image.Apply(new PartitionChangeRecord(T, 0, Isr: ImmutableArray.Create(1)));
        var p = image.GetPartition(T, 0)!;
        Assert.Equal((1, 3, 8), (p.Leader, p.LeaderEpoch, p.PartitionEpoch));
        Assert.Equal(new[] { 1 }, p.Isr.ToArray());

        image = image.Apply(new PartitionChangeRecord(T, 0, Leader: -1));
        p = image.GetPartition(T, 0)!;
        Assert.Equal((-1, 4, 9), (p.Leader, p.LeaderEpoch, p.PartitionEpoch));
    }

    [Fact]
    public void Removing_a_topic_drops_its_partitions_name_and_configs()
    {
        MetadataImage image = MetadataImage.Empty.Apply(
        [
            new TopicRecord("t", T),
            new PartitionRecord(T, 0, [1], [1], 1, 0, 0),
            new ConfigRecord(ConfigResourceType.Topic, "t", "retention.ms", "5"),
            new RemoveTopicRecord(T),
        ], 3);

        Assert.Empty(image.Topics);
        Assert.Empty(image.TopicIdsByName);
        Assert.Empty(image.Configs);
    }

    [Fact]
    public void Broker_fencing_needs_the_registered_epoch()
    {
        var register = new RegisterBrokerRecord(1, Guid.NewGuid(), 10, [new BrokerEndpoint("PLAINTEXT", "h", 9092)], null, null, true);
        MetadataImage image = MetadataImage.Empty.Apply(register).Apply(new UnfenceBrokerRecord(1, 9));
        Assert.True(image.GetBroker(1)!.Fenced);

        image = image.Apply(new UnfenceBrokerRecord(1, 10));
        Assert.True(image.IsBrokerActive(1));
        Assert.Equal([1], image.UnfencedBrokers.Select(b => b.BrokerId));
        Assert.Equal(9092, image.GetBroker(1)!.GetEndpoint("plaintext")!.Port);

        image = image.Apply(new UnregisterBrokerRecord(1, 10));
        Assert.Empty(image.Brokers);
    }

    [Fact]
    public void Records_about_unknown_things_change_nothing()
    {
        MetadataImage image = MetadataImage.Empty;
        foreach (MetadataRecord record in new MetadataRecord[]
        {
            new PartitionRecord(T, 0, [1], [1], 1, 0, 0),
            new PartitionChangeRecord(T, 0, Leader: 2),
            new RemoveTopicRecord(T),
            new FenceBrokerRecord(1, 1),
            new ConfigRecord(ConfigResourceType.Topic, "nope", "a", "b"),
        })
        {
            Assert.Same(image, image.Apply(record));
        }
    }

    [Fact]
    public void The_first_cluster_id_wins_and_producer_id_blocks_only_move_forward()
    {
        MetadataImage image = MetadataImage.Empty.Apply([new ClusterIdRecord("first"), new ClusterIdRecord("second")], 2);
        Assert.Equal("first", image.ClusterId);

        image = image.Apply(new ProducerIdsRecord(1, 0, 1000)).Apply(new ProducerIdsRecord(2, 1000, 1000)).Apply(new ProducerIdsRecord(3, 500, 1000));
        Assert.Equal(2000, image.NextProducerId);
        Assert.Equal(2, image.ProducerIds!.Value.BrokerId);
    }

    [Fact]
    public void Same_records_in_the_same_order_give_equal_images_and_snapshots_restore_them()
    {
        for (int seed = 0; seed < 300; seed++)
        {
            var random = new Random(seed);
            var records = RecordFactory.RandomSequence(random, random.Next(1, 80));
            MetadataImage a = MetadataImage.Empty, b = MetadataImage.Empty;
            long version = 0;
            int i = 0;
            while (i < records.Count)
            {
                // Fold the same records in differently sized entries on each side.
                int n = random.Next(1, 6);
                var batch = records.Skip(i).Take(n).ToList();
                a = a.Apply(batch, ++version);
                foreach (MetadataRecord r in batch)
                {
                    b = b.Apply(r);
                }

                b = b.WithVersion(version);
                i += n;
            }

            Assert.True(a.ContentEquals(b), $"seed {seed}: images differ");
            MetadataImage restored = MetadataSnapshotCodec.Decode(MetadataSnapshotCodec.Encode(a));
            Assert.True(a.ContentEquals(restored), $"seed {seed}: snapshot did not restore the image");
            Assert.Equal(MetadataSnapshotCodec.Encode(a), MetadataSnapshotCodec.Encode(restored));
        }
    }

    [Fact]
    public void Content_equality_sees_every_field()
    {
        MetadataImage baseImage = MetadataImage.Empty.Apply(RecordFactory.OneOfEach().Take(8).ToList(), 8);
        Assert.True(baseImage.ContentEquals(baseImage.WithControllerId(3)));
        Assert.False(baseImage.ContentEquals(baseImage.WithVersion(9)));
        Assert.False(baseImage.ContentEquals(baseImage.Apply(new PartitionChangeRecord(T, 0, Isr: ImmutableArray.Create(3)))));
        Assert.False(baseImage.ContentEquals(baseImage.Apply(new ConfigRecord(ConfigResourceType.Broker, "1", "x", "y"))));
        Assert.False(baseImage.ContentEquals(baseImage.Apply(new FenceBrokerRecord(1, 7))));
    }

    [Fact]
    public void A_corrupt_snapshot_is_a_format_error()
    {
        byte[] snapshot = MetadataSnapshotCodec.Encode(MetadataImage.Empty.Apply(RecordFactory.OneOfEach(), 20));
        Assert.Throws<MetadataFormatException>(() => MetadataSnapshotCodec.Decode(snapshot.AsSpan(0, snapshot.Length - 1)));
        snapshot[0] = 9;
        Assert.Throws<MetadataFormatException>(() => MetadataSnapshotCodec.Decode(snapshot));
    }
}
