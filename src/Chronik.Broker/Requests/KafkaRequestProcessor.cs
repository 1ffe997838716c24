using Chronik.Broker.Network;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;
using Microsoft.Extensions.Logging;

namespace Chronik.Broker.Requests;

/// <summary>
/// Turns a request frame into a response: reads the request header, finds the handler, checks the
/// version, decodes the body with the generated type, runs the handler and encodes the response header
/// and body into one pooled buffer (size first, then a single write).
/// </summary>
/// <remarks>
/// As Kafka does, a request that cannot be parsed, an unknown api key and an unsupported version of
/// any API but ApiVersions close the connection. An ApiVersions request newer than we know gets the
/// version-0 answer with UNSUPPORTED_VERSION and our ApiVersions range (KIP-511), so the client can
/// retry with a version we speak. Requests wait for the readiness gate except ApiVersions, the internal
/// controller APIs and anything on an inter-broker connection (<see cref="RequestContext.IsInterBroker"/>):
/// the controller serves the other brokers whatever state its own broker is in.
/// </remarks>
public sealed partial class KafkaRequestProcessor : IKafkaRequestProcessor
{
    // Per-connection key of the task that completes when the connection's last gated request was dispatched.
    private static readonly object GatedChainKey = new();

    private readonly ApiHandlerRegistry _handlers;
    private readonly ReadinessGate _gate;
    private readonly TimeSpan _gateTimeout;
    private readonly ILogger<KafkaRequestProcessor> _logger;

    public KafkaRequestProcessor(ApiHandlerRegistry handlers, ReadinessGate gate, ILogger<KafkaRequestProcessor> logger, TimeSpan? gateTimeout = null)
    {
        _handlers = handlers;
        _gate = gate;
        _gateTimeout = gateTimeout ?? TimeSpan.FromSeconds(30);
        _logger = logger;
    }

    public ValueTask<KafkaResponse> ProcessAsync(KafkaConnectionContext connection, KafkaRequestFrame request, CancellationToken cancellationToken)
    {
        if (!request.HasFixedHeader)
        {
            LogRejected(_logger, connection.ConnectionId, "a frame shorter than a request header");
            return new(KafkaResponse.CloseConnection);
        }

        short apiKey = request.ApiKey;
        short apiVersion = request.ApiVersion;
        IApiHandler? handler = _handlers.Find(apiKey);
        if (handler is null)
        {
            LogRejected(_logger, connection.ConnectionId, $"unknown or unsupported api key {apiKey}");
            return new(KafkaResponse.CloseConnection);
        }

        if (apiVersion < handler.MinVersion || apiVersion > handler.MaxVersion)
        {
            if (handler.ApiKey == ApiKey.ApiVersions && apiVersion > handler.MaxVersion)
            {
                return new(KafkaResponse.Send(Encode(ApiKey.ApiVersions, 0, request.CorrelationId, UnsupportedApiVersionsResponse(handler))));
            }

            LogRejected(_logger, connection.ConnectionId, $"{handler.ApiKey} v{apiVersion}, outside the supported v{handler.MinVersion}-{handler.MaxVersion}");
            return new(KafkaResponse.CloseConnection);
        }

        RequestHeader header;
        IApiRequest body;
        try
        {
            var reader = new KafkaReader(request.Memory);
            header = RequestHeader.ReadFrom(ref reader, out _);
            body = ApiMessageTypes.CreateRequest(handler.ApiKey);
            body.Read(ref reader, apiVersion);
        }
        catch (MalformedMessageException ex)
        {
            LogRejected(_logger, connection.ConnectionId, $"a malformed {handler.ApiKey} v{apiVersion} request: {ex.Message}");
            return new(KafkaResponse.CloseConnection);
        }

        var context = new RequestContext(header, connection, cancellationToken);
        // The inter-broker check (a lookup in the connection's items) only runs while the gate would hold the request.
        if (handler.ApiKey != ApiKey.ApiVersions && !handler.IsInternal && MustWaitForGate(connection, out Task? previous) && !context.IsInterBroker)
        {
            return DispatchWhenReadyAsync(handler, context, body, previous);
        }

        return Dispatch(handler, context, body);
    }

    private ValueTask<KafkaResponse> Dispatch(IApiHandler handler, RequestContext context, IApiRequest body)
    {
        try
        {
            ValueTask<IApiResponse?> pending = handler.HandleAsync(context, body);
            return pending.IsCompletedSuccessfully
                ? new(ToResponse(context, pending.Result))
                : CompleteAsync(context, pending);
        }
        catch (Exception ex)
        {
            LogHandlerFailed(_logger, ex, handler.ApiKey, context.ApiVersion, context.ClientId, context.Connection.ConnectionId);
            return new(KafkaResponse.CloseConnection);
        }
    }

    /// <summary>
    /// True when the request must wait: the broker is not serving yet, or an earlier request on this
    /// connection is still waiting (requests leave the gate in their order, so a pipelined producer's
    /// batches keep theirs). <paramref name="previous"/> is what this request waits for.
    /// </summary>
    private bool MustWaitForGate(KafkaConnectionContext connection, out Task? previous)
    {
        previous = connection.Items.TryGetValue(GatedChainKey, out object? chain) && chain is Task { IsCompleted: false } pendingChain
            ? pendingChain
            : null;
        return previous is not null || !_gate.IsOpen;
    }

    private async ValueTask<KafkaResponse> DispatchWhenReadyAsync(IApiHandler handler, RequestContext context, IApiRequest body, Task? previous)
    {
        var dispatched = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        context.Connection.Items[GatedChainKey] = dispatched.Task;
        ValueTask<KafkaResponse> response;
        try
        {
            await (previous ?? Task.CompletedTask).ConfigureAwait(false);
            await _gate.WhenOpen.WaitAsync(_gateTimeout, context.CancellationToken).ConfigureAwait(false);
            response = Dispatch(handler, context, body);
        }
        catch (TimeoutException)
        {
            LogNotReady(_logger, context.ApiKey, context.Connection.ConnectionId, _gateTimeout.TotalSeconds);
            return KafkaResponse.CloseConnection;
        }
        catch (OperationCanceledException)
        {
            return KafkaResponse.CloseConnection;
        }
        finally
        {
            dispatched.TrySetResult();
        }

        return await response.ConfigureAwait(false);
    }

    private async ValueTask<KafkaResponse> CompleteAsync(RequestContext context, ValueTask<IApiResponse?> pending)
    {
        try
        {
            return ToResponse(context, await pending.ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            return KafkaResponse.CloseConnection;
        }
        catch (Exception ex)
        {
            LogHandlerFailed(_logger, ex, context.ApiKey, context.ApiVersion, context.ClientId, context.Connection.ConnectionId);
            return KafkaResponse.CloseConnection;
        }
    }

    private static KafkaResponse ToResponse(RequestContext context, IApiResponse? response)
    {
        if (response is null)
        {
            return context.CloseRequested ? KafkaResponse.CloseConnection : KafkaResponse.None;
        }

        ResponseBuffer body = Encode(context.ApiKey, context.ApiVersion, context.CorrelationId, response);
        return context.CloseRequested ? KafkaResponse.SendThenClose(body) : KafkaResponse.Send(body);
    }

    /// <summary>Response header (version chosen by api key and version) and body, in one pooled buffer.</summary>
    internal static ResponseBuffer Encode(ApiKey apiKey, short apiVersion, int correlationId, IApiResponse body)
    {
        short headerVersion = ApiMessageTypes.ResponseHeaderVersion(apiKey, apiVersion);
        var header = new ResponseHeader { CorrelationId = correlationId };
        int headerSize = header.Size(headerVersion);
        int size = headerSize + body.Size(apiVersion);
        ResponseBuffer buffer = ResponseBuffer.Rent(size);
        try
        {
            var writer = new KafkaWriter(buffer.GetSpan(size)[..size]);
            header.Write(ref writer, headerVersion);
            body.Write(ref writer, apiVersion);
            buffer.Advance(size);
            return buffer;
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    private static ApiVersionsResponse UnsupportedApiVersionsResponse(IApiHandler apiVersions) => new()
    {
        ErrorCode = (short)ErrorCode.UnsupportedVersion,
        ApiKeys =
        [
            new ApiVersionsResponse.ApiVersion { ApiKey = (short)ApiKey.ApiVersions, MinVersion = apiVersions.MinVersion, MaxVersion = apiVersions.MaxVersion },
        ],
    };

    [LoggerMessage(1, LogLevel.Information, "Closing connection {ConnectionId}: it sent {What}")]
    private static partial void LogRejected(ILogger logger, string connectionId, string what);

    [LoggerMessage(3, LogLevel.Warning, "Closing connection {ConnectionId}: its {ApiKey} request waited {Seconds} s for this broker to register with the metadata quorum; check /health/ready for the reason")]
    private static partial void LogNotReady(ILogger logger, ApiKey apiKey, string connectionId, double seconds);

    [LoggerMessage(2, LogLevel.Error, "{ApiKey} v{ApiVersion} from client '{ClientId}' on {ConnectionId} failed; closing the connection")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception, ApiKey apiKey, short apiVersion, string clientId, string connectionId);
}
