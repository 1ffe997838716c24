using System.Buffers.Binary;

namespace Chronik.Broker.Tests.Network;

/// <summary>What <see cref="ScriptedProcessor"/> does with a request.</summary>
public enum TestCommand : byte
{
    /// <summary>Answer at once with correlation id + payload.</summary>
    Echo = 0,

    /// <summary>Answer once the test releases the request's gate (out-of-order completion).</summary>
    EchoWhenReleased = 1,

    /// <summary>No response (like acks=0).</summary>
    NoResponse = 2,

    /// <summary>Ask the connection to close.</summary>
    Close = 3,

    /// <summary>Throw from the synchronous part.</summary>
    Throw = 4,

    /// <summary>Answer, then close.</summary>
    EchoThenClose = 5,
}

/// <summary>
/// The test wire format: a Kafka-shaped header (api key, api version, correlation id) followed by a
/// command byte and an opaque payload; the response is correlation id + payload.
/// </summary>
public static class TestFrames
{
    public const short ApiVersionsKey = 18;

    public static byte[] Request(int correlationId, TestCommand command = TestCommand.Echo, byte[]? payload = null, short apiKey = ApiVersionsKey)
    {
        payload ??= [];
        var frame = new byte[4 + 9 + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, frame.Length - 4);
        BinaryPrimitives.WriteInt16BigEndian(frame.AsSpan(4), apiKey);
        BinaryPrimitives.WriteInt16BigEndian(frame.AsSpan(6), 3);
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(8), correlationId);
        frame[12] = (byte)command;
        payload.CopyTo(frame.AsSpan(13));
        return frame;
    }

    public static byte[] Concat(IEnumerable<byte[]> frames) => frames.SelectMany(f => f).ToArray();

    public static int CorrelationIdOf(byte[] response) => BinaryPrimitives.ReadInt32BigEndian(response);
}
