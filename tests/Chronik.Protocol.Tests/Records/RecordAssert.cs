using Chronik.Protocol.Records;

namespace Chronik.Protocol.Tests.Records;

internal static class RecordAssert
{
    public static void Equal(byte[]? expected, byte[]? actual)
    {
        if (expected is null)
        {
            Assert.Null(actual);
            return;
        }

        Assert.NotNull(actual);
        Assert.Equal(expected, actual);
    }

    public static void Equal(IReadOnlyList<RecordHeader> expected, IReadOnlyList<RecordHeader> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Key, actual[i].Key);
            Equal(expected[i].Value, actual[i].Value);
        }
    }

    /// <summary>The records match kafka-python's formulas at offsets <paramref name="firstOffset"/>...</summary>
    public static void MatchesKafkaPythonRecords(IReadOnlyList<DecodedRecord> records, long firstOffset, bool withTimestamps, bool withHeaders)
    {
        Assert.Equal(KafkaPythonRecords.Count, records.Count);
        for (int i = 0; i < records.Count; i++)
        {
            Assert.Equal(firstOffset + i, records[i].Offset);
            Assert.Equal(withTimestamps ? KafkaPythonRecords.Timestamp(i) : -1, records[i].Timestamp);
            Equal(KafkaPythonRecords.Key(i), records[i].Key);
            Equal(KafkaPythonRecords.Value(i), records[i].Value);
            Equal(withHeaders ? KafkaPythonRecords.Headers(i) : [], records[i].Headers);
        }
    }
}
