using System.Buffers;
using Chronik.Broker.Groups.Records;
using Chronik.Protocol.Records;

namespace Chronik.Broker.Groups.Runtime;

/// <summary>Coordinator records to record batches (write) and back (load).</summary>
public static class CoordinatorBatches
{
    /// <summary>Batches stay below this size, well under the default max.message.bytes of 1 MiB.</summary>
    public const int MaxBatchBytes = 512 * 1024;

    /// <summary>Encodes <paramref name="records"/> as uncompressed v2 batches, concatenated.</summary>
    public static byte[] Encode(IReadOnlyList<CoordinatorRecord> records, long timestampMs)
    {
        var output = new ArrayBufferWriter<byte>();
        using var builder = new RecordBatchBuilder();
        int pendingBytes = 0;
        foreach (CoordinatorRecord record in records)
        {
            var (key, value) = CoordinatorRecordCodec.Encode(record);
            int size = key.Length + (value?.Length ?? 0) + 32;
            if (builder.RecordCount > 0 && pendingBytes + size > MaxBatchBytes)
            {
                builder.WriteTo(output);
                builder.Clear();
                pendingBytes = 0;
            }

            builder.Append(timestampMs, key, value);
            pendingBytes += size;
        }

        if (builder.RecordCount > 0)
        {
            builder.WriteTo(output);
        }

        return output.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Decodes the records of the batches in <paramref name="batches"/>, in order, skipping control batches
    /// and record types Chronik does not use. Returns the offset after the last complete batch.
    /// </summary>
    public static long Decode(ReadOnlyMemory<byte> batches, long startOffset, List<CoordinatorRecord> into)
    {
        long next = startOffset;
        var enumerator = new RecordBatchEnumerator(batches);
        while (enumerator.MoveNext())
        {
            ReadOnlySpan<byte> batch = enumerator.Current.Span;
            if (enumerator.CurrentMagic != RecordBatchHeader.CurrentMagic)
            {
                // Kafka has written magic 2 to __consumer_offsets since 0.11; older entries carry nothing we use.
                continue;
            }

            next = RecordBatchHeader.LastOffset(batch) + 1;
            if ((RecordBatchHeader.Attributes(batch) & RecordBatchAttributes.Control) != 0)
            {
                continue;
            }

            using RecordBatchRecords records = RecordBatchRecords.Open(batch);
            foreach (RecordView record in records)
            {
                if (record.IsKeyNull)
                {
                    continue;
                }

                ReadOnlyMemory<byte>? value = record.IsValueNull ? null : record.Value.ToArray();
                if (CoordinatorRecordCodec.Decode(record.Key.ToArray(), value) is { } decoded)
                {
                    into.Add(decoded);
                }
            }
        }

        return next;
    }
}
