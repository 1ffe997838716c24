using Chronik.Broker.Transactions;
using Chronik.Broker.Transactions.Records;
using Chronik.Protocol.Wire;
using Chronik.Storage;

namespace Chronik.Broker.Tests.Transactions;

public class TransactionLogCodecTests
{
    [Fact]
    public void A_value_round_trips_with_its_tagged_fields()
    {
        var value = new TransactionLogValue(42, 41, 43, 7, 60_000, TransactionState.PrepareCommit, [new TopicPartition("a", 0), new TopicPartition("a", 3), new TopicPartition("b", 1)], 1_700_000_000_123, 1_700_000_000_000, 2);
        var (key, bytes) = TransactionLogCodec.Instance.Encode(new TransactionLogRecord("txn-1", value));
        TransactionLogRecord decoded = TransactionLogCodec.Instance.Decode(key, bytes)!;
        Assert.Equal("txn-1", decoded.TransactionalId);
        Assert.Equal(value, decoded.Value);
    }

    [Fact]
    public void The_key_is_record_type_zero_and_the_id_and_a_tombstone_has_no_value()
    {
        var (key, value) = TransactionLogCodec.Instance.Encode(new TransactionLogRecord("x", null));
        Assert.Equal(new byte[] { 0, 0, 0, 1, (byte)'x' }, key);
        Assert.Null(value);
        Assert.Null(TransactionLogCodec.Instance.Decode(key, null)!.Value);
        Assert.Null(TransactionLogCodec.Instance.Decode(new byte[] { 0, 1, 0, 1, (byte)'x' }, null));
    }

    [Fact]
    public void Version_zero_values_as_older_kafka_writes_them_are_read()
    {
        // version 0, producer id 5, epoch 2, timeout 1000, status Ongoing, [{"t", [4]}], last update 9, start 8
        byte[] v0 =
        [
            0, 0,
            0, 0, 0, 0, 0, 0, 0, 5,
            0, 2,
            0, 0, 3, 232,
            1,
            0, 0, 0, 1, 0, 1, (byte)'t', 0, 0, 0, 1, 0, 0, 0, 4,
            0, 0, 0, 0, 0, 0, 0, 9,
            0, 0, 0, 0, 0, 0, 0, 8,
        ];
        TransactionLogValue value = TransactionLogCodec.DecodeValue(v0);
        Assert.Equal(new TransactionLogValue(5, -1, -1, 2, 1000, TransactionState.Ongoing, [new TopicPartition("t", 4)], 9, 8, 0), value);
    }

    [Fact]
    public void An_empty_transaction_is_written_without_partitions_and_unknown_tags_are_skipped()
    {
        var value = new TransactionLogValue(1, -1, -1, 0, 100, TransactionState.Empty, [], 5, -1, 0);
        byte[] bytes = TransactionLogCodec.EncodeValue(value);
        Assert.Equal(value, TransactionLogCodec.DecodeValue(bytes));

        // Append an unknown tag (9, two bytes) to the tagged section, which was empty.
        byte[] withTag = [.. bytes[..^1], 1, 9, 2, 0xAB, 0xCD];
        Assert.Equal(value, TransactionLogCodec.DecodeValue(withTag));
    }

    [Theory]
    [InlineData(new byte[] { 0, 9 })]
    [InlineData(new byte[] { 0, 1, 0, 0 })]
    [InlineData(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 2, 0, 0, 3, 232, 42 })]
    public void Malformed_values_are_rejected_with_a_clear_exception(byte[] bytes) =>
        Assert.Throws<MalformedMessageException>(() => TransactionLogCodec.DecodeValue(bytes));
}
