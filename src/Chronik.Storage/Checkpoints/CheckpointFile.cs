using System.Globalization;
using System.Text;
using Chronik.Storage.Files;

namespace Chronik.Storage.Checkpoints;

/// <summary>
/// Kafka's checkpoint text format: a version line, a count line, then one entry per line. Written atomically:
/// a temporary file is written and fsynced, renamed over the old one, and the directory is fsynced, so a crash
/// leaves either the old or the new file. A file that does not parse reads as absent (recovery then does more
/// work, never less).
/// </summary>
internal static class CheckpointFile
{
    public const int Version = 0;

    public static void Write(string path, IReadOnlyCollection<string> entries)
    {
        var text = new StringBuilder();
        text.Append(Version.ToString(CultureInfo.InvariantCulture)).Append('\n');
        text.Append(entries.Count.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (string entry in entries)
        {
            text.Append(entry).Append('\n');
        }

        string temp = path + ".tmp";
        byte[] bytes = Encoding.UTF8.GetBytes(text.ToString());
        using (var handle = File.OpenHandle(temp, FileMode.Create, FileAccess.Write))
        {
            RandomAccess.Write(handle, bytes, 0);
            FileSync.DataSync(handle);
        }

        File.Move(temp, path, overwrite: true);
        FileSync.SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>The entry lines, or null when the file is missing or malformed.</summary>
    public static List<string>? TryRead(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }

        if (lines.Length < 2 ||
            !int.TryParse(lines[0], NumberStyles.None, CultureInfo.InvariantCulture, out int version) || version != Version ||
            !int.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count != lines.Length - 2)
        {
            return null;
        }

        return lines.Skip(2).ToList();
    }
}

/// <summary>
/// A per-log-directory offset checkpoint ("topic partition offset" lines): recovery-point-offset-checkpoint,
/// replication-offset-checkpoint (high watermarks), log-start-offset-checkpoint, cleaner-offset-checkpoint.
/// </summary>
internal static class OffsetCheckpointFile
{
    public static void Write(string path, IEnumerable<KeyValuePair<TopicPartition, long>> offsets)
    {
        var lines = new List<string>();
        foreach (var (tp, offset) in offsets)
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"{tp.Topic} {tp.Partition} {offset}"));
        }

        CheckpointFile.Write(path, lines);
    }

    public static Dictionary<TopicPartition, long> Read(string path)
    {
        var result = new Dictionary<TopicPartition, long>();
        var lines = CheckpointFile.TryRead(path);
        if (lines is null)
        {
            return result;
        }

        foreach (string line in lines)
        {
            string[] parts = line.Split(' ');
            if (parts.Length == 3 &&
                TopicPartition.IsValidTopicName(parts[0]) &&
                int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int partition) &&
                long.TryParse(parts[2], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long offset))
            {
                result[new TopicPartition(parts[0], partition)] = offset;
            }
            else
            {
                return [];
            }
        }

        return result;
    }
}
