using System.Globalization;
using Chronik.Cluster.Metadata;
using Chronik.Protocol.Wire;

namespace Chronik.Cluster.Controller;

/// <summary>
/// IncrementalAlterConfigs for topic and broker resources. A topic must exist; a broker resource is
/// named by a broker id or "" (cluster default). Every resulting override goes through the
/// <see cref="IConfigValidator"/>, and so does the resulting set as a whole; a resource either applies
/// all its changes or none. APPEND/SUBTRACT work on LIST configs only and treat the value as a
/// comma-separated list that starts from the config's default when the resource does not set it; a
/// list emptied by SUBTRACT stays set to "" (Kafka's ConfigurationControlManager).
/// </summary>
public sealed class ConfigDecisions(IConfigValidator validator)
{
    public ControllerResult<IReadOnlyList<AlterConfigsResult>> AlterConfigs(MetadataImage image, IReadOnlyList<AlterConfigsResource> resources)
    {
        var results = new List<AlterConfigsResult>(resources.Count);
        var records = new List<MetadataRecord>();
        var duplicates = resources.GroupBy(r => r.Resource).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
        foreach (AlterConfigsResource resource in resources)
        {
            if (duplicates.Contains(resource.Resource))
            {
                results.Add(new AlterConfigsResult(resource.Resource, new ApiError(ErrorCode.InvalidRequest, "Duplicate resource in request.")));
                continue;
            }

            var (error, resourceRecords) = Alter(image, resource);
            results.Add(new AlterConfigsResult(resource.Resource, error));
            records.AddRange(resourceRecords);
        }

        return ControllerResult.Of<IReadOnlyList<AlterConfigsResult>>(results, records);
    }

    private (ApiError Error, List<MetadataRecord> Records) Alter(MetadataImage image, AlterConfigsResource request)
    {
        List<MetadataRecord> none = [];
        ConfigResource resource = request.Resource;
        switch (resource.Type)
        {
            case ConfigResourceType.Topic when image.GetTopic(resource.Name) is null:
                return (new ApiError(ErrorCode.UnknownTopicOrPartition, $"The topic '{resource.Name}' does not exist."), none);
            case ConfigResourceType.Broker when resource.Name.Length > 0
                && !int.TryParse(resource.Name, NumberStyles.None, CultureInfo.InvariantCulture, out _):
                return (new ApiError(ErrorCode.InvalidRequest, $"Broker resource name '{resource.Name}' is not a broker id."), none);
        }

        var current = image.GetConfigs(resource);
        var pending = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (ConfigChange change in request.Changes)
        {
            string? existing = pending.TryGetValue(change.Name, out string? p) ? p : current.GetValueOrDefault(change.Name);
            string? value;
            switch (change.Operation)
            {
                case ConfigOperation.Set when change.Value is null:
                    return (new ApiError(ErrorCode.InvalidRequest, $"Null value not supported for: {change.Name}"), none);
                case ConfigOperation.Set:
                    value = change.Value;
                    break;
                case ConfigOperation.Delete:
                    value = null;
                    break;
                case ConfigOperation.Append:
                case ConfigOperation.Subtract:
                {
                    if (!validator.IsListConfig(resource, change.Name, out string? defaultValue))
                    {
                        return (new ApiError(ErrorCode.InvalidConfig,
                            $"Can't {change.Operation.ToString().ToUpperInvariant()} to key {change.Name} because its type is not LIST."), none);
                    }

                    var items = SplitList(existing ?? defaultValue);
                    var operands = SplitList(change.Value);
                    if (change.Operation == ConfigOperation.Append)
                    {
                        foreach (string operand in operands)
                        {
                            if (!items.Contains(operand))
                            {
                                items.Add(operand);
                            }
                        }
                    }
                    else
                    {
                        items.RemoveAll(operands.Contains);
                    }

                    value = string.Join(",", items);
                    break;
                }

                default:
                    return (new ApiError(ErrorCode.InvalidRequest, $"Unknown config operation {(byte)change.Operation}."), none);
            }

            ApiError error = validator.Validate(resource, change.Name, value);
            if (error.IsError)
            {
                return (error, none);
            }

            pending[change.Name] = value;
        }

        var resulting = new Dictionary<string, string>(current, StringComparer.Ordinal);
        foreach (var (name, value) in pending)
        {
            if (value is null)
            {
                resulting.Remove(name);
            }
            else
            {
                resulting[name] = value;
            }
        }

        ApiError setError = validator.ValidateResulting(resource, resulting);
        if (setError.IsError)
        {
            return (setError, none);
        }

        var records = new List<MetadataRecord>();
        foreach (var (name, value) in pending)
        {
            if (current.GetValueOrDefault(name) != value)
            {
                records.Add(new ConfigRecord(resource.Type, resource.Name, name, value));
            }
        }

        return (ApiError.None, records);
    }

    private static List<string> SplitList(string? value) =>
        value is null ? [] : [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
}
