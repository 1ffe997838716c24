using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Chronik.Compat.Harness;

/// <summary>
/// Deterministic records for one produce run, generated from a seed: keys drawn from a pool (so a key
/// repeats and must always land on the same partition), values of 40–160 bytes starting with the
/// record's index (so a consumed record identifies itself), 1–3 headers, and CreateTimes one
/// millisecond apart from <see cref="BaseTimestamp"/>.
/// </summary>
public sealed class RecordSet
{
    private const int TextIndexDigits = 8;
    private const string Printable = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:;,!?@#$%&*()[]{}<>=+/ ";

    private const int DictionaryBytes = 2048;

    private RecordSet(RecordShape shape, int seed, long baseTimestamp, IReadOnlyList<TestRecord> records, IReadOnlyList<TestHeader> commonHeaders)
    {
        Shape = shape;
        Seed = seed;
        BaseTimestamp = baseTimestamp;
        Records = records;
        CommonHeaders = commonHeaders;
    }

    public RecordShape Shape { get; }

    public int Seed { get; }

    public long BaseTimestamp { get; }

    public IReadOnlyList<TestRecord> Records { get; }

    /// <summary>The headers every record carries when <see cref="RecordShape.PerRecordHeaders"/> is false (kcat -H).</summary>
    public IReadOnlyList<TestHeader> CommonHeaders { get; }

    public int Count => Records.Count;

    /// <summary>
    /// <paramref name="count"/> records for <paramref name="shape"/>. <paramref name="baseTimestamp"/>
    /// should be recent: retention.ms counts from record timestamps.
    /// </summary>
    public static RecordSet Generate(int count, int seed, RecordShape shape, long baseTimestamp, int distinctKeys = 2000)
    {
        var random = new Random(seed);
        byte[] dictionary = Bytes(random, DictionaryBytes);
        var keys = new byte[distinctKeys][];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = shape.Binary
                ? Bytes(random, random.Next(1, 24))
                : Encoding.ASCII.GetBytes($"key-{i:D5}-{Text(random, random.Next(0, 12))}");
        }

        IReadOnlyList<TestHeader> common = shape.PerRecordHeaders
            ? []
            : [new TestHeader("source", Encoding.ASCII.GetBytes("kcat")), new TestHeader("seed", Encoding.ASCII.GetBytes(seed.ToString(CultureInfo.InvariantCulture)))];
        var records = new TestRecord[count];
        for (int i = 0; i < count; i++)
        {
            byte[] key = keys[random.Next(keys.Length)];
            byte[] value = Value(random, i, shape.Binary, dictionary);
            IReadOnlyList<TestHeader> headers = shape.PerRecordHeaders ? Headers(random, shape.Binary) : common;
            long? timestamp = shape.ExplicitTimestamps ? baseTimestamp + i : null;
            records[i] = new TestRecord(i, key, value, headers, timestamp);
        }

        return new RecordSet(shape, seed, baseTimestamp, records, common);
    }

    /// <summary>The index a value starts with, or -1 when it does not look like one of ours.</summary>
    public int IndexOf(ReadOnlySpan<byte> value)
    {
        int index;
        if (Shape.Binary)
        {
            index = value.Length >= 4 ? BinaryPrimitives.ReadInt32BigEndian(value) : -1;
        }
        else
        {
            index = value.Length > TextIndexDigits
                && int.TryParse(value[..TextIndexDigits], NumberStyles.None, CultureInfo.InvariantCulture, out int parsed)
                ? parsed
                : -1;
        }

        return index >= 0 && index < Records.Count ? index : -1;
    }

    private static byte[] Value(Random random, int index, bool binary, byte[] dictionary)
    {
        int length = random.Next(40, 161);
        if (binary)
        {
            byte[] value = CompressibleBytes(random, length, dictionary);
            BinaryPrimitives.WriteInt32BigEndian(value, index);
            return value;
        }

        return Encoding.ASCII.GetBytes(index.ToString("D" + TextIndexDigits, CultureInfo.InvariantCulture) + ":" + Text(random, length - TextIndexDigits - 1));
    }

    private static TestHeader[] Headers(Random random, bool binary)
    {
        var headers = new TestHeader[random.Next(1, 4)];
        for (int i = 0; i < headers.Length; i++)
        {
            // Names repeat across records; values differ. An empty value is a legal header value.
            string name = $"h{i}-{(char)('a' + random.Next(26))}";
            int length = random.Next(0, 24);
            headers[i] = new TestHeader(name, binary ? Bytes(random, length) : Encoding.ASCII.GetBytes(Text(random, length)));
        }

        return headers;
    }

    /// <summary>
    /// Any byte value can occur, but values are mostly 4–32 byte pieces of a shared random dictionary: the
    /// data compresses even for LZ-only codecs (snappy, lz4), so clients really compress their batches
    /// (librdkafka and kafka-python send a batch uncompressed when compression would not shrink it).
    /// </summary>
    private static byte[] CompressibleBytes(Random random, int length, byte[] dictionary)
    {
        var bytes = new byte[length];
        int position = 0;
        while (position < length)
        {
            if (random.Next(8) == 0)
            {
                bytes[position++] = (byte)random.Next(256);
                continue;
            }

            int piece = Math.Min(random.Next(4, 33), length - position);
            dictionary.AsSpan(random.Next(dictionary.Length - piece + 1), piece).CopyTo(bytes.AsSpan(position));
            position += piece;
        }

        return bytes;
    }

    private static byte[] Bytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static string Text(Random random, int length)
    {
        var chars = new char[length];
        for (int i = 0; i < length; i++)
        {
            chars[i] = Printable[random.Next(Printable.Length)];
        }

        return new string(chars);
    }
}
