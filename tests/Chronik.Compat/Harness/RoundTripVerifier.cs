using System.Text;

namespace Chronik.Compat.Harness;

/// <summary>
/// Compares what a client consumed with what it produced, byte for byte: every produced record exactly
/// once; key, value, headers and timestamp equal; per partition offsets 0..n-1 without gaps and records
/// in production order; a key always on the same partition. Problems are collected, not thrown, so one
/// assertion reports all of them (the first few in full).
/// </summary>
public static class RoundTripVerifier
{
    private const int ReportedProblems = 20;

    /// <param name="clientTimeWindow">For records without explicit timestamps: the client's wall-clock interval around the produce run (ms).</param>
    public static IReadOnlyList<string> Verify(RecordSet produced, IReadOnlyList<ConsumedRecord> consumed, int partitions, (long From, long To)? clientTimeWindow = null)
    {
        var problems = new List<string>();
        var seen = new ConsumedRecord?[produced.Count];
        var lastIndexByPartition = new Dictionary<int, int>();
        var nextOffsetByPartition = new Dictionary<int, long>();
        var partitionByKey = new Dictionary<string, int>(StringComparer.Ordinal);
        int duplicates = 0;
        int foreign = 0;

        foreach (var record in consumed)
        {
            if (record.Partition < 0 || record.Partition >= partitions)
            {
                problems.Add($"record at {record.Partition}/{record.Offset} is on a partition the topic does not have ({partitions})");
                continue;
            }

            long expectedOffset = nextOffsetByPartition.GetValueOrDefault(record.Partition);
            if (record.Offset != expectedOffset)
            {
                problems.Add($"partition {record.Partition}: offset {record.Offset} follows {expectedOffset - 1} (expected contiguous offsets from 0 in consumption order)");
            }

            nextOffsetByPartition[record.Partition] = record.Offset + 1;
            int index = record.Value is null ? -1 : produced.IndexOf(record.Value);
            if (index < 0)
            {
                foreign++;
                problems.Add($"{record.Partition}/{record.Offset}: a value that is none of the produced records ({Hex(record.Value)})");
                continue;
            }

            if (seen[index] is { } earlier)
            {
                duplicates++;
                problems.Add($"record #{index} consumed twice: at {earlier.Partition}/{earlier.Offset} and {record.Partition}/{record.Offset}");
                continue;
            }

            seen[index] = record;
            if (lastIndexByPartition.TryGetValue(record.Partition, out int previous) && previous > index)
            {
                problems.Add($"partition {record.Partition}: record #{index} at offset {record.Offset} comes after record #{previous} (production order lost)");
            }

            lastIndexByPartition[record.Partition] = index;
            CompareRecord(produced.Records[index], record, clientTimeWindow, problems);
            string keyId = Convert.ToHexString(produced.Records[index].Key);
            if (partitionByKey.TryGetValue(keyId, out int keyPartition) && keyPartition != record.Partition)
            {
                problems.Add($"key {keyId} on partition {record.Partition} at offset {record.Offset} but earlier on partition {keyPartition}");
            }

            partitionByKey.TryAdd(keyId, record.Partition);
        }

        int missing = 0;
        for (int i = 0; i < seen.Length; i++)
        {
            if (seen[i] is null)
            {
                missing++;
                if (missing <= 5)
                {
                    problems.Add($"record #{i} was produced but never consumed");
                }
            }
        }

        if (missing > 0 || duplicates > 0 || foreign > 0)
        {
            problems.Insert(0, $"produced {produced.Count}, consumed {consumed.Count}: {missing} missing, {duplicates} duplicates, {foreign} unknown");
        }

        return problems;
    }

    /// <summary>A one-paragraph summary for an assertion message (empty when there is nothing to report).</summary>
    public static string Describe(IReadOnlyList<string> problems)
    {
        if (problems.Count == 0)
        {
            return string.Empty;
        }

        var text = new StringBuilder().Append(problems.Count).Append(" problem(s):\n");
        foreach (string problem in problems.Take(ReportedProblems))
        {
            text.Append("  ").Append(problem).Append('\n');
        }

        if (problems.Count > ReportedProblems)
        {
            text.Append("  …\n");
        }

        return text.ToString();
    }

    private static void CompareRecord(TestRecord expected, ConsumedRecord actual, (long From, long To)? window, List<string> problems)
    {
        string where = $"record #{expected.Index} at {actual.Partition}/{actual.Offset}";
        if (actual.Key is null || !actual.Key.AsSpan().SequenceEqual(expected.Key))
        {
            problems.Add($"{where}: key {Hex(actual.Key)} != produced {Hex(expected.Key)}");
        }

        if (!actual.Value!.AsSpan().SequenceEqual(expected.Value))
        {
            problems.Add($"{where}: value {Hex(actual.Value)} != produced {Hex(expected.Value)}");
        }

        if (!HeadersEqual(expected.Headers, actual.Headers))
        {
            problems.Add($"{where}: headers [{Headers(actual.Headers)}] != produced [{Headers(expected.Headers)}]");
        }

        if (actual.TimestampKind != TimestampKind.CreateTime)
        {
            problems.Add($"{where}: timestamp type {actual.TimestampKind}, expected CreateTime");
        }

        if (expected.Timestamp is { } timestamp)
        {
            if (actual.Timestamp != timestamp)
            {
                problems.Add($"{where}: timestamp {actual.Timestamp} != produced {timestamp}");
            }
        }
        else if (window is { } w && (actual.Timestamp < w.From || actual.Timestamp > w.To))
        {
            problems.Add($"{where}: client-stamped timestamp {actual.Timestamp} outside the produce run [{w.From}, {w.To}]");
        }
    }

    private static bool HeadersEqual(IReadOnlyList<TestHeader> expected, IReadOnlyList<TestHeader> actual)
    {
        if (expected.Count != actual.Count)
        {
            return false;
        }

        for (int i = 0; i < expected.Count; i++)
        {
            if (expected[i].Name != actual[i].Name)
            {
                return false;
            }

            bool equal = expected[i].Value is null
                ? actual[i].Value is null
                : actual[i].Value is { } value && value.AsSpan().SequenceEqual(expected[i].Value);
            if (!equal)
            {
                return false;
            }
        }

        return true;
    }

    private static string Headers(IReadOnlyList<TestHeader> headers) => string.Join(", ", headers.Select(h => $"{h.Name}={Hex(h.Value)}"));

    private static string Hex(byte[]? bytes) => bytes is null ? "null" : bytes.Length <= 24 ? Convert.ToHexString(bytes) : Convert.ToHexString(bytes, 0, 24) + "…";
}
