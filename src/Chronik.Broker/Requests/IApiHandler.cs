using Chronik.Protocol.Messages;

namespace Chronik.Broker.Requests;

/// <summary>
/// The handler of one Kafka API, in its own file under Handlers/ named after the API. It declares the
/// versions it implements; ApiVersions advertises exactly these, so nothing unimplemented is announced.
/// </summary>
/// <remarks>
/// The connection calls handlers in request order and writes responses in request order. Whatever a
/// handler does before its first incomplete await runs in that order (e.g. a produce fixing its offsets);
/// what follows may overlap with later requests on the same connection.
/// </remarks>
public interface IApiHandler
{
    ApiKey ApiKey { get; }

    short MinVersion { get; }

    short MaxVersion { get; }

    /// <summary>
    /// An API Kafka serves only on its controller listener (BrokerRegistration, BrokerHeartbeat,
    /// AlterPartition, AllocateProducerIds): Chronik serves it on the Kafka listener for the other
    /// brokers, but ApiVersions advertises it only to them (see <see cref="RequestContext.IsInterBroker"/>),
    /// and it does not wait for this broker to be ready — the controller answers whatever state its own
    /// broker is in.
    /// </summary>
    bool IsInternal => false;

    /// <summary>The response, or null to send none (Produce with acks=0).</summary>
    ValueTask<IApiResponse?> HandleAsync(RequestContext context, IApiRequest request);
}

/// <summary>Typed base of <see cref="IApiHandler"/>.</summary>
public abstract class ApiHandler<TRequest, TResponse> : IApiHandler
    where TRequest : IApiRequest
    where TResponse : class, IApiResponse
{
    public abstract ApiKey ApiKey { get; }

    public abstract short MinVersion { get; }

    public abstract short MaxVersion { get; }

    /// <inheritdoc cref="IApiHandler.IsInternal"/>
    public virtual bool IsInternal => false;

    ValueTask<IApiResponse?> IApiHandler.HandleAsync(RequestContext context, IApiRequest request)
    {
        ValueTask<TResponse?> pending = HandleAsync(context, (TRequest)request);
        return pending.IsCompletedSuccessfully ? new ValueTask<IApiResponse?>(pending.Result) : AwaitResponse(pending);
    }

    protected abstract ValueTask<TResponse?> HandleAsync(RequestContext context, TRequest request);

    private static async ValueTask<IApiResponse?> AwaitResponse(ValueTask<TResponse?> pending) => await pending.ConfigureAwait(false);
}
