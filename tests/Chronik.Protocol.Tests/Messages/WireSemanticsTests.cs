using System.Runtime.InteropServices;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Protocol.Tests.Messages;

/// <summary>Byte-level checks of the generator's Kafka semantics on concrete messages.</summary>
public class WireSemanticsTests
{
    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    [Fact]
    public void Request_header_v2_keeps_the_classic_client_id_then_a_tagged_section()
    {
        var header = new RequestHeader { RequestApiKey = 18, RequestApiVersion = 3, CorrelationId = 7, ClientId = "ab" };
        Assert.Equal("0012" + "0003" + "00000007" + "0002" + "6162" + "00", Hex(header.ToBytes(2)));
        Assert.Equal("0012" + "0003" + "00000007" + "0002" + "6162", Hex(header.ToBytes(1)));

        header.ClientId = null;
        Assert.Equal("0012" + "0003" + "00000007" + "ffff" + "00", Hex(header.ToBytes(2)));
    }

    [Fact]
    public void Request_header_v0_has_no_client_id_and_drops_it_as_ignorable()
    {
        var header = new RequestHeader { RequestApiKey = 7, RequestApiVersion = 0, CorrelationId = 1, ClientId = "x" };
        Assert.Equal("0007" + "0000" + "00000001", Hex(header.ToBytes(0)));

        var reader = new KafkaReader(header.ToBytes(0));
        RequestHeader read = RequestHeader.ReadFrom(ref reader, out short headerVersion);
        Assert.Equal(0, headerVersion);
        Assert.Equal("", read.ClientId);
    }

    [Fact]
    public void Response_header_v1_ends_with_an_empty_tagged_section()
    {
        var header = new ResponseHeader { CorrelationId = 258 };
        Assert.Equal("00000102", Hex(header.ToBytes(0)));
        Assert.Equal("00000102" + "00", Hex(header.ToBytes(1)));
    }

    [Fact]
    public void Tagged_fields_are_written_only_when_not_default_in_tag_order_followed_by_unknown_ones()
    {
        var response = new ApiVersionsResponse { ErrorCode = 0, ThrottleTimeMs = 0 };
        Assert.Equal("0000" + "01" + "00000000" + "00", Hex(response.ToBytes(3)));

        response.ZkMigrationReady = true; // tag 3
        response.FinalizedFeaturesEpoch = 5; // tag 1
        response.UnknownTaggedFields = [new TaggedField(7, [0xab]), new TaggedField(10, [])];
        byte[] bytes = response.ToBytes(3);
        Assert.Equal(
            "0000" + "01" + "00000000"
            + "04"
            + "01" + "08" + "0000000000000005"
            + "03" + "01" + "01"
            + "07" + "01" + "ab"
            + "0a" + "00",
            Hex(bytes));

        ApiVersionsResponse read = ApiVersionsResponse.FromBytes(bytes, 3);
        Assert.Equal(5, read.FinalizedFeaturesEpoch);
        Assert.True(read.ZkMigrationReady);
        StructuralAssert.Equal(response.UnknownTaggedFields, read.UnknownTaggedFields);
        Assert.Equal(bytes, read.ToBytes(3));
    }

    [Fact]
    public void Tagged_fields_cannot_be_written_to_a_version_without_them()
    {
        var response = new ApiVersionsResponse { UnknownTaggedFields = [new TaggedField(9, [1])] };
        Assert.Throws<UnsupportedVersionException>(() => response.ToBytes(2));

        var withKnownTag = new ApiVersionsResponse { FinalizedFeaturesEpoch = 3 };
        Assert.Equal(Hex(new ApiVersionsResponse().ToBytes(2)), Hex(withKnownTag.ToBytes(2))); // ignorable: dropped
        var withNonIgnorableTag = new FetchRequest(); // ReplicaState: tag 1 from v15, not ignorable
        withNonIgnorableTag.ReplicaState.ReplicaEpoch = 3;
        Assert.Throws<UnsupportedVersionException>(() => withNonIgnorableTag.ToBytes(14));
        Assert.Equal(3, FetchRequest.FromBytes(withNonIgnorableTag.ToBytes(15), 15).ReplicaState.ReplicaEpoch);
    }

    [Fact]
    public void Tagged_structs_are_sized_and_nested_tagged_sections_kept()
    {
        var partition = new FetchResponse.PartitionData
        {
            PartitionIndex = 1,
            Records = new byte[] { 1, 2, 3 },
            CurrentLeader = new FetchResponse.LeaderIdAndEpoch { LeaderId = 4, LeaderEpoch = 5 },
        };
        var response = new FetchResponse { Responses = [new FetchResponse.FetchableTopicResponse { TopicId = Guid.NewGuid(), Partitions = [partition] }] };
        byte[] bytes = response.ToBytes(13);
        FetchResponse read = FetchResponse.FromBytes(bytes, 13);
        FetchResponse.PartitionData readPartition = read.Responses[0].Partitions[0];
        Assert.Equal(4, readPartition.CurrentLeader.LeaderId);
        Assert.Equal(5, readPartition.CurrentLeader.LeaderEpoch);

        // The default leader is not written at all: the message shrinks by tag + size + 8 bytes + its empty tag section.
        partition.CurrentLeader = new FetchResponse.LeaderIdAndEpoch();
        Assert.Equal(bytes.Length - (1 + 1 + 8 + 1), response.ToBytes(13).Length);
    }

    [Fact]
    public void Nullable_structs_use_an_int8_presence_marker()
    {
        var response = new ConsumerGroupHeartbeatResponse();
        Assert.Null(response.Assignment);
        byte[] withoutAssignment = response.ToBytes(0);
        Assert.Equal(0xff, withoutAssignment[^2]); // marker -1, then the empty tagged section

        response.Assignment = new ConsumerGroupHeartbeatResponse.AssignmentData();
        byte[] withAssignment = response.ToBytes(0);
        Assert.Equal(withoutAssignment.Length + 2, withAssignment.Length); // marker 1, empty topic array, tags
        Assert.NotNull(ConsumerGroupHeartbeatResponse.FromBytes(withAssignment, 0).Assignment);
        Assert.Null(ConsumerGroupHeartbeatResponse.FromBytes(withoutAssignment, 0).Assignment);
    }

    [Fact]
    public void Null_where_the_version_forbids_it_is_malformed_on_read_and_refused_on_write()
    {
        // ProduceRequest v9: compact topic name null (0x00) where names are not nullable.
        byte[] bytes = Convert.FromHexString("00" + "0001" + "00000000" + "02" + "00" + "01" + "00" + "00");
        Assert.Throws<MalformedMessageException>(() => ProduceRequest.FromBytes(bytes, 9));

        var request = new ProduceRequest { TopicData = [new ProduceRequest.TopicProduceData { Name = null! }] };
        Assert.Throws<InvalidOperationException>(() => request.ToBytes(9));

        var nullTransactionalId = new ProduceRequest { TransactionalId = null };
        nullTransactionalId.ToBytes(3);
    }

    [Fact]
    public void Records_are_read_as_slices_of_the_request_buffer()
    {
        var request = new ProduceRequest
        {
            Acks = -1,
            TopicData = [new ProduceRequest.TopicProduceData { Name = "t", PartitionData = [new ProduceRequest.PartitionProduceData { Index = 0, Records = new byte[] { 9, 8, 7 } }] }],
        };
        byte[] bytes = request.ToBytes(9);
        ProduceRequest read = ProduceRequest.FromBytes(bytes, 9);
        ReadOnlyMemory<byte> records = read.TopicData[0].PartitionData[0].Records!.Value;
        Assert.True(MemoryMarshal.TryGetArray(records, out ArraySegment<byte> segment));
        Assert.Same(bytes, segment.Array);
        Assert.Equal(new byte[] { 9, 8, 7 }, records.ToArray());
    }

    [Fact]
    public void Writing_an_older_version_with_a_newer_non_ignorable_field_set_throws()
    {
        var request = new ProduceRequest { TransactionalId = "tx" };
        Assert.Throws<UnsupportedVersionException>(() => request.ToBytes(2));

        var fetch = new FetchRequest { ClusterId = "c" }; // tagged 12+, ignorable: dropped below 12
        Assert.Equal(Hex(new FetchRequest().ToBytes(11)), Hex(fetch.ToBytes(11)));
    }

    [Fact]
    public void A_known_tag_outside_its_tagged_versions_is_kept_as_unknown()
    {
        // FetchRequest tags ReplicaState (tag 1) from v15; at v14 a tag 1 is unknown and preserved.
        var request = new FetchRequest { UnknownTaggedFields = [new TaggedField(1, [0, 0, 0, 1])] };
        FetchRequest read = FetchRequest.FromBytes(request.ToBytes(14), 14);
        TaggedField kept = Assert.Single(read.UnknownTaggedFields);
        Assert.Equal(1, kept.Tag);
        Assert.Equal(-1, read.ReplicaState.ReplicaId);
    }

    [Fact]
    public void Trailing_bytes_after_a_message_are_malformed_for_FromBytes()
    {
        byte[] bytes = [.. new ApiVersionsRequest().ToBytes(3), 0];
        Assert.Throws<MalformedMessageException>(() => ApiVersionsRequest.FromBytes(bytes, 3));
    }
}
