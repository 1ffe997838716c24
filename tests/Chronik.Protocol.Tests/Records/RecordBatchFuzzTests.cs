using Chronik.Protocol.Records;

namespace Chronik.Protocol.Tests.Records;

/// <summary>
/// Garbage never escapes the documented error paths (statuses, <see cref="BatchValidationResult"/>,
/// <see cref="RecordDecodeException"/>), and a valid prefix parses the same with any tail after it.
/// Seeded, so a failure reproduces; the seed is in the assertion message.
/// </summary>
public class RecordBatchFuzzTests
{
    private static readonly CompressionType[] Codecs = Enum.GetValues<CompressionType>();

    [Fact]
    public void Mutated_and_random_buffers_fail_only_through_documented_errors()
    {
        for (int seed = 0; seed < 400; seed++)
        {
            var random = new Random(seed);
            byte[] buffer = seed % 4 == 0 ? RandomBytes(random, random.Next(0, 400)) : Mutated(random);
            try
            {
                ReadEverything(buffer);
            }
            catch (RecordDecodeException)
            {
                // Documented.
            }
            catch (Exception exception)
            {
                Assert.Fail($"seed {seed}: {exception}");
            }
        }
    }

    [Fact]
    public void A_valid_prefix_parses_identically_whatever_follows()
    {
        for (int seed = 0; seed < 100; seed++)
        {
            var random = new Random(seed);
            byte[][] batches = Enumerable.Range(0, random.Next(1, 4))
                .Select(i => TestBatches.Simple(i * 100, random.Next(1, 30), Codecs[random.Next(Codecs.Length)]))
                .ToArray();
            byte[] prefix = TestBatches.Concatenated(batches);
            List<string> expected = Describe(RecordBatchDecoder.DecodeAll(prefix));
            byte[] tail = random.Next(2) == 0
                ? RandomBytes(random, random.Next(1, 200))
                : TestBatches.Simple(999, 5)[..random.Next(1, 60)];
            byte[] buffer = [.. prefix, .. tail];

            var entries = new RecordBatchEnumerator(buffer);
            var decoded = new List<DecodedRecordBatch>();
            while (entries.MoveNext() && entries.CurrentPosition < prefix.Length)
            {
                decoded.Add(RecordBatchDecoder.Decode(entries.Current.Span));
            }

            Assert.True(Describe(decoded).SequenceEqual(expected), $"seed {seed}");
            Assert.True(entries.BytesConsumed >= prefix.Length || entries.Status != RecordBatchEnumerationStatus.InProgress, $"seed {seed}");
        }
    }

    private static void ReadEverything(byte[] buffer)
    {
        var entries = new RecordBatchEnumerator(buffer, maxBatchSize: 1024 * 1024);
        while (entries.MoveNext())
        {
            ReadOnlySpan<byte> entry = entries.Current.Span;
            BatchValidationResult validation = RecordBatchValidator.Validate(entry);
            RecordBatchValidator.ValidateProduced(entry);
            if (entries.CurrentMagic == RecordBatchHeader.CurrentMagic)
            {
                // Read records even when validation failed: the reader must cope with whatever it is given.
                using RecordBatchRecords records = RecordBatchRecords.Open(entry, maxUncompressedBytes: 1024 * 1024);
                foreach (RecordView record in records)
                {
                    foreach (RecordHeaderView header in record.Headers)
                    {
                        _ = header.Value.Length;
                    }
                }
            }

            if (validation.IsValid)
            {
                RecordBatchDecoder.Decode(entry, 1024 * 1024);
            }
        }
    }

    private static byte[] Mutated(Random random)
    {
        byte[] batch = random.Next(3) == 0
            ? LegacySet(random)
            : TestBatches.Simple(random.Next(100), random.Next(0, 40), Codecs[random.Next(Codecs.Length)]);
        int flips = random.Next(1, 6);
        for (int i = 0; i < flips; i++)
        {
            batch[random.Next(batch.Length)] = (byte)random.Next(256);
        }

        if (random.Next(2) == 0)
        {
            // Keep the checksum right so the mutation reaches the record parser.
            if (batch[RecordBatchHeader.MagicOffset] == RecordBatchHeader.CurrentMagic && batch.Length >= RecordBatchHeader.Size
                && RecordBatchHeader.TotalSize(batch) == batch.Length)
            {
                RecordBatchHeader.UpdateCrc(batch);
            }
        }

        return random.Next(4) == 0 ? batch[..random.Next(batch.Length)] : batch;
    }

    private static byte[] LegacySet(Random random)
    {
        CompressionType[] legacyCodecs = [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4];
        using var builder = new LegacyMessageSetBuilder((byte)random.Next(2), legacyCodecs[random.Next(legacyCodecs.Length)]);
        int count = random.Next(1, 10);
        for (int i = 0; i < count; i++)
        {
            builder.Append(i, 100 + i, i % 2 == 0 ? null : [(byte)i], [(byte)i, 9]);
        }

        return builder.Build();
    }

    private static List<string> Describe(List<DecodedRecordBatch> batches) =>
        batches.SelectMany(b => b.Records.Select(r => $"{b.BaseOffset}/{r.Offset}/{r.Timestamp}/{Convert.ToHexString(r.Key ?? [])}/{Convert.ToHexString(r.Value ?? [])}/{r.Headers.Count}"))
            .ToList();

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
