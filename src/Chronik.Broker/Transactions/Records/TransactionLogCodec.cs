using Chronik.Broker.Coordinators;
using Chronik.Protocol.Wire;
using Chronik.Storage;

namespace Chronik.Broker.Transactions.Records;

/// <summary>
/// Kafka's record formats of __transaction_state (transaction-coordinator's TransactionLogKey.json /
/// TransactionLogValue.json). The key is the int16 record type 0 followed by the transactional id; the value
/// starts with its int16 version. Version 0 is non-flexible; version 1 (written here) is flexible and carries
/// the previous and next producer ids and the client's transaction version as tagged fields 0, 1 and 2.
/// Readers accept both and skip unknown tags.
/// </summary>
public sealed class TransactionLogCodec : ICoordinatorRecordSerde<TransactionLogRecord>
{
    public const short KeyType = 0;
    public const short WrittenValueVersion = 1;

    private const int PreviousProducerIdTag = 0;
    private const int NextProducerIdTag = 1;
    private const int ClientTransactionVersionTag = 2;

    public static readonly TransactionLogCodec Instance = new();

    public (byte[] Key, byte[]? Value) Encode(TransactionLogRecord record) =>
        (EncodeKey(record.TransactionalId), record.Value is null ? null : EncodeValue(record.Value));

    public TransactionLogRecord? Decode(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte>? value)
    {
        var reader = new KafkaReader(key);
        if (reader.ReadInt16() != KeyType)
        {
            return null;
        }

        string transactionalId = reader.ReadString(compact: false);
        return new TransactionLogRecord(transactionalId, value is { } v ? DecodeValue(v) : null);
    }

    public static byte[] EncodeKey(string transactionalId)
    {
        var w = new RecordFieldWriter();
        w.WriteInt16(KeyType);
        w.WriteString(transactionalId, compact: false);
        return w.ToArray();
    }

    public static byte[] EncodeValue(TransactionLogValue value)
    {
        var w = new RecordFieldWriter();
        w.WriteInt16(WrittenValueVersion);
        w.WriteInt64(value.ProducerId);
        w.WriteInt16(value.ProducerEpoch);
        w.WriteInt32(value.TransactionTimeoutMs);
        w.WriteInt8((sbyte)value.State);
        if (value.State == TransactionState.Empty)
        {
            // Kafka writes no partition list for an empty transaction.
            w.WriteUnsignedVarint(0);
        }
        else
        {
            var byTopic = value.Partitions.GroupBy(p => p.Topic, StringComparer.Ordinal).ToList();
            w.WriteArrayLength(byTopic.Count, compact: true);
            foreach (var topic in byTopic)
            {
                w.WriteString(topic.Key, compact: true);
                w.WriteArrayLength(topic.Count(), compact: true);
                foreach (TopicPartition partition in topic)
                {
                    w.WriteInt32(partition.Partition);
                }

                w.WriteNoTaggedFields();
            }
        }

        w.WriteInt64(value.LastUpdateTimestampMs);
        w.WriteInt64(value.StartTimestampMs);
        var tagged = new List<(int Tag, byte[] Bytes)>(3);
        if (value.PreviousProducerId != -1)
        {
            tagged.Add((PreviousProducerIdTag, Int64Bytes(value.PreviousProducerId)));
        }

        if (value.NextProducerId != -1)
        {
            tagged.Add((NextProducerIdTag, Int64Bytes(value.NextProducerId)));
        }

        if (value.ClientTransactionVersion != 0)
        {
            var tv = new RecordFieldWriter();
            tv.WriteInt16(value.ClientTransactionVersion);
            tagged.Add((ClientTransactionVersionTag, tv.ToArray()));
        }

        w.WriteUnsignedVarint((uint)tagged.Count);
        foreach (var (tag, bytes) in tagged)
        {
            w.WriteUnsignedVarint((uint)tag);
            w.WriteUnsignedVarint((uint)bytes.Length);
            w.WriteRaw(bytes);
        }

        return w.ToArray();
    }

    /// <summary>Decodes value version 0 or 1; throws <see cref="MalformedMessageException"/> on others and on bad bytes.</summary>
    public static TransactionLogValue DecodeValue(ReadOnlyMemory<byte> bytes)
    {
        var r = new KafkaReader(bytes);
        short version = r.ReadInt16();
        if (version is < 0 or > 1)
        {
            throw new MalformedMessageException($"unknown __transaction_state value version {version}");
        }

        bool flexible = version >= 1;
        long producerId = r.ReadInt64();
        short epoch = r.ReadInt16();
        int timeout = r.ReadInt32();
        sbyte status = r.ReadInt8();
        if (status is < 0 or > (sbyte)TransactionState.PrepareEpochFence)
        {
            throw new MalformedMessageException($"unknown transaction status {status}");
        }

        var state = (TransactionState)status;
        var partitions = new List<TopicPartition>();
        int topics = r.ReadArrayLength(flexible);
        for (int t = 0; t < topics; t++)
        {
            string topic = r.ReadString(flexible);
            int count = r.ReadArrayLength(flexible);
            for (int i = 0; i < count; i++)
            {
                partitions.Add(new TopicPartition(topic, r.ReadInt32()));
            }

            if (flexible)
            {
                r.SkipTaggedFields();
            }
        }

        long lastUpdate = r.ReadInt64();
        long start = r.ReadInt64();
        long previous = -1;
        long next = -1;
        short clientVersion = 0;
        if (flexible)
        {
            int fields = r.ReadTaggedFieldCount();
            for (int i = 0; i < fields; i++)
            {
                int tag = r.ReadTag();
                KafkaReader field = r.ReadTaggedValue();
                switch (tag)
                {
                    case PreviousProducerIdTag:
                        previous = field.ReadInt64();
                        break;
                    case NextProducerIdTag:
                        next = field.ReadInt64();
                        break;
                    case ClientTransactionVersionTag:
                        clientVersion = field.ReadInt16();
                        break;
                }
            }
        }

        // Kafka ignores the partitions of an empty transaction.
        IReadOnlyList<TopicPartition> ordered = state == TransactionState.Empty ? [] : [.. partitions.Distinct().Order(TopicPartitionOrder.Instance)];
        return new TransactionLogValue(producerId, previous, next, epoch, timeout, state, ordered, lastUpdate, start, clientVersion);
    }

    private static byte[] Int64Bytes(long value)
    {
        var w = new RecordFieldWriter();
        w.WriteInt64(value);
        return w.ToArray();
    }
}

/// <summary>Topic, then partition: the order transactions keep their partitions in.</summary>
public sealed class TopicPartitionOrder : IComparer<TopicPartition>
{
    public static readonly TopicPartitionOrder Instance = new();

    public int Compare(TopicPartition x, TopicPartition y)
    {
        int byTopic = string.CompareOrdinal(x.Topic, y.Topic);
        return byTopic != 0 ? byTopic : x.Partition.CompareTo(y.Partition);
    }
}
