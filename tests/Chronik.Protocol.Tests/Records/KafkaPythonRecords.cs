using System.Text;
using Chronik.Protocol.Records;

namespace Chronik.Protocol.Tests.Records;

/// <summary>The records generate_fixtures.py gives kafka-python, recomputed from the same formulas.</summary>
internal static class KafkaPythonRecords
{
    public const int Count = 50;
    public const long BaseTimestamp = 1_700_000_000_000;

    public static byte[]? Key(int i) => i % 7 == 0 ? null : Encoding.ASCII.GetBytes($"key-{i}");

    public static byte[]? Value(int i) => i % 11 == 0 ? null : Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat($"value-{i}-", (i % 5) + 1)));

    public static RecordHeader[] Headers(int i) => i % 3 == 0 ? [new("trace", Encoding.ASCII.GetBytes($"{i}")), new("empty", null)] : [];

    public static long Timestamp(int i) => BaseTimestamp + (i * 10);

    /// <summary>Appends the same records to one of our builders.</summary>
    public static void AppendTo(RecordBatchBuilder builder)
    {
        for (int i = 0; i < Count; i++)
        {
            builder.Append(Timestamp(i), Key(i), Value(i), Headers(i));
        }
    }
}
