using Chronik.Broker.Groups.Consumer;
using Chronik.Broker.Groups.Records;

namespace Chronik.Broker.Tests.Groups;

public class CoordinatorRecordCodecTests
{
    private static readonly Guid TopicA = Guid.Parse("11111111-2222-3333-4444-555555555555");

    public static TheoryData<CoordinatorRecord> Records() => new()
    {
        new OffsetCommitRecord("g", "t", 3, new OffsetCommitValue(42, 7, "meta", 1000)),
        new OffsetCommitRecord("g", "t", 3, new OffsetCommitValue(42, -1, "", 1000, 5000)),
        new OffsetCommitRecord("g", "t", 3, null),
        new GroupMetadataRecord("g", new GroupMetadataValue("consumer", 5, "range", "m1", 1234, [new GroupMemberMetadata("m1", "i1", "c", "/127.0.0.1", 30000, 10000, [1, 2], [3])])),
        new GroupMetadataRecord("g", null),
        new ConsumerGroupMetadataRecord("g", 9, 123456789),
        new ConsumerGroupMetadataRecord("g", 9, 0),
        new ConsumerGroupMetadataRecord("g", null),
        new ConsumerGroupMemberMetadataRecord("g", "m", new ConsumerMemberMetadata("i", "r", "c", "/h", ["a", "b"], "x.*", 300, "uniform")),
        new ConsumerGroupMemberMetadataRecord("g", "m", null),
        new ConsumerGroupTargetAssignmentMetadataRecord("g", 4),
        new ConsumerGroupTargetAssignmentMemberRecord("g", "m", Assignment.From([(TopicA, 0), (TopicA, 5)])),
        new ConsumerGroupCurrentMemberAssignmentRecord("g", "m", new CurrentMemberAssignment(4, 3, MemberState.UnrevokedPartitions, Assignment.From([(TopicA, 1)]), Assignment.From([(TopicA, 2)]))),
    };

    [Theory]
    [MemberData(nameof(Records))]
    public void Every_record_round_trips(CoordinatorRecord record)
    {
        var (key, value) = CoordinatorRecordCodec.Encode(record);
        CoordinatorRecord decoded = CoordinatorRecordCodec.Decode(key, value)!;
        var (key2, value2) = CoordinatorRecordCodec.Encode(decoded);
        Assert.Equal(key, key2);
        Assert.Equal(value, value2);
        Assert.Equal(record.IsTombstone, decoded.IsTombstone);
    }

    [Fact]
    public void Offset_commit_uses_kafkas_key_type_1_and_value_version_3_layout()
    {
        var (key, value) = CoordinatorRecordCodec.Encode(new OffsetCommitRecord("g", "t", 1, new OffsetCommitValue(5, 2, "m", 9)));
        Assert.Equal(new byte[] { 0, 1, 0, 1, (byte)'g', 0, 1, (byte)'t', 0, 0, 0, 1 }, key);
        Assert.Equal(new byte[] { 0, 3, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 2, 0, 1, (byte)'m', 0, 0, 0, 0, 0, 0, 0, 9 }, value);
    }

    [Fact]
    public void Kafka_value_versions_0_and_1_are_read()
    {
        byte[] key = [0, 0, 0, 1, (byte)'g', 0, 1, (byte)'t', 0, 0, 0, 0];
        byte[] v0 = [0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        var record = (OffsetCommitRecord)CoordinatorRecordCodec.Decode(key, v0)!;
        Assert.Equal(7, record.Value!.Offset);
        Assert.Equal(-1, record.Value.LeaderEpoch);
        Assert.Equal(1, record.Value.CommitTimestamp);
    }

    [Fact]
    public void Unused_record_types_are_skipped_and_garbage_is_a_malformed_message()
    {
        Assert.Null(CoordinatorRecordCodec.Decode(new byte[] { 0, 4, 0, 1, (byte)'g' }, new byte[] { 0, 0 }));
        Assert.Throws<Chronik.Protocol.Wire.MalformedMessageException>(() => CoordinatorRecordCodec.Decode(new byte[] { 0, 1, 0x7f, 0x7f }, null));
    }
}
