using Chronik.Protocol.Wire;

namespace Chronik.Protocol.Messages;

/// <summary>
/// A message generated from one of Kafka's JSON specs: a request, a response, a header or a data
/// type. Write it by calling <see cref="Size"/>, renting exactly that many bytes and calling
/// <see cref="Write"/> once; read it with <see cref="Read"/> on a freshly constructed instance
/// (fields the version lacks keep their defaults).
/// </summary>
public interface IApiMessage
{
    /// <summary>The API key, or -1 for headers and data types.</summary>
    short ApiKey { get; }

    short LowestSupportedVersion { get; }

    short HighestSupportedVersion { get; }

    /// <summary>Tagged fields read but not known to this code; written back on <see cref="Write"/>.</summary>
    List<TaggedField> UnknownTaggedFields { get; set; }

    /// <summary>Reads the message; throws <see cref="MalformedMessageException"/> on bad input.</summary>
    void Read(ref KafkaReader reader, short version);

    /// <summary>
    /// Writes exactly <see cref="Size"/> bytes. Throws <see cref="UnsupportedVersionException"/> when
    /// the version cannot carry a non-default, non-ignorable field, and
    /// <see cref="InvalidOperationException"/> for null where the version does not allow it.
    /// </summary>
    void Write(ref KafkaWriter writer, short version);

    /// <summary>The number of bytes <see cref="Write"/> writes at <paramref name="version"/>.</summary>
    int Size(short version);
}

/// <summary>A request body (what follows the request header).</summary>
public interface IApiRequest : IApiMessage
{
}

/// <summary>A response body (what follows the response header).</summary>
public interface IApiResponse : IApiMessage
{
}
