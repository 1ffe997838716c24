using System.Text.RegularExpressions;
using Chronik.Broker.Requests;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Handlers;

/// <summary>
/// ApiVersions (key 18), v0-4.
/// Behavior: advertises exactly the handlers this broker registered, with their version ranges; the
/// internal controller APIs (Kafka serves them only on its controller listener) only to other Chronik
/// brokers (<see cref="RequestContext.IsInterBroker"/>).
/// Version notes: v1 throttle time; v3 flexible, client software name/version (KIP-511) validated with
/// Kafka's pattern (INVALID_REQUEST when malformed); v3 features (KIP-584); v4 same schema (KIP-896).
/// An unsupported newer version is answered in v0 by <see cref="KafkaRequestProcessor"/>.
/// </summary>
public sealed partial class ApiVersionsHandler : ApiHandler<ApiVersionsRequest, ApiVersionsResponse>
{
    private readonly Func<ApiHandlerRegistry> _registry;

    /// <summary>The registry is resolved lazily: it contains this handler itself.</summary>
    public ApiVersionsHandler(Func<ApiHandlerRegistry> registry)
    {
        _registry = registry;
    }

    public override ApiKey ApiKey => ApiKey.ApiVersions;

    public override short MinVersion => 0;

    public override short MaxVersion => 4;

    /// <summary>The client's software name and version (KIP-511), once it sent them.</summary>
    public static (string Name, string Version)? ClientSoftware(Network.KafkaConnectionContext connection) =>
        connection.Items.TryGetValue(typeof(ApiVersionsHandler), out object? value) ? ((string, string)?)value : null;

    protected override ValueTask<ApiVersionsResponse?> HandleAsync(RequestContext context, ApiVersionsRequest request)
    {
        var response = new ApiVersionsResponse();
        if (context.ApiVersion >= 3)
        {
            if (!SoftwarePattern().IsMatch(request.ClientSoftwareName) || !SoftwarePattern().IsMatch(request.ClientSoftwareVersion))
            {
                response.ErrorCode = (short)ErrorCode.InvalidRequest;
                return new(response);
            }

            context.Connection.Items[typeof(ApiVersionsHandler)] = (request.ClientSoftwareName, request.ClientSoftwareVersion);
        }

        IReadOnlyList<IApiHandler> handlers = _registry().Handlers;
        response.ApiKeys = new List<ApiVersionsResponse.ApiVersion>(handlers.Count);
        bool interBroker = context.IsInterBroker;
        foreach (IApiHandler handler in handlers)
        {
            if (handler.IsInternal && !interBroker)
            {
                continue;
            }

            response.ApiKeys.Add(new ApiVersionsResponse.ApiVersion
            {
                ApiKey = (short)handler.ApiKey,
                MinVersion = handler.MinVersion,
                MaxVersion = handler.MaxVersion,
            });
        }

        return new(response);
    }

    // Kafka's ApiVersionsRequest: letters, digits, '-' and '.', starting and ending with a letter or digit.
    [GeneratedRegex(@"^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$")]
    private static partial Regex SoftwarePattern();
}
