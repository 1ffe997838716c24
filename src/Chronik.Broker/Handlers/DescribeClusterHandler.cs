using Chronik.Broker.Requests;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Handlers;

/// <summary>
/// DescribeCluster (key 60), v0-1.
/// Behavior: the cluster id, the controller (the metadata quorum's leader; -1 when it is not among the
/// listed brokers, as Kafka answers) and the registered, unfenced brokers with their address on the
/// listener the request came in on and their rack. Cluster authorized operations, when asked for: no
/// authorizer yet, so every cluster operation. Chronik's nodes are brokers, so endpoint_type
/// "controller" (2) → MISMATCHED_ENDPOINT_TYPE and an unknown type → UNSUPPORTED_ENDPOINT_TYPE
/// (INVALID_REQUEST for both in v0), as a Kafka broker answers.
/// Version notes: v0 (KIP-700) flexible from the start; v1 endpoint_type (KIP-919).
/// </summary>
public sealed class DescribeClusterHandler : ApiHandler<DescribeClusterRequest, DescribeClusterResponse>
{
    /// <summary>Kafka's EndpointType: BROKER 1, CONTROLLER 2.</summary>
    private const sbyte BrokerEndpoints = 1;
    private const sbyte ControllerEndpoints = 2;

    private readonly BrokerNode _broker;

    public DescribeClusterHandler(BrokerNode broker)
    {
        _broker = broker;
    }

    public override ApiKey ApiKey => ApiKey.DescribeCluster;

    public override short MinVersion => 0;

    public override short MaxVersion => 1;

    protected override ValueTask<DescribeClusterResponse?> HandleAsync(RequestContext context, DescribeClusterRequest request)
    {
        var response = new DescribeClusterResponse { EndpointType = BrokerEndpoints };
        if (request.EndpointType != BrokerEndpoints)
        {
            bool known = request.EndpointType == ControllerEndpoints;
            response.ErrorCode = (short)(context.ApiVersion == 0 ? ErrorCode.InvalidRequest
                : known ? ErrorCode.MismatchedEndpointType
                : ErrorCode.UnsupportedEndpointType);
            response.ErrorMessage = known
                ? "The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER"
                : $"Unsupported endpoint type {request.EndpointType}";
            return new(response);
        }

        MetadataImage image = _broker.Image;
        string listener = context.Connection.ListenerName;
        foreach (BrokerRegistration broker in image.UnfencedBrokers)
        {
            if (broker.GetEndpoint(listener) is { } endpoint)
            {
                response.Brokers.Add(new DescribeClusterResponse.DescribeClusterBroker
                {
                    BrokerId = broker.BrokerId,
                    Host = endpoint.Host,
                    Port = endpoint.Port,
                    Rack = broker.Rack,
                });
            }
        }

        response.ClusterId = image.ClusterId ?? "";
        response.ControllerId = response.Brokers.Exists(b => b.BrokerId == image.ControllerId) ? image.ControllerId : -1;
        response.ClusterAuthorizedOperations = request.IncludeClusterAuthorizedOperations ? AdminSupport.ClusterOperations : int.MinValue;
        return new(response);
    }
}
