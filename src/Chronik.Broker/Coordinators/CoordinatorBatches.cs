using System.Buffers;
using Chronik.Protocol.Records;

namespace Chronik.Broker.Coordinators;

/// <summary>One entry read back from a coordinator partition: a record (of a transaction when <see cref="Transaction"/> is set) or a transaction marker.</summary>
public readonly record struct CoordinatorLogEntry<TRecord>(TRecord? Record, TransactionalProducer? Transaction, long MarkerProducerId = -1, bool Committed = false)
    where TRecord : class
{
    public bool IsEndTransaction => Record is null;
}

/// <summary>Coordinator writes to record batches (write) and back (load).</summary>
public static class CoordinatorBatches
{
    /// <summary>Batches stay below this size, well under the default max.message.bytes of 1 MiB.</summary>
    public const int MaxBatchBytes = 512 * 1024;

    /// <summary>
    /// Encodes <paramref name="writes"/> as uncompressed v2 batches, concatenated: plain records together,
    /// a producer's transactional records in a transactional batch with its producer id and epoch (base
    /// sequence 0, as Kafka's coordinators write them; sequences are not checked for coordinator appends),
    /// and each marker in a control batch of its own.
    /// </summary>
    public static byte[] Encode<TRecord>(IReadOnlyList<CoordinatorWrite<TRecord>> writes, ICoordinatorRecordSerde<TRecord> serde, long timestampMs)
        where TRecord : class
    {
        var output = new ArrayBufferWriter<byte>();
        using var builder = new RecordBatchBuilder();
        int pendingBytes = 0;
        CoordinatorWrite<TRecord>? open = null;
        foreach (CoordinatorWrite<TRecord> write in writes)
        {
            if (write.Kind == CoordinatorWriteKind.EndTransactionMarker)
            {
                Flush(builder, output, ref pendingBytes);
                open = null;
                var marker = new EndTransactionMarker(write.Committed ? ControlRecordType.Commit : ControlRecordType.Abort, write.CoordinatorEpoch);
                ControlRecords.WriteEndTransactionMarkerBatch(output, write.Producer.ProducerId, write.Producer.ProducerEpoch, marker, timestampMs);
                continue;
            }

            var (key, value) = serde.Encode(write.Record!);
            int size = key.Length + (value?.Length ?? 0) + 32;
            bool sameBatch = open is { } current && current.Kind == write.Kind && current.Producer == write.Producer;
            if (builder.RecordCount > 0 && (!sameBatch || pendingBytes + size > MaxBatchBytes))
            {
                Flush(builder, output, ref pendingBytes);
            }

            if (builder.RecordCount == 0)
            {
                bool transactional = write.Kind == CoordinatorWriteKind.TransactionalRecord;
                builder.IsTransactional = transactional;
                builder.ProducerId = transactional ? write.Producer.ProducerId : RecordBatchHeader.NoProducerId;
                builder.ProducerEpoch = transactional ? write.Producer.ProducerEpoch : RecordBatchHeader.NoProducerEpoch;
                builder.BaseSequence = transactional ? 0 : RecordBatchHeader.NoSequence;
            }

            builder.Append(timestampMs, key, value);
            pendingBytes += size;
            open = write;
        }

        Flush(builder, output, ref pendingBytes);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Decodes the batches in <paramref name="batches"/>, in order: records (skipping types the serde does not
    /// use) and transaction markers. Returns the offset after the last complete batch.
    /// </summary>
    public static long Decode<TRecord>(ReadOnlyMemory<byte> batches, long startOffset, ICoordinatorRecordSerde<TRecord> serde, List<CoordinatorLogEntry<TRecord>> into)
        where TRecord : class
    {
        long next = startOffset;
        var enumerator = new RecordBatchEnumerator(batches);
        while (enumerator.MoveNext())
        {
            ReadOnlySpan<byte> batch = enumerator.Current.Span;
            if (enumerator.CurrentMagic != RecordBatchHeader.CurrentMagic)
            {
                // Kafka has written magic 2 to its coordinator topics since 0.11; older entries carry nothing we use.
                continue;
            }

            next = RecordBatchHeader.LastOffset(batch) + 1;
            RecordBatchAttributes attributes = RecordBatchHeader.Attributes(batch);
            if ((attributes & RecordBatchAttributes.Control) != 0)
            {
                if (ControlRecords.TryReadBatchType(batch, out ControlRecordType type) && type is ControlRecordType.Commit or ControlRecordType.Abort)
                {
                    into.Add(new CoordinatorLogEntry<TRecord>(null, null, RecordBatchHeader.ProducerId(batch), type == ControlRecordType.Commit));
                }

                continue;
            }

            TransactionalProducer? transaction = (attributes & RecordBatchAttributes.Transactional) != 0
                ? new TransactionalProducer(RecordBatchHeader.ProducerId(batch), RecordBatchHeader.ProducerEpoch(batch))
                : null;
            using RecordBatchRecords records = RecordBatchRecords.Open(batch);
            foreach (RecordView record in records)
            {
                if (record.IsKeyNull)
                {
                    continue;
                }

                ReadOnlyMemory<byte>? value = record.IsValueNull ? null : record.Value.ToArray();
                if (serde.Decode(record.Key.ToArray(), value) is { } decoded)
                {
                    into.Add(new CoordinatorLogEntry<TRecord>(decoded, transaction));
                }
            }
        }

        return next;
    }

    private static void Flush(RecordBatchBuilder builder, ArrayBufferWriter<byte> output, ref int pendingBytes)
    {
        if (builder.RecordCount > 0)
        {
            builder.WriteTo(output);
            builder.Clear();
        }

        pendingBytes = 0;
    }
}
