using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;
using Chronik.Testing;

namespace Chronik.Protocol.Tests.Golden;

/// <summary>A request frame as a client sent it (after the 4-byte size), with its decoded header.</summary>
internal sealed record CapturedRequest(byte[] Frame, ApiKey ApiKey, short ApiVersion, RequestHeader Header);

/// <summary>
/// Just enough of a broker on 127.0.0.1 for a real client to produce one record: it records every
/// request frame and answers ApiVersions, Metadata (itself as broker 0, leader of every topic's
/// partition 0) and Produce with our generated response types. Anything else closes the connection.
/// Every response is written once into a buffer sized by Size, as the broker does.
/// </summary>
internal sealed class RecordingBroker : IAsyncDisposable
{
    /// <summary>Metadata is capped so clients send the v12 request the golden fixture holds.</summary>
    public const short MetadataMaxVersion = 12;

    /// <summary>
    /// Fetch and FindCoordinator are advertised but never served: librdkafka derives features from
    /// the advertised APIs. Without Fetch v4+ it falls back from record batch v2 to message sets
    /// v0/v1; without FindCoordinator it assumes a pre-0.8.2 broker and does not use lz4.
    /// </summary>
    private static readonly ApiKey[] Advertised = [ApiKey.ApiVersions, ApiKey.Metadata, ApiKey.Produce, ApiKey.Fetch, ApiKey.FindCoordinator];

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<CapturedRequest> _requests = new();
    private readonly ConcurrentBag<TcpClient> _clients = [];
    private readonly Task _acceptLoop;
    private readonly Guid _topicId = Guid.Parse("6a1c3e1d-3b2f-4c55-9d7e-0123456789ab");

    public RecordingBroker()
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = AcceptAsync();
    }

    public int Port { get; }

    public string Bootstrap => Loopback.Address(Port);

    public IReadOnlyList<CapturedRequest> Requests => _requests.ToArray();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        foreach (TcpClient client in _clients)
        {
            client.Dispose();
        }

        try
        {
            await _acceptLoop;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        var connections = new List<Task>();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _clients.Add(client);
                connections.Add(ServeAsync(client));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        await Task.WhenAll(connections);
    }

    private async Task ServeAsync(TcpClient client)
    {
        try
        {
            NetworkStream stream = client.GetStream();
            var sizeBuffer = new byte[4];
            while (!_stop.IsCancellationRequested)
            {
                await stream.ReadExactlyAsync(sizeBuffer, _stop.Token);
                int size = BinaryPrimitives.ReadInt32BigEndian(sizeBuffer);
                if (size is <= 0 or > 16 * 1024 * 1024)
                {
                    return;
                }

                var frame = new byte[size];
                await stream.ReadExactlyAsync(frame, _stop.Token);
                byte[]? response = Handle(frame);
                if (response is null)
                {
                    return;
                }

                await stream.WriteAsync(response, _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException or EndOfStreamException)
        {
        }
        finally
        {
            client.Dispose();
        }
    }

    private byte[]? Handle(byte[] frame)
    {
        var reader = new KafkaReader(frame);
        RequestHeader header = RequestHeader.ReadFrom(ref reader, out _);
        var apiKey = (ApiKey)header.RequestApiKey;
        short version = header.RequestApiVersion;
        _requests.Enqueue(new CapturedRequest(frame, apiKey, version, header));

        IApiResponse? body = apiKey switch
        {
            ApiKey.ApiVersions => ApiVersions(ref version),
            ApiKey.Metadata => Metadata(ReadBody<MetadataRequest>(ref reader, version)),
            ApiKey.Produce => Produce(ReadBody<ProduceRequest>(ref reader, version)),
            _ => null,
        };
        return body is null ? null : Frame(header.CorrelationId, apiKey, version, body);
    }

    private static T ReadBody<T>(ref KafkaReader reader, short version)
        where T : IApiRequest, new()
    {
        var body = new T();
        body.Read(ref reader, version);
        return body;
    }

    private static ApiVersionsResponse ApiVersions(ref short version)
    {
        var response = new ApiVersionsResponse();
        if (version > ApiVersionsResponse.HighestSupportedVersion)
        {
            // KIP-511: an unknown ApiVersions version is answered at v0 with UNSUPPORTED_VERSION.
            version = 0;
            response.ErrorCode = (short)ErrorCode.UnsupportedVersion;
        }

        foreach (ApiKey key in Advertised)
        {
            ApiMessageType type = ApiMessageTypes.Get(key);
            response.ApiKeys.Add(new ApiVersionsResponse.ApiVersion
            {
                ApiKey = (short)key,
                MinVersion = type.LowestSupportedVersion,
                MaxVersion = key == ApiKey.Metadata ? MetadataMaxVersion : type.HighestSupportedVersion,
            });
        }

        return response;
    }

    private MetadataResponse Metadata(MetadataRequest request)
    {
        var response = new MetadataResponse
        {
            ClusterId = "chronik-golden",
            ControllerId = 0,
            Brokers = [new MetadataResponse.MetadataResponseBroker { NodeId = 0, Host = Loopback.Host, Port = Port }],
        };
        foreach (MetadataRequest.MetadataRequestTopic topic in request.Topics ?? [])
        {
            response.Topics.Add(new MetadataResponse.MetadataResponseTopic
            {
                Name = topic.Name,
                TopicId = _topicId,
                Partitions =
                [
                    new MetadataResponse.MetadataResponsePartition
                    {
                        PartitionIndex = 0,
                        LeaderId = 0,
                        LeaderEpoch = 0,
                        ReplicaNodes = [0],
                        IsrNodes = [0],
                    },
                ],
            });
        }

        return response;
    }

    private static ProduceResponse Produce(ProduceRequest request)
    {
        var response = new ProduceResponse();
        foreach (ProduceRequest.TopicProduceData topic in request.TopicData)
        {
            var topicResponse = new ProduceResponse.TopicProduceResponse { Name = topic.Name };
            foreach (ProduceRequest.PartitionProduceData partition in topic.PartitionData)
            {
                topicResponse.PartitionResponses.Add(new ProduceResponse.PartitionProduceResponse
                {
                    Index = partition.Index,
                    BaseOffset = 0,
                    LogStartOffset = 0,
                });
            }

            response.Responses.Add(topicResponse);
        }

        return response;
    }

    private static byte[] Frame(int correlationId, ApiKey apiKey, short version, IApiResponse body)
    {
        short headerVersion = ApiMessageTypes.Get(apiKey).ResponseHeaderVersion(version);
        var header = new ResponseHeader { CorrelationId = correlationId };
        int size = header.Size(headerVersion) + body.Size(version);
        var frame = new byte[4 + size];
        BinaryPrimitives.WriteInt32BigEndian(frame, size);
        var writer = new KafkaWriter(frame.AsSpan(4));
        header.Write(ref writer, headerVersion);
        body.Write(ref writer, version);
        return frame;
    }
}
