using System.Buffers.Text;

namespace Chronik.Broker.Partitions;

/// <summary>
/// Kafka's partition.metadata file (KIP-516) in a partition directory: the topic id the log belongs to, so a
/// log left behind by a deleted topic is never taken for a new topic of the same name.
/// Format: "version: 0\ntopic_id: &lt;Kafka Uuid, 22 characters of URL-safe base64&gt;\n".
/// </summary>
internal static class PartitionMetadataFile
{
    public const string FileName = "partition.metadata";

    /// <summary>The topic id recorded in <paramref name="partitionDirectory"/>, or null when absent or unreadable.</summary>
    public static Guid? Read(string partitionDirectory)
    {
        string path = Path.Combine(partitionDirectory, FileName);
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        if (lines.Length < 2 || lines[0].Trim() != "version: 0" || !lines[1].StartsWith("topic_id:", StringComparison.Ordinal))
        {
            return null;
        }

        return TryParseUuid(lines[1]["topic_id:".Length..].Trim(), out Guid id) ? id : null;
    }

    /// <summary>Writes the file (through a temporary file and a rename, so a crash leaves the old one or the new one).</summary>
    public static void Write(string partitionDirectory, Guid topicId)
    {
        string path = Path.Combine(partitionDirectory, FileName);
        string temporary = path + ".tmp";
        File.WriteAllText(temporary, $"version: 0\ntopic_id: {Cluster.Metadata.ClusterIds.FromGuid(topicId)}\n");
        File.Move(temporary, path, overwrite: true);
    }

    private static bool TryParseUuid(string text, out Guid id)
    {
        id = Guid.Empty;
        Span<byte> bytes = stackalloc byte[18];
        if (text.Length != 22 || Base64Url.DecodeFromChars(text, bytes, out int consumed, out int written) != System.Buffers.OperationStatus.Done
            || consumed != 22 || written != 16)
        {
            return false;
        }

        id = new Guid(bytes[..16], bigEndian: true);
        return true;
    }
}
