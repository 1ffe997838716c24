using Chronik.Broker.Requests;
using Chronik.Cluster.Controller;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Handlers;

/// <summary>
/// AlterConfigs (key 33), v0-2 — the legacy, non-incremental API.
/// Behavior: the configs given for a resource replace its whole set of overrides (Kafka's
/// legacyAlterConfigs): each given name is set, every current override not given is deleted. Topic
/// overrides are validated against the topic config catalog (unknown name or bad value →
/// INVALID_CONFIG; a null value → INVALID_CONFIG "Null value not supported for topic configs") and,
/// together, against Kafka's cross-config rule; unknown topic → UNKNOWN_TOPIC_OR_PARTITION. Broker
/// configs are not dynamic in Chronik yet: any change to a broker resource → INVALID_REQUEST "Cannot
/// update these configs dynamically". A resource given twice → INVALID_REQUEST "Duplicate resource.",
/// a broker logger resource → INVALID_REQUEST, an unknown resource type → UNSUPPORTED_VERSION (KRaft's
/// ControllerApis). validate_only checks without committing. The new overrides are in the metadata
/// image when the answer leaves; the data path applies them to open logs from there. The replace reads
/// the current overrides from this broker's image: a change committed concurrently by another request
/// may survive it.
/// Version notes: v1 no change; v2 flexible.
/// </summary>
public sealed class AlterConfigsHandler : ApiHandler<AlterConfigsRequest, AlterConfigsResponse>
{
    private readonly BrokerNode _broker;

    public AlterConfigsHandler(BrokerNode broker)
    {
        _broker = broker;
    }

    public override ApiKey ApiKey => ApiKey.AlterConfigs;

    public override short MinVersion => 0;

    public override short MaxVersion => 2;

    protected override async ValueTask<AlterConfigsResponse?> HandleAsync(RequestContext context, AlterConfigsRequest request)
    {
        MetadataImage image = _broker.Image;
        var counts = new Dictionary<(sbyte, string), int>();
        foreach (AlterConfigsRequest.AlterConfigsResource resource in request.Resources)
        {
            counts[(resource.ResourceType, resource.ResourceName)] = counts.GetValueOrDefault((resource.ResourceType, resource.ResourceName)) + 1;
        }

        var results = new List<AlterConfigsResponse.AlterConfigsResourceResponse>(request.Resources.Count);
        var toAlter = new List<AlterConfigsResource>();
        var pending = new List<AlterConfigsResponse.AlterConfigsResourceResponse>();
        var answered = new HashSet<(sbyte, string)>();
        foreach (AlterConfigsRequest.AlterConfigsResource resource in request.Resources)
        {
            if (!answered.Add((resource.ResourceType, resource.ResourceName)))
            {
                continue;
            }

            var result = new AlterConfigsResponse.AlterConfigsResourceResponse { ResourceType = resource.ResourceType, ResourceName = resource.ResourceName, ErrorMessage = null };
            results.Add(result);
            ApiError refused = counts[(resource.ResourceType, resource.ResourceName)] > 1
                ? new ApiError(ErrorCode.InvalidRequest, "Duplicate resource.")
                : AdminSupport.CheckAlterableResourceType(resource.ResourceType);
            if (refused.IsError)
            {
                SetError(result, refused);
                continue;
            }

            var target = new ConfigResource((ConfigResourceType)resource.ResourceType, resource.ResourceName);
            var (changes, invalid) = Replace(image, target, resource.Configs);
            if (invalid.IsError)
            {
                SetError(result, invalid);
                continue;
            }

            toAlter.Add(new AlterConfigsResource(target, changes));
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

        return new AlterConfigsResponse { Responses = results };
    }

    private static void SetError(AlterConfigsResponse.AlterConfigsResourceResponse result, ApiError error)
    {
        result.ErrorCode = (short)error.Code;
        result.ErrorMessage = error.Message;
    }

    /// <summary>The changes that make <paramref name="target"/>'s overrides exactly <paramref name="configs"/> (the last value of a name given twice counts).</summary>
    private static (List<ConfigChange> Changes, ApiError Error) Replace(MetadataImage image, ConfigResource target, List<AlterConfigsRequest.AlterableConfig> configs)
    {
        var wanted = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (AlterConfigsRequest.AlterableConfig config in configs)
        {
            wanted[config.Name] = config.Value;
        }

        var nulls = wanted.Where(c => c.Value is null).Select(c => c.Key).ToList();
        if (target.Type == ConfigResourceType.Topic && nulls.Count > 0)
        {
            return ([], new ApiError(ErrorCode.InvalidConfig, $"Null value not supported for topic configs: {string.Join(",", nulls)}"));
        }

        var changes = new List<ConfigChange>(wanted.Count);
        foreach (var (name, value) in wanted)
        {
            changes.Add(new ConfigChange(name, value is null ? ConfigOperation.Delete : ConfigOperation.Set, value));
        }

        foreach (string name in image.GetConfigs(target).Keys)
        {
            if (!wanted.ContainsKey(name))
            {
                changes.Add(new ConfigChange(name, ConfigOperation.Delete, null));
            }
        }

        return (changes, ApiError.None);
    }
}
