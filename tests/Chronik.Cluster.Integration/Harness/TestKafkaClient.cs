using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Cluster.Integration.Harness;

/// <summary>
/// A minimal Kafka client for sending one API to one node, as a plain client would (it introduces
/// itself with its own KIP-511 name, not as a broker): requests go exactly where the test says, which
/// client libraries do not allow (they send CreateTopics to the controller they learned from Metadata).
/// One request at a time; versions are the caller's choice.
/// </summary>
public sealed class TestKafkaClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private int _correlationId;

    private TestKafkaClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    public static async Task<TestKafkaClient> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(IPAddress.Loopback, port);
        var client = new TestKafkaClient(socket);
        await client.SendAsync<ApiVersionsResponse>(new ApiVersionsRequest { ClientSoftwareName = "chronik-integration-test", ClientSoftwareVersion = "1" }, 3);
        return client;
    }

    /// <summary>One request/response exchange; throws on a closed connection or after <paramref name="timeout"/> (60 s).</summary>
    public async Task<TResponse> SendAsync<TResponse>(IApiRequest request, short version, TimeSpan? timeout = null)
        where TResponse : IApiResponse, new()
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        var apiKey = (ApiKey)request.ApiKey;
        short headerVersion = ApiMessageTypes.RequestHeaderVersion(apiKey, version);
        var header = new RequestHeader { RequestApiKey = request.ApiKey, RequestApiVersion = version, CorrelationId = ++_correlationId, ClientId = "integration-test" };
        int size = header.Size(headerVersion) + request.Size(version);
        byte[] frame = new byte[size + 4];
        BinaryPrimitives.WriteInt32BigEndian(frame, size);
        var writer = new KafkaWriter(frame.AsSpan(4));
        header.Write(ref writer, headerVersion);
        request.Write(ref writer, version);
        await _stream.WriteAsync(frame, cts.Token);

        byte[] prefix = new byte[4];
        await _stream.ReadExactlyAsync(prefix, cts.Token);
        byte[] body = new byte[BinaryPrimitives.ReadInt32BigEndian(prefix)];
        await _stream.ReadExactlyAsync(body, cts.Token);
        var reader = new KafkaReader(body);
        var responseHeader = new ResponseHeader();
        responseHeader.Read(ref reader, ApiMessageTypes.ResponseHeaderVersion(apiKey, version));
        Assert.Equal(_correlationId, responseHeader.CorrelationId);
        var response = new TResponse();
        response.ReadFrom(body.AsMemory(reader.Position), version);
        return response;
    }

    public async ValueTask DisposeAsync() => await _stream.DisposeAsync();

    /// <summary>Metadata of every topic, as this node answers it.</summary>
    public static async Task<MetadataSnapshot> MetadataAsync(int port)
    {
        await using TestKafkaClient client = await ConnectAsync(port);
        MetadataResponse response = await client.SendAsync<MetadataResponse>(new MetadataRequest { Topics = null, AllowAutoTopicCreation = false }, 12);
        return MetadataSnapshot.From(response);
    }
}
