namespace Chronik.Codegen;

/// <summary>
/// Writes ApiMessageTypes.g.cs: the ApiKey enum, one ApiMessageType row per API key (versions,
/// flexible and deprecated versions, listeners) and the request/response factories.
/// </summary>
public static class ApiTableEmitter
{
    public static string Emit(IReadOnlyList<MessageSpec> specs)
    {
        var requests = specs.Where(s => s.Type == "request").ToDictionary(s => s.ApiKey ?? throw new SpecException($"{s.Name} has no apiKey"));
        var responses = specs.Where(s => s.Type == "response").ToDictionary(s => s.ApiKey ?? throw new SpecException($"{s.Name} has no apiKey"));
        var keys = requests.Keys.OrderBy(k => k).ToList();
        foreach (short key in keys)
        {
            if (!responses.TryGetValue(key, out MessageSpec? response))
            {
                throw new SpecException($"api key {key} has a request but no response");
            }

            if (response.ValidVersions != requests[key].ValidVersions)
            {
                throw new SpecException($"api key {key}: request and response valid versions differ");
            }
        }

        if (responses.Keys.Except(keys).Any())
        {
            throw new SpecException("a response has no request");
        }

        var w = new CodeWriter();
        foreach (string line in MessageEmitter.Header.TrimEnd('\n').Split('\n'))
        {
            w.Line(line);
        }

        w.Line();
        w.Line("namespace Chronik.Protocol.Messages;");
        w.Line();
        w.Line("/// <summary>Kafka API keys, named after the request specs.</summary>");
        w.Open("public enum ApiKey : short");
        foreach (short key in keys)
        {
            w.Line($"{ApiName(requests[key])} = {key},");
        }

        w.Close();
        w.Line();
        w.Open("public static partial class ApiMessageTypes");
        w.Line("/// <summary>Every API key's row, ordered by key.</summary>");
        w.Line("public static IReadOnlyList<ApiMessageType> All { get; } =");
        w.Line("[");
        foreach (short key in keys)
        {
            MessageSpec request = requests[key];
            MessageSpec response = responses[key];
            string deprecated = request.DeprecatedVersions.IsEmpty
                ? "-1, -1"
                : $"{request.DeprecatedVersions.Lowest}, {Math.Min(request.DeprecatedVersions.Highest, request.ValidVersions.Highest)}";
            w.Line($"    new(ApiKey.{ApiName(request)}, \"{ApiName(request)}\", {request.ValidVersions.Lowest}, {request.ValidVersions.Highest}, "
                + $"{FirstFlexible(request)}, {FirstFlexible(response)}, {deprecated}, {(request.LatestVersionUnstable ? "true" : "false")}, "
                + $"{Listeners(request)}),");
        }

        w.Line("];");
        w.Line();
        EmitFactory(w, "IApiRequest", "CreateRequest", keys, requests, requests);
        w.Line();
        EmitFactory(w, "IApiResponse", "CreateResponse", keys, requests, responses);
        w.Close();
        return w.ToString();
    }

    private static string ApiName(MessageSpec request) =>
        request.Name.EndsWith("Request", StringComparison.Ordinal) ? request.Name[..^"Request".Length] : throw new SpecException($"{request.Name} does not end in Request");

    private static short FirstFlexible(MessageSpec spec) => spec.FlexibleVersions.IsEmpty ? (short)-1 : spec.FlexibleVersions.Lowest;

    private static string Listeners(MessageSpec spec)
    {
        if (spec.Listeners.Count == 0)
        {
            return "ApiListeners.None";
        }

        return string.Join(" | ", spec.Listeners.Order(StringComparer.Ordinal).Select(listener => listener switch
        {
            "zkBroker" => "ApiListeners.ZkBroker",
            "broker" => "ApiListeners.Broker",
            "controller" => "ApiListeners.Controller",
            _ => throw new SpecException($"{spec.Name}: unknown listener '{listener}'"),
        }));
    }

    private static void EmitFactory(CodeWriter w, string returnType, string method, List<short> keys, Dictionary<short, MessageSpec> requests, Dictionary<short, MessageSpec> specs)
    {
        w.Line($"/// <summary>A new, default-valued {returnType[4..].ToLowerInvariant()} body for <paramref name=\"apiKey\"/>.</summary>");
        w.Open($"public static {returnType} {method}(ApiKey apiKey) => apiKey switch");
        foreach (short key in keys)
        {
            w.Line($"ApiKey.{ApiName(requests[key])} => new {specs[key].Name}(),");
        }

        w.Line("_ => throw new ArgumentOutOfRangeException(nameof(apiKey), apiKey, \"unknown api key\"),");
        w.Close(";");
    }
}
