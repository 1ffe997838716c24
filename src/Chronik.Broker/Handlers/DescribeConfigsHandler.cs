using System.Globalization;
using Chronik.Broker.Configs;
using Chronik.Broker.Requests;
using Chronik.Cluster.Controller;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Handlers;

/// <summary>
/// DescribeConfigs (key 32), v0-4.
/// Behavior: a topic resource (type 2) lists every Kafka topic config with its effective value: the
/// topic's override (DYNAMIC_TOPIC_CONFIG), else a broker synonym (dynamic per-broker, dynamic cluster
/// default, static, default, converted to the topic's unit: log.retention.hours → retention.ms), else the
/// topic default; synonyms list every place the value is set. Unknown topic → UNKNOWN_TOPIC_OR_PARTITION;
/// an illegal name → INVALID_TOPIC_EXCEPTION. A broker resource (type 4) named by this broker's id lists
/// every broker config Chronik knows (read-only: none is dynamic yet); named "" it lists the dynamic
/// cluster defaults, as Kafka does; another broker's id → INVALID_REQUEST (ask that broker). A broker
/// logger resource (type 8) answers, for this broker, an empty list: Chronik logs through
/// Microsoft.Extensions.Logging and exposes no log4j loggers. Other types → INVALID_REQUEST.
/// configuration_keys limits the answer to those names (null or empty: all).
/// Version notes: v1 include_synonyms, config source (KIP-226; v0 is_default instead); v2 no change;
/// v3 include_documentation, config type (KIP-569); v4 flexible.
/// </summary>
public sealed class DescribeConfigsHandler : ApiHandler<DescribeConfigsRequest, DescribeConfigsResponse>
{
    private const sbyte TopicResource = (sbyte)ConfigResourceType.Topic;
    private const sbyte BrokerResource = (sbyte)ConfigResourceType.Broker;

    /// <summary>Kafka's ConfigResource.Type BROKER_LOGGER.</summary>
    private const sbyte BrokerLoggerResource = 8;

    private readonly BrokerNode _broker;
    private readonly ConfigResolver _configs;

    public DescribeConfigsHandler(BrokerNode broker)
    {
        _broker = broker;
        _configs = new ConfigResolver(broker.Options.Configs, broker.NodeId);
    }

    public override ApiKey ApiKey => ApiKey.DescribeConfigs;

    public override short MinVersion => 0;

    public override short MaxVersion => 4;

    protected override ValueTask<DescribeConfigsResponse?> HandleAsync(RequestContext context, DescribeConfigsRequest request)
    {
        MetadataImage image = _broker.Image;
        short version = context.ApiVersion;
        bool synonyms = version >= 1 && request.IncludeSynonyms;
        bool documentation = version >= 3 && request.IncludeDocumentation;
        var response = new DescribeConfigsResponse();
        foreach (DescribeConfigsRequest.DescribeConfigsResource resource in request.Resources)
        {
            var result = new DescribeConfigsResponse.DescribeConfigsResult
            {
                ResourceType = resource.ResourceType,
                ResourceName = resource.ResourceName,
                ErrorMessage = null,
            };
            response.Results.Add(result);
            var (configs, error) = Describe(image, resource);
            if (error.IsError)
            {
                result.ErrorCode = (short)error.Code;
                result.ErrorMessage = error.Message;
                continue;
            }

            HashSet<string>? keys = resource.ConfigurationKeys is { Count: > 0 } wanted ? new HashSet<string>(wanted, StringComparer.Ordinal) : null;
            foreach (DescribedConfig config in configs)
            {
                if (keys is null || keys.Contains(config.Name))
                {
                    result.Configs.Add(ToWire(config, version, synonyms, documentation));
                }
            }
        }

        return new(response);
    }

    private (IReadOnlyList<DescribedConfig> Configs, ApiError Error) Describe(MetadataImage image, DescribeConfigsRequest.DescribeConfigsResource resource)
    {
        string name = resource.ResourceName;
        switch (resource.ResourceType)
        {
            case TopicResource:
                ApiError invalid = TopicNames.Validate(name);
                if (invalid.IsError)
                {
                    return ([], invalid);
                }

                return image.GetTopic(name) is null
                    ? ([], new ApiError(ErrorCode.UnknownTopicOrPartition, "This server does not host this topic-partition."))
                    : (_configs.DescribeTopic(image, name), ApiError.None);

            case BrokerResource when name.Length == 0:
                return (_configs.DescribeClusterDefault(image), ApiError.None);

            case BrokerResource:
                ApiError notThis = ThisBroker(name, "or empty string, ");
                return notThis.IsError ? ([], notThis) : (_configs.DescribeBroker(image), ApiError.None);

            case BrokerLoggerResource when name.Length == 0:
                return ([], new ApiError(ErrorCode.InvalidRequest, "Broker id must not be empty"));

            case BrokerLoggerResource:
                ApiError otherBroker = ThisBroker(name, "");
                return (Array.Empty<DescribedConfig>(), otherBroker);

            default:
                return ([], new ApiError(ErrorCode.InvalidRequest, $"Unsupported resource type: {resource.ResourceType}"));
        }
    }

    /// <summary>None when <paramref name="name"/> is this broker's id, else Kafka's INVALID_REQUEST.</summary>
    private ApiError ThisBroker(string name, string orEmpty)
    {
        if (!int.TryParse(name, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int id))
        {
            return new ApiError(ErrorCode.InvalidRequest, $"Broker id must be an integer, but it is: {name}");
        }

        return id == _broker.NodeId
            ? ApiError.None
            : new ApiError(ErrorCode.InvalidRequest, $"Unexpected broker id, expected {_broker.NodeId} {orEmpty}but received {name}");
    }

    private static DescribeConfigsResponse.DescribeConfigsResourceResult ToWire(DescribedConfig config, short version, bool includeSynonyms, bool includeDocumentation)
    {
        var entry = new DescribeConfigsResponse.DescribeConfigsResourceResult
        {
            Name = config.Name,
            Value = config.Value,
            ReadOnly = config.ReadOnly,
            IsSensitive = config.IsSensitive,
            ConfigSource = (sbyte)config.Source,
            ConfigType = (sbyte)config.Type,
            Documentation = includeDocumentation ? config.Documentation : null,
        };

        if (version == 0)
        {
            entry.IsDefault = config.Source == ConfigSource.DefaultConfig;
        }

        if (includeSynonyms)
        {
            foreach (ConfigSynonym synonym in config.Synonyms)
            {
                entry.Synonyms.Add(new DescribeConfigsResponse.DescribeConfigsSynonym { Name = synonym.Name, Value = synonym.Value, Source = (sbyte)synonym.Source });
            }
        }

        return entry;
    }
}
