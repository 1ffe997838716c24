using System.Buffers.Binary;
using Chronik.Protocol.Records;

namespace Chronik.Compat.Harness;

/// <summary>
/// Reads the batch headers of a topic's segment files straight from the broker's data directory
/// (logs/&lt;topic&gt;-&lt;partition&gt;/*.log, Kafka's layout) to prove which codec and magic a
/// client really used: a client that silently skipped compression would otherwise still round-trip.
/// </summary>
public static class SegmentScan
{
    /// <summary>Batches and records per (magic, compression) over every partition of <paramref name="topic"/>.</summary>
    public static Dictionary<(byte Magic, CompressionType Compression), (int Batches, long Records)> BatchFormats(string dataDirectory, string topic)
    {
        var counts = new Dictionary<(byte, CompressionType), (int, long)>();
        string logs = Path.Combine(dataDirectory, "logs");
        foreach (string partitionDirectory in Directory.EnumerateDirectories(logs, topic + "-*"))
        {
            string suffix = Path.GetFileName(partitionDirectory)[(topic.Length + 1)..];
            if (!int.TryParse(suffix, out _))
            {
                continue;
            }

            foreach (string segment in Directory.EnumerateFiles(partitionDirectory, "*.log"))
            {
                ScanSegment(segment, counts);
            }
        }

        return counts;
    }

    private static void ScanSegment(string path, Dictionary<(byte, CompressionType), (int Batches, long Records)> counts)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var header = new byte[RecordBatchHeader.Size];
        long position = 0;
        while (position + RecordBatchHeader.Size <= file.Length)
        {
            file.Position = position;
            file.ReadExactly(header);
            int batchLength = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(RecordBatchHeader.BatchLengthOffset));
            if (batchLength <= 0)
            {
                // Preallocated or torn tail: no batch here.
                break;
            }

            byte magic = RecordBatchHeader.Magic(header);
            var compression = magic >= 2 ? RecordBatchHeader.Compression(header) : (CompressionType)(header[RecordBatchHeader.MagicOffset + 1] & 0x07);
            // A legacy (v0/v1) entry's record count is not in its header; count it as one.
            int records = magic >= 2 ? BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(RecordBatchHeader.RecordCountOffset)) : 1;
            var key = (magic, compression);
            var (batches, total) = counts.GetValueOrDefault(key);
            counts[key] = (batches + 1, total + records);
            position += RecordBatchHeader.LogOverhead + batchLength;
        }
    }
}
