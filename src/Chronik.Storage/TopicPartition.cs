namespace Chronik.Storage;

/// <summary>A topic partition; its log lives in the directory <c>&lt;topic&gt;-&lt;partition&gt;</c>.</summary>
public readonly record struct TopicPartition(string Topic, int Partition)
{
    /// <summary>Kafka's limit on topic name length (it keeps room for the partition suffix in file names).</summary>
    public const int MaxTopicLength = 249;

    /// <summary>Name of the partition's directory under the logs directory.</summary>
    public string DirectoryName => $"{Topic}-{Partition}";

    public override string ToString() => DirectoryName;

    /// <summary>True when <paramref name="topic"/> is a legal Kafka topic name: 1..249 of [a-zA-Z0-9._-], not "." or "..".</summary>
    public static bool IsValidTopicName(string? topic)
    {
        if (string.IsNullOrEmpty(topic) || topic.Length > MaxTopicLength || topic is "." or "..")
        {
            return false;
        }

        foreach (char c in topic)
        {
            bool legal = c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '.' or '_' or '-';
            if (!legal)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Parses a partition directory name. Topic names may contain '-', so the partition is the text after the last one.
    /// </summary>
    public static bool TryParseDirectoryName(string name, out TopicPartition topicPartition)
    {
        topicPartition = default;
        int dash = name.LastIndexOf('-');
        if (dash <= 0 || dash == name.Length - 1)
        {
            return false;
        }

        string topic = name[..dash];
        if (!IsValidTopicName(topic) || !int.TryParse(name.AsSpan(dash + 1), System.Globalization.NumberStyles.None, null, out int partition))
        {
            return false;
        }

        topicPartition = new TopicPartition(topic, partition);
        return true;
    }
}
