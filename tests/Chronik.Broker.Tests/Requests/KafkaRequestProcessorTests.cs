using System.Buffers.Binary;
using System.Net;
using Chronik.Broker.Handlers;
using Chronik.Broker.Network;
using Chronik.Broker.Requests;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;
using Microsoft.Extensions.Logging.Abstractions;

namespace Chronik.Broker.Tests.Requests;

public class KafkaRequestProcessorTests
{
    private static readonly KafkaConnectionContext Connection =
        new(1, "PLAINTEXT", new IPEndPoint(IPAddress.Loopback, 9092), new IPEndPoint(IPAddress.Loopback, 50000));

    [Fact]
    public async Task An_unknown_api_key_closes_the_connection()
    {
        var processor = Processor(new ReadinessGate());
        KafkaResponse response = await processor.ProcessAsync(Connection, Frame(apiKey: 999, version: 0, correlationId: 1, []), CancellationToken.None);
        Assert.True(response.CloseAfter);
        Assert.Null(response.Body);
    }

    [Fact]
    public async Task An_unsupported_version_of_an_api_closes_the_connection()
    {
        var gate = new ReadinessGate();
        gate.Open();
        var processor = Processor(gate, new RecordingHandler(ApiKey.Metadata, maxVersion: 5));
        KafkaResponse response = await processor.ProcessAsync(Connection, Request(ApiKey.Metadata, 6, 7, new MetadataRequest()), CancellationToken.None);
        Assert.True(response.CloseAfter);
    }

    [Fact]
    public async Task A_too_new_ApiVersions_request_gets_the_v0_answer_with_UNSUPPORTED_VERSION()
    {
        var processor = Processor(new ReadinessGate());
        KafkaResponse response = await processor.ProcessAsync(Connection, Frame((short)ApiKey.ApiVersions, 99, 42, []), CancellationToken.None);

        Assert.False(response.CloseAfter);
        using ResponseBuffer body = response.Body!;
        // Response header v0: the correlation id only; then the v0 body.
        Assert.Equal(42, BinaryPrimitives.ReadInt32BigEndian(body.WrittenSpan));
        var answer = ApiVersionsResponse.FromBytes(body.WrittenMemory[4..], 0);
        Assert.Equal((short)ErrorCode.UnsupportedVersion, answer.ErrorCode);
        var only = Assert.Single(answer.ApiKeys);
        Assert.Equal((short)ApiKey.ApiVersions, only.ApiKey);
        Assert.Equal(4, only.MaxVersion);
    }

    [Fact]
    public async Task A_malformed_body_closes_the_connection()
    {
        var gate = new ReadinessGate();
        gate.Open();
        var processor = Processor(gate, new RecordingHandler(ApiKey.Metadata, maxVersion: 12));
        byte[] valid = Request(ApiKey.Metadata, 12, 3, new MetadataRequest { Topics = [new() { Name = "t" }] }).Memory.ToArray();
        var truncated = new KafkaRequestFrame(valid, valid.Length - 3);
        KafkaResponse response = await processor.ProcessAsync(Connection, truncated, CancellationToken.None);
        Assert.True(response.CloseAfter);
    }

    [Fact]
    public async Task A_handler_that_throws_closes_the_connection_instead_of_crashing()
    {
        var gate = new ReadinessGate();
        gate.Open();
        var processor = Processor(gate, new RecordingHandler(ApiKey.Metadata, maxVersion: 12) { Throw = true });
        KafkaResponse response = await processor.ProcessAsync(Connection, Request(ApiKey.Metadata, 12, 3, new MetadataRequest()), CancellationToken.None);
        Assert.True(response.CloseAfter);
    }

    [Fact]
    public async Task A_handler_asking_to_close_without_a_response_closes_after_it()
    {
        var gate = new ReadinessGate();
        gate.Open();
        var processor = Processor(gate, new RecordingHandler(ApiKey.Metadata, maxVersion: 12) { CloseWithoutResponse = true });
        KafkaResponse response = await processor.ProcessAsync(Connection, Request(ApiKey.Metadata, 12, 3, new MetadataRequest()), CancellationToken.None);
        Assert.True(response.CloseAfter);
        Assert.Null(response.Body);
    }

    [Fact]
    public async Task Until_the_broker_is_ready_requests_wait_and_then_run_in_their_connection_order()
    {
        var gate = new ReadinessGate();
        var handler = new RecordingHandler(ApiKey.Metadata, maxVersion: 12);
        var processor = Processor(gate, handler);
        var connection = new KafkaConnectionContext(2, "PLAINTEXT", null, null);

        var pending = new List<ValueTask<KafkaResponse>>();
        for (int i = 0; i < 20; i++)
        {
            pending.Add(processor.ProcessAsync(connection, Request(ApiKey.Metadata, 12, i, new MetadataRequest()), CancellationToken.None));
        }

        Assert.Empty(handler.Seen);
        gate.Open();
        foreach (ValueTask<KafkaResponse> p in pending)
        {
            (await p).Body!.Dispose();
        }

        Assert.Equal(Enumerable.Range(0, 20), handler.Seen);

        // Once the gate is open and nothing waits, requests run at once, in the caller's call.
        ValueTask<KafkaResponse> immediate = processor.ProcessAsync(connection, Request(ApiKey.Metadata, 12, 99, new MetadataRequest()), CancellationToken.None);
        Assert.True(immediate.IsCompletedSuccessfully);
        (await immediate).Body!.Dispose();
    }

    [Fact]
    public async Task ApiVersions_is_answered_before_the_broker_is_ready()
    {
        var processor = Processor(new ReadinessGate());
        KafkaResponse response = await processor.ProcessAsync(Connection, Request(ApiKey.ApiVersions, 3, 5, new ApiVersionsRequest { ClientSoftwareName = "t", ClientSoftwareVersion = "1" }), CancellationToken.None);
        using ResponseBuffer body = response.Body!;
        var answer = ApiVersionsResponse.FromBytes(body.WrittenMemory[4..], 3);
        Assert.Equal(0, answer.ErrorCode);
        Assert.Contains(answer.ApiKeys, k => k.ApiKey == (short)ApiKey.ApiVersions);
    }

    private static KafkaRequestProcessor Processor(ReadinessGate gate, params IApiHandler[] handlers)
    {
        ApiHandlerRegistry? registry = null;
        var all = new List<IApiHandler> { new ApiVersionsHandler(() => registry!) };
        all.AddRange(handlers);
        registry = new ApiHandlerRegistry(all);
        return new KafkaRequestProcessor(registry, gate, NullLogger<KafkaRequestProcessor>.Instance);
    }

    private static KafkaRequestFrame Request(ApiKey apiKey, short version, int correlationId, IApiRequest body)
    {
        short headerVersion = ApiMessageTypes.RequestHeaderVersion(apiKey, version);
        var header = new RequestHeader { RequestApiKey = (short)apiKey, RequestApiVersion = version, CorrelationId = correlationId, ClientId = "test" };
        byte[] bytes = [.. header.ToBytes(headerVersion), .. body.ToBytes(version)];
        return new KafkaRequestFrame(bytes, bytes.Length);
    }

    private static KafkaRequestFrame Frame(short apiKey, short version, int correlationId, byte[] rest)
    {
        byte[] bytes = new byte[10 + rest.Length];
        BinaryPrimitives.WriteInt16BigEndian(bytes, apiKey);
        BinaryPrimitives.WriteInt16BigEndian(bytes.AsSpan(2), version);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), correlationId);
        BinaryPrimitives.WriteInt16BigEndian(bytes.AsSpan(8), -1);
        rest.CopyTo(bytes, 10);
        return new KafkaRequestFrame(bytes, bytes.Length);
    }

    private sealed class RecordingHandler(ApiKey apiKey, short maxVersion) : IApiHandler
    {
        public List<int> Seen { get; } = [];

        public bool Throw { get; init; }

        public bool CloseWithoutResponse { get; init; }

        public ApiKey ApiKey => apiKey;

        public short MinVersion => 0;

        public short MaxVersion => maxVersion;

        public ValueTask<IApiResponse?> HandleAsync(RequestContext context, IApiRequest request)
        {
            if (Throw)
            {
                throw new InvalidOperationException("handler bug");
            }

            lock (Seen)
            {
                Seen.Add(context.CorrelationId);
            }

            if (CloseWithoutResponse)
            {
                context.RequestConnectionClose();
                return new((IApiResponse?)null);
            }

            return new(new MetadataResponse());
        }
    }
}
