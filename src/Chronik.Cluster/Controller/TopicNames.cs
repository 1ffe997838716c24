using Chronik.Cluster.Metadata;
using Chronik.Protocol.Wire;

namespace Chronik.Cluster.Controller;

/// <summary>Kafka's topic name rules (org.apache.kafka.common.internals.Topic).</summary>
public static class TopicNames
{
    public const int MaxLength = 249;

    /// <summary>None, or InvalidTopicException with Kafka's message.</summary>
    public static ApiError Validate(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return new ApiError(ErrorCode.InvalidTopicException, "Topic name is illegal, it can't be empty");
        }

        if (name is "." or "..")
        {
            return new ApiError(ErrorCode.InvalidTopicException, "Topic name cannot be \".\" or \"..\"");
        }

        if (name.Length > MaxLength)
        {
            return new ApiError(ErrorCode.InvalidTopicException, $"Topic name is illegal, it can't be longer than {MaxLength} characters, topic name: {name}");
        }

        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return new ApiError(ErrorCode.InvalidTopicException, $"Topic name \"{name}\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'");
            }
        }

        return ApiError.None;
    }

    /// <summary>
    /// Two names collide when they are equal once '.' is replaced by '_' (metric names cannot tell
    /// them apart); Kafka refuses to create a topic that collides with an existing one.
    /// </summary>
    public static bool Collide(string a, string b) =>
        a.Length == b.Length && string.Equals(a.Replace('.', '_'), b.Replace('.', '_'), StringComparison.Ordinal);

    /// <summary>The existing topic <paramref name="name"/> collides with (least name first, for a deterministic message), or null.</summary>
    public static string? FindCollision(MetadataImage image, string name)
    {
        if (name.IndexOfAny(['.', '_']) < 0)
        {
            return null;
        }

        foreach (string existing in image.TopicIdsByName.Keys)
        {
            if (existing != name && Collide(existing, name))
            {
                return existing;
            }
        }

        return null;
    }

    /// <summary>Internal topics (leading "__") such as __consumer_offsets.</summary>
    public static bool IsInternal(string name) => name.StartsWith("__", StringComparison.Ordinal);
}
