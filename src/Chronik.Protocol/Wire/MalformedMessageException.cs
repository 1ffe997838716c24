namespace Chronik.Protocol.Wire;

/// <summary>
/// The bytes do not form a valid message of the expected type and version: truncated input, a
/// length that points past the end, an over-long varint, null where the version forbids it.
/// The only exception <see cref="KafkaReader"/> and the generated Read methods throw for bad input;
/// the broker maps it to Kafka's CORRUPT_MESSAGE / INVALID_REQUEST handling.
/// </summary>
public sealed class MalformedMessageException : Exception
{
    public MalformedMessageException()
    {
    }

    public MalformedMessageException(string message)
        : base(message)
    {
    }

    public MalformedMessageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
