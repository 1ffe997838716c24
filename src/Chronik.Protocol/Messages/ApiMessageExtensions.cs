using Chronik.Protocol.Wire;

namespace Chronik.Protocol.Messages;

/// <summary>Convenience encoding and decoding for tests and code off the hot path (they allocate).</summary>
public static class ApiMessageExtensions
{
    /// <summary>The message encoded at <paramref name="version"/> into a new array of exactly its size.</summary>
    public static byte[] ToBytes(this IApiMessage message, short version)
    {
        var bytes = new byte[message.Size(version)];
        var writer = new KafkaWriter(bytes);
        message.Write(ref writer, version);
        if (writer.Position != bytes.Length)
        {
            throw new InvalidOperationException($"{message.GetType().Name} v{version} wrote {writer.Position} bytes but sized {bytes.Length}");
        }

        return bytes;
    }

    /// <summary>Reads <paramref name="message"/> from the whole of <paramref name="data"/>; trailing bytes are malformed.</summary>
    public static T ReadFrom<T>(this T message, ReadOnlyMemory<byte> data, short version)
        where T : IApiMessage
    {
        var reader = new KafkaReader(data);
        message.Read(ref reader, version);
        if (reader.Remaining != 0)
        {
            throw new MalformedMessageException($"{reader.Remaining} bytes left after {typeof(T).Name} v{version}");
        }

        return message;
    }
}
