using Chronik.Cluster.Chaos.Checking;
using Chronik.Protocol.Records;

namespace Chronik.Cluster.Chaos.Workload;

/// <summary>
/// Reads one node's copy of a topic straight from its data directory (logs/&lt;topic&gt;-&lt;partition&gt;/
/// *.log, segments named by base offset), after the node stopped: what that replica really holds,
/// including anything a client could never fetch from it as a follower.
/// </summary>
public static class ReplicaFiles
{
    /// <summary>Every record of every partition of <paramref name="topic"/> in this node's logs, in offset order per partition.</summary>
    /// <exception cref="RecordDecodeException">A segment holds a corrupt batch.</exception>
    public static IReadOnlyList<LogRecord> ReadTopic(string dataDirectory, string topic, int partitions)
    {
        var records = new List<LogRecord>();
        for (int partition = 0; partition < partitions; partition++)
        {
            string directory = Path.Combine(dataDirectory, "logs", $"{topic}-{partition}");
            if (!Directory.Exists(directory))
            {
                continue;
            }

            // Zero-padded base offsets: name order is offset order.
            foreach (string segment in Directory.EnumerateFiles(directory, "*.log").Order(StringComparer.Ordinal))
            {
                foreach (DecodedRecordBatch batch in RecordBatchDecoder.DecodeAll(File.ReadAllBytes(segment)))
                {
                    if (batch.IsControl)
                    {
                        continue;
                    }

                    foreach (DecodedRecord record in batch.Records)
                    {
                        records.Add(new LogRecord(partition, record.Offset, record.Value ?? []));
                    }
                }
            }
        }

        return records;
    }
}
