using System.Globalization;
using Chronik.Broker.Requests;
using Chronik.Cluster.Controller;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Handlers;

/// <summary>
/// IncrementalAlterConfigs (key 44), v0-1.
/// Behavior: per resource, each config is SET, DELETEd, or for LIST configs APPENDed to / SUBTRACTed from
/// (starting from the default when the topic does not set it; other configs → INVALID_CONFIG "Can't
/// APPEND to key x because its type is not LIST."). Topic changes are validated against the topic config
/// catalog and Kafka's cross-config rule, and a resource applies all its changes or none; unknown topic →
/// UNKNOWN_TOPIC_OR_PARTITION. Broker configs are not dynamic in Chronik yet: a change to a broker
/// resource → INVALID_REQUEST "Cannot update these configs dynamically". A broker logger resource (this
/// broker's id) has no loggers to change: SET / DELETE → INVALID_CONFIG "Logger x does not exist!",
/// APPEND / SUBTRACT → INVALID_REQUEST, as Kafka answers for a logger it does not have. A resource given
/// twice → INVALID_REQUEST "Duplicate resource.", a config named twice in one resource → INVALID_REQUEST,
/// an unknown operation → INVALID_REQUEST, an unknown resource type → UNSUPPORTED_VERSION. validate_only
/// checks without committing. The change is in the metadata image when the answer leaves.
/// Version notes: v1 flexible.
/// </summary>
public sealed class IncrementalAlterConfigsHandler : ApiHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse>
{
    /// <summary>Kafka's ConfigResource.Type BROKER_LOGGER.</summary>
    private const sbyte BrokerLoggerResource = 8;

    private readonly BrokerNode _broker;

    public IncrementalAlterConfigsHandler(BrokerNode broker)
    {
        _broker = broker;
    }

    public override ApiKey ApiKey => ApiKey.IncrementalAlterConfigs;

    public override short MinVersion => 0;

    public override short MaxVersion => 1;

    protected override async ValueTask<IncrementalAlterConfigsResponse?> HandleAsync(RequestContext context, IncrementalAlterConfigsRequest request)
    {
        var counts = new Dictionary<(sbyte, string), int>();
        foreach (IncrementalAlterConfigsRequest.AlterConfigsResource resource in request.Resources)
        {
            counts[(resource.ResourceType, resource.ResourceName)] = counts.GetValueOrDefault((resource.ResourceType, resource.ResourceName)) + 1;
        }

        var results = new List<IncrementalAlterConfigsResponse.AlterConfigsResourceResponse>(request.Resources.Count);
        var toAlter = new List<AlterConfigsResource>();
        var pending = new List<IncrementalAlterConfigsResponse.AlterConfigsResourceResponse>();
        var answered = new HashSet<(sbyte, string)>();
        foreach (IncrementalAlterConfigsRequest.AlterConfigsResource resource in request.Resources)
        {
            if (!answered.Add((resource.ResourceType, resource.ResourceName)))
            {
                continue;
            }

            var result = new IncrementalAlterConfigsResponse.AlterConfigsResourceResponse
            {
                ResourceType = resource.ResourceType,
                ResourceName = resource.ResourceName,
                ErrorMessage = null,
            };
            results.Add(result);
            ApiError refused = counts[(resource.ResourceType, resource.ResourceName)] > 1 ? new ApiError(ErrorCode.InvalidRequest, "Duplicate resource.")
                : resource.ResourceType == BrokerLoggerResource ? CheckLoggerChanges(resource)
                : AdminSupport.CheckAlterableResourceType(resource.ResourceType);
            if (refused.IsError || resource.ResourceType == BrokerLoggerResource)
            {
                SetError(result, refused);
                continue;
            }

            var (changes, invalid) = ToChanges(resource.Configs);
            if (invalid.IsError)
            {
                SetError(result, invalid);
                continue;
            }

            toAlter.Add(new AlterConfigsResource(new ConfigResource((ConfigResourceType)resource.ResourceType, resource.ResourceName), changes));
            pending.Add(result);
        }

        if (toAlter.Count > 0)
        {
            using CancellationTokenSource deadline = AdminSupport.Deadline(context, AdminSupport.DefaultForwardTimeoutMs);
            try
            {
                IReadOnlyList<AlterConfigsResult> outcomes = await _broker.ControllerFor(context).AlterConfigsAsync(toAlter, request.ValidateOnly, deadline.Token).ConfigureAwait(false);
                for (int i = 0; i < outcomes.Count; i++)
                {
                    SetError(pending[i], outcomes[i].Error);
                }
            }
            catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
            {
                pending.ForEach(r => SetError(r, AdminSupport.TimedOut("The config change")));
            }
        }

        return new IncrementalAlterConfigsResponse { Responses = results };
    }

    private static (List<ConfigChange> Changes, ApiError Error) ToChanges(List<IncrementalAlterConfigsRequest.AlterableConfig> configs)
    {
        var changes = new List<ConfigChange>(configs.Count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (IncrementalAlterConfigsRequest.AlterableConfig config in configs)
        {
            if (!names.Add(config.Name))
            {
                return ([], new ApiError(ErrorCode.InvalidRequest, $"Error due to duplicate config keys: {config.Name}"));
            }

            if (config.ConfigOperation is < (sbyte)ConfigOperation.Set or > (sbyte)ConfigOperation.Subtract)
            {
                return ([], new ApiError(ErrorCode.InvalidRequest, $"Unknown config operation type {config.ConfigOperation.ToString(CultureInfo.InvariantCulture)}"));
            }

            var operation = (ConfigOperation)config.ConfigOperation;
            if (operation != ConfigOperation.Delete && config.Value is null)
            {
                return ([], new ApiError(ErrorCode.InvalidRequest, $"Null value not supported for : {config.Name}"));
            }

            changes.Add(new ConfigChange(config.Name, operation, operation == ConfigOperation.Delete ? null : config.Value));
        }

        return (changes, ApiError.None);
    }

    /// <summary>The answer for a broker logger resource: it must name this broker, and it has no loggers to change.</summary>
    private ApiError CheckLoggerChanges(IncrementalAlterConfigsRequest.AlterConfigsResource resource)
    {
        if (!int.TryParse(resource.ResourceName, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int id) || id != _broker.NodeId)
        {
            return new ApiError(ErrorCode.InvalidRequest, $"Unexpected broker id, expected {_broker.NodeId} but received {resource.ResourceName}");
        }

        // Every change names a logger this broker does not have, so the first one decides.
        if (resource.Configs is not [var config, ..])
        {
            return ApiError.None;
        }

        return (ConfigOperation)config.ConfigOperation switch
        {
            ConfigOperation.Set or ConfigOperation.Delete => new ApiError(ErrorCode.InvalidConfig, $"Logger {config.Name} does not exist!"),
            ConfigOperation.Append or ConfigOperation.Subtract => new ApiError(ErrorCode.InvalidRequest,
                $"{((ConfigOperation)config.ConfigOperation).ToString().ToUpperInvariant()} operation is not allowed for the BROKER_LOGGER resource"),
            _ => new ApiError(ErrorCode.InvalidRequest, $"Unknown operation type {config.ConfigOperation} is not allowed for the BROKER_LOGGER resource"),
        };
    }

    private static void SetError(IncrementalAlterConfigsResponse.AlterConfigsResourceResponse result, ApiError error)
    {
        result.ErrorCode = (short)error.Code;
        result.ErrorMessage = error.Message;
    }
}
