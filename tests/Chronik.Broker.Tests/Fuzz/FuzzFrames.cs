using System.Buffers.Binary;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Tests.Fuzz;

/// <summary>Request frames for the fuzz tests: valid ones, and every kind of broken one, from a seeded Random.</summary>
public static class FuzzFrames
{
    /// <summary>Kafka's default socket.request.max.bytes (100 MiB), which chronik-server applies.</summary>
    public const int SocketRequestMaxBytes = 104_857_600;

    /// <summary>A complete frame: 4-byte size, request header for <paramref name="apiKey"/> v<paramref name="apiVersion"/>, then <paramref name="body"/>.</summary>
    public static byte[] Frame(short apiKey, short apiVersion, int correlationId, ReadOnlySpan<byte> body)
    {
        short headerVersion = ApiMessageTypes.TryGet(apiKey, out var type) && type.IsVersionSupported(apiVersion) ? type.RequestHeaderVersion(apiVersion) : (short)1;
        var header = new RequestHeader { RequestApiKey = apiKey, RequestApiVersion = apiVersion, CorrelationId = correlationId, ClientId = "chronik-fuzz" };
        int headerSize = header.Size(headerVersion);
        var frame = new byte[4 + headerSize + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, frame.Length - 4);
        var writer = new KafkaWriter(frame.AsSpan(4, headerSize));
        header.Write(ref writer, headerVersion);
        body.CopyTo(frame.AsSpan(4 + headerSize));
        return frame;
    }

    /// <summary>A well-formed request message as a frame.</summary>
    public static byte[] Request(IApiRequest request, short apiVersion, int correlationId) =>
        Frame(request.ApiKey, apiVersion, correlationId, request.ToBytes(apiVersion));

    public static byte[] ApiVersions(int correlationId, short version = 3) =>
        Request(new ApiVersionsRequest { ClientSoftwareName = "chronik-fuzz", ClientSoftwareVersion = "1.0" }, version, correlationId);

    /// <summary>Metadata for all topics, without auto-creation.</summary>
    public static byte[] Metadata(int correlationId, short version = 12) =>
        Request(new MetadataRequest { Topics = null, AllowAutoTopicCreation = false }, version, correlationId);

    /// <summary>Bytes with no framing at all: the first four become whatever size they spell.</summary>
    public static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(1, 300)];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>A valid frame cut short at a random point (the rest never comes).</summary>
    public static byte[] Truncated(Random random, int correlationId)
    {
        byte[] whole = random.Next(2) == 0 ? ApiVersions(correlationId) : Metadata(correlationId);
        return whole[..random.Next(1, whole.Length)];
    }

    /// <summary>Size prefixes no request may have: negative, below a header's size, over socket.request.max.bytes, 2 GiB.</summary>
    public static int AbsurdSize(Random random) => random.Next(8) switch
    {
        0 => -1,
        1 => int.MinValue,
        2 => -random.Next(2, int.MaxValue),
        3 => 0,
        4 => random.Next(1, 4),
        5 => SocketRequestMaxBytes + 1,
        6 => random.Next(SocketRequestMaxBytes + 1, int.MaxValue),
        _ => int.MaxValue,
    };

    /// <summary>
    /// A size prefix from <see cref="AbsurdSize"/> followed by a few random bytes; a positive size below a
    /// header's gets at least that many, so the frame is complete (waiting for the rest would be right).
    /// </summary>
    public static byte[] AbsurdSizeFrame(Random random, int size)
    {
        int minimumTail = size is > 0 and < 8 ? size : 0;
        var frame = new byte[4 + random.Next(minimumTail, 64)];
        BinaryPrimitives.WriteInt32BigEndian(frame, size);
        random.NextBytes(frame.AsSpan(4));
        return frame;
    }

    /// <summary>An api key no spec defines: negative, just past the last one, or anywhere up to short.MaxValue.</summary>
    public static short UnknownApiKey(Random random)
    {
        short firstUnknown = (short)(ApiMessageTypes.All.Max(t => (short)t.ApiKey) + 1);
        return random.Next(3) switch
        {
            0 => (short)-random.Next(1, short.MaxValue),
            1 => firstUnknown,
            _ => (short)random.Next(firstUnknown, short.MaxValue + 1),
        };
    }

    /// <summary>A valid header of a random known api and version (sometimes one outside its range), then 0–512 random body bytes.</summary>
    public static byte[] GarbageBody(Random random, int correlationId, ApiMessageType type)
    {
        short version = random.Next(10) == 0
            ? (short)random.Next(type.HighestSupportedVersion + 1, short.MaxValue)
            : (short)random.Next(type.LowestSupportedVersion, type.HighestSupportedVersion + 1);
        var body = new byte[random.Next(0, 513)];
        random.NextBytes(body);
        return Frame((short)type.ApiKey, version, correlationId, body);
    }

    /// <summary>A valid ApiVersions or Metadata request with 1–4 bytes after the size prefix overwritten.</summary>
    public static byte[] Mutated(Random random, int correlationId)
    {
        byte[] frame = random.Next(2) == 0 ? ApiVersions(correlationId) : Metadata(correlationId);
        for (int flips = random.Next(1, 5); flips > 0; flips--)
        {
            frame[random.Next(4, frame.Length)] = (byte)random.Next(256);
        }

        return frame;
    }
}
