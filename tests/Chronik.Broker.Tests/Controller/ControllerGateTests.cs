using System.Net;
using Chronik.Broker.Handlers;
using Chronik.Broker.InterBroker;
using Chronik.Broker.Network;
using Chronik.Broker.Requests;
using Chronik.Protocol.Messages;
using Microsoft.Extensions.Logging.Abstractions;

namespace Chronik.Broker.Tests.Controller;

/// <summary>
/// The readiness gate holds clients until this broker is registered, but never the controller's RPCs
/// nor anything another broker sends: the controller serves the other brokers whatever state its own
/// broker is in (otherwise a controller whose broker is not ready yet could not register the others).
/// </summary>
public class ControllerGateTests
{
    [Fact]
    public async Task Internal_apis_and_inter_broker_connections_pass_a_closed_gate_clients_wait()
    {
        var gate = new ReadinessGate();
        var heartbeat = new AnsweringHandler(ApiKey.BrokerHeartbeat, internalApi: true);
        var metadata = new AnsweringHandler(ApiKey.Metadata, internalApi: false);
        var processor = Processor(gate, heartbeat, metadata);

        KafkaConnectionContext client = Connection(1);
        KafkaConnectionContext broker = Connection(2);
        broker.Items[typeof(ApiVersionsHandler)] = (KafkaClientConnection.SoftwareName, "1");

        ValueTask<KafkaResponse> rpc = processor.ProcessAsync(client, Request(ApiKey.BrokerHeartbeat, 1, 1, new BrokerHeartbeatRequest()), CancellationToken.None);
        ValueTask<KafkaResponse> forwarded = processor.ProcessAsync(broker, Request(ApiKey.Metadata, 12, 2, new MetadataRequest()), CancellationToken.None);
        ValueTask<KafkaResponse> waiting = processor.ProcessAsync(client, Request(ApiKey.Metadata, 12, 3, new MetadataRequest()), CancellationToken.None);

        Assert.True(rpc.IsCompletedSuccessfully);
        Assert.True(forwarded.IsCompletedSuccessfully);
        Assert.False(waiting.IsCompleted);
        Assert.Equal([2], metadata.Seen);

        gate.Open();
        (await waiting).Body!.Dispose();
        (await rpc).Body!.Dispose();
        (await forwarded).Body!.Dispose();
        Assert.Equal([2, 3], metadata.Seen);
    }

    private static KafkaConnectionContext Connection(long id) =>
        new(id, "PLAINTEXT", new IPEndPoint(IPAddress.Loopback, 9092), new IPEndPoint(IPAddress.Loopback, 50000 + (int)id));

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

    private sealed class AnsweringHandler(ApiKey apiKey, bool internalApi) : IApiHandler
    {
        public List<int> Seen { get; } = [];

        public ApiKey ApiKey => apiKey;

        public short MinVersion => 0;

        public short MaxVersion => ApiMessageTypes.Get(apiKey).HighestSupportedVersion;

        public bool IsInternal => internalApi;

        public ValueTask<IApiResponse?> HandleAsync(RequestContext context, IApiRequest request)
        {
            lock (Seen)
            {
                Seen.Add(context.CorrelationId);
            }

            return new(ApiMessageTypes.CreateResponse(apiKey));
        }
    }
}
