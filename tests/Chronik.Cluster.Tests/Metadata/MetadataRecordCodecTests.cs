using System.Collections.Immutable;
using Chronik.Cluster.Metadata;

namespace Chronik.Cluster.Tests.Metadata;

public class MetadataRecordCodecTests
{
    [Fact]
    public void Every_record_type_round_trips()
    {
        var types = new HashSet<MetadataRecordType>();
        foreach (MetadataRecord record in RecordFactory.OneOfEach())
        {
            byte[] bytes = MetadataRecordCodec.Encode(record);
            Assert.Equal((byte)record.Type, bytes[0]);
            Assert.True(bytes[1] <= MetadataRecordCodec.HighestVersion(record.Type));
            Assert.Equal(record, MetadataRecordCodec.Decode(bytes));
            types.Add(record.Type);
        }

        Assert.Equal(Enum.GetValues<MetadataRecordType>().Length, types.Count);
    }

    [Fact]
    public void Partition_records_use_version_1_only_to_carry_a_reassignment()
    {
        var plain = new PartitionRecord(RecordFactory.TopicA, 0, [1, 2], [1, 2], 1, 0, 0);
        Assert.Equal(0, MetadataRecordCodec.Encode(plain)[1]);
        Assert.Equal(0, MetadataRecordCodec.Encode(new PartitionChangeRecord(RecordFactory.TopicA, 0, Leader: 2))[1]);

        var moving = plain with { Replicas = [3, 1, 2], AddingReplicas = [3], RemovingReplicas = [2] };
        byte[] bytes = MetadataRecordCodec.Encode(moving);
        Assert.Equal(1, bytes[1]);
        Assert.Equal(moving, MetadataRecordCodec.Decode(bytes));

        var ending = new PartitionChangeRecord(RecordFactory.TopicA, 0, Replicas: ImmutableArray.Create(3, 1)) { AddingReplicas = [], RemovingReplicas = [] };
        bytes = MetadataRecordCodec.Encode(ending);
        Assert.Equal(1, bytes[1]);
        Assert.Equal(ending, MetadataRecordCodec.Decode(bytes));
    }

    [Fact]
    public void Random_records_round_trip_as_one_entry()
    {
        var random = new Random(11);
        for (int round = 0; round < 200; round++)
        {
            var records = RecordFactory.RandomSequence(random, random.Next(0, 20));
            var id = Guid.NewGuid();
            var (decodedId, decoded) = MetadataEntryCodec.Decode(MetadataEntryCodec.Encode(id, records));
            Assert.Equal(id, decodedId);
            Assert.Equal(records, decoded);
        }
    }

    [Fact]
    public void Every_truncation_of_an_entry_is_rejected()
    {
        byte[] entry = MetadataEntryCodec.Encode(Guid.NewGuid(), RecordFactory.OneOfEach());
        for (int length = 0; length < entry.Length; length++)
        {
            Assert.Throws<MetadataFormatException>(() => MetadataEntryCodec.Decode(entry.AsSpan(0, length)));
        }
    }

    [Fact]
    public void Trailing_bytes_unknown_types_and_newer_versions_are_rejected()
    {
        byte[] record = MetadataRecordCodec.Encode(new RemoveTopicRecord(Guid.NewGuid()));
        Assert.Throws<MetadataFormatException>(() => MetadataRecordCodec.Decode([.. record, 0]));

        byte[] unknownType = [.. record];
        unknownType[0] = 200;
        Assert.Contains("unknown metadata record type", Assert.Throws<MetadataFormatException>(() => MetadataRecordCodec.Decode(unknownType)).Message);

        byte[] newer = [.. record];
        newer[1] = (byte)(MetadataRecordCodec.HighestVersion(MetadataRecordType.RemoveTopic) + 1);
        Assert.Contains("newer", Assert.Throws<MetadataFormatException>(() => MetadataRecordCodec.Decode(newer)).Message);
    }

    [Fact]
    public void Absurd_lengths_fail_without_allocating_them()
    {
        // A config record whose resource-name length claims ~4 GiB.
        byte[] bytes = [(byte)MetadataRecordType.Config, 0, (byte)ConfigResourceType.Topic, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F];
        Assert.Throws<MetadataFormatException>(() => MetadataRecordCodec.Decode(bytes));

        // An entry claiming two billion records.
        byte[] entry = [1, .. new byte[16], 0xFF, 0xFF, 0xFF, 0xFF, 0x07];
        Assert.Throws<MetadataFormatException>(() => MetadataEntryCodec.Decode(entry));

        // A varint that never ends.
        byte[] varint = [(byte)MetadataRecordType.ClusterId, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        Assert.Throws<MetadataFormatException>(() => MetadataRecordCodec.Decode(varint));
    }

    [Fact]
    public void Random_garbage_never_throws_anything_but_a_format_error()
    {
        var random = new Random(5);
        byte[] valid = MetadataEntryCodec.Encode(Guid.NewGuid(), RecordFactory.OneOfEach());
        for (int i = 0; i < 5000; i++)
        {
            byte[] bytes = i % 2 == 0 ? new byte[random.Next(64)] : [.. valid];
            if (i % 2 == 0)
            {
                random.NextBytes(bytes);
            }
            else
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            try
            {
                MetadataEntryCodec.Decode(bytes);
            }
            catch (MetadataFormatException)
            {
            }
        }
    }

    [Fact]
    public void Invalid_utf8_and_booleans_are_format_errors()
    {
        byte[] badUtf8 = [(byte)MetadataRecordType.ClusterId, 0, 3, 0xC3, 0x28];
        Assert.Throws<MetadataFormatException>(() => MetadataRecordCodec.Decode(badUtf8));

        byte[] fence = MetadataRecordCodec.Encode(new RegisterBrokerRecord(1, Guid.Empty, 1, [], null, null, true));
        fence[^1] = 2;
        Assert.Throws<MetadataFormatException>(() => MetadataRecordCodec.Decode(fence));
    }

    [Fact]
    public void Cluster_ids_are_22_url_safe_characters()
    {
        for (int i = 0; i < 100; i++)
        {
            string id = ClusterIds.New();
            Assert.Equal(22, id.Length);
            Assert.All(id, c => Assert.True(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'));
        }
    }
}
