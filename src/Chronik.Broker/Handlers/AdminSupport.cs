using Chronik.Broker.Requests;
using Chronik.Cluster.Controller;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Handlers;

/// <summary>What the admin handlers (topics, configs, cluster) share: operation sets, deadlines, waiting for the image.</summary>
internal static class AdminSupport
{
    /// <summary>AclOperation codes (READ 3 .. ALTER_CONFIGS 11) Kafka allows on a topic (KIP-430 bit set); no authorizer yet, so all.</summary>
    public const int TopicOperations = (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 10) | (1 << 11);

    /// <summary>AclOperation codes Kafka allows on the cluster (CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE).</summary>
    public const int ClusterOperations = (1 << 5) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12);

    /// <summary>How long a controller operation whose request carries no timeout may take (Kafka's request.timeout.ms default).</summary>
    public const int DefaultForwardTimeoutMs = 30_000;

    /// <summary>Kafka's metadata log topic: KRaft refuses to create it ("Authorization failed.").</summary>
    public const string ClusterMetadataTopic = "__cluster_metadata";

    /// <summary>
    /// A token for the controller call and the wait after it: cancelled when the connection goes away or,
    /// when <paramref name="timeoutMs"/> is positive, when it has passed.
    /// </summary>
    public static CancellationTokenSource Deadline(RequestContext context, int timeoutMs)
    {
        var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        if (timeoutMs > 0)
        {
            deadline.CancelAfter(timeoutMs);
        }

        return deadline;
    }

    /// <summary>
    /// Waits until <paramref name="visible"/> holds for this broker's image (a change the controller
    /// committed must be visible here before the answer, so the client's next Metadata sees it). False
    /// when <paramref name="token"/> fires first.
    /// </summary>
    public static async Task<bool> WaitForImageAsync(BrokerNode broker, Func<MetadataImage, bool> visible, CancellationToken token)
    {
        if (visible(broker.Image))
        {
            return true;
        }

        try
        {
            await foreach (MetadataImage image in broker.Quorum.WatchAsync(token).ConfigureAwait(false))
            {
                if (visible(image))
                {
                    return true;
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }

        return false;
    }

    /// <summary>
    /// None for the resource types whose configs can be altered (topic 2, broker 4); for Kafka's other
    /// types (broker logger 8, client metrics 16, group 32) INVALID_REQUEST "Unexpected resource type X.",
    /// for unknown ids UNSUPPORTED_VERSION "Unknown resource type X." (KRaft's ControllerApis).
    /// </summary>
    public static ApiError CheckAlterableResourceType(sbyte type) => type switch
    {
        (sbyte)ConfigResourceType.Topic or (sbyte)ConfigResourceType.Broker => ApiError.None,
        8 => new ApiError(ErrorCode.InvalidRequest, "Unexpected resource type BROKER_LOGGER."),
        16 => new ApiError(ErrorCode.InvalidRequest, "Unexpected resource type CLIENT_METRICS."),
        32 => new ApiError(ErrorCode.InvalidRequest, "Unexpected resource type GROUP."),
        _ => new ApiError(ErrorCode.UnsupportedVersion, $"Unknown resource type {type}."),
    };

    /// <summary>The error a controller call that ran out of time answers.</summary>
    public static ApiError TimedOut(string what) => new(ErrorCode.RequestTimedOut, $"{what} did not complete within the request's timeout.");
}
