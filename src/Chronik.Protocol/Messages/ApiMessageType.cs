using System.Diagnostics.CodeAnalysis;

namespace Chronik.Protocol.Messages;

/// <summary>The listeners an API is served on, from the specs' "listeners" lists.</summary>
[Flags]
public enum ApiListeners
{
    None = 0,
    ZkBroker = 1,
    Broker = 2,
    Controller = 4,
}

/// <summary>
/// What the specs say about one API key: its valid, flexible and deprecated versions, and which
/// header versions frame it. Rows are generated into <see cref="ApiMessageTypes.All"/>.
/// </summary>
public sealed class ApiMessageType
{
    internal ApiMessageType(
        ApiKey apiKey,
        string name,
        short lowestSupportedVersion,
        short highestSupportedVersion,
        short firstFlexibleRequestVersion,
        short firstFlexibleResponseVersion,
        short lowestDeprecatedVersion,
        short highestDeprecatedVersion,
        bool latestVersionUnstable,
        ApiListeners listeners)
    {
        ApiKey = apiKey;
        Name = name;
        LowestSupportedVersion = lowestSupportedVersion;
        HighestSupportedVersion = highestSupportedVersion;
        FirstFlexibleVersion = firstFlexibleRequestVersion;
        FirstFlexibleResponseVersion = firstFlexibleResponseVersion;
        LowestDeprecatedVersion = lowestDeprecatedVersion;
        HighestDeprecatedVersion = highestDeprecatedVersion;
        LatestVersionUnstable = latestVersionUnstable;
        Listeners = listeners;
    }

    public ApiKey ApiKey { get; }

    /// <summary>The spec name without "Request", e.g. "Produce".</summary>
    public string Name { get; }

    public short LowestSupportedVersion { get; }

    public short HighestSupportedVersion { get; }

    /// <summary>First flexible (KIP-482) version of the request, or -1 if none is.</summary>
    public short FirstFlexibleVersion { get; }

    /// <summary>First flexible version of the response (the same as the request's for every current API), or -1.</summary>
    public short FirstFlexibleResponseVersion { get; }

    /// <summary>Lowest deprecated version, or -1 when none is deprecated.</summary>
    public short LowestDeprecatedVersion { get; }

    /// <summary>Highest deprecated version, or -1 when none is deprecated.</summary>
    public short HighestDeprecatedVersion { get; }

    /// <summary>The highest version is still under development in Kafka and not advertised by default.</summary>
    public bool LatestVersionUnstable { get; }

    public ApiListeners Listeners { get; }

    public bool IsVersionSupported(short version) => version >= LowestSupportedVersion && version <= HighestSupportedVersion;

    public bool IsFlexible(short version) => FirstFlexibleVersion >= 0 && version >= FirstFlexibleVersion;

    public bool IsDeprecated(short version) => LowestDeprecatedVersion >= 0 && version >= LowestDeprecatedVersion && version <= HighestDeprecatedVersion;

    /// <summary>
    /// The request header version for <paramref name="apiVersion"/>: 2 for flexible versions, else 1;
    /// ControlledShutdown v0 alone uses header v0 (no client id).
    /// </summary>
    public short RequestHeaderVersion(short apiVersion)
    {
        if (ApiKey == ApiKey.ControlledShutdown && apiVersion == 0)
        {
            return 0;
        }

        return IsFlexible(apiVersion) ? (short)2 : (short)1;
    }

    /// <summary>
    /// The response header version for <paramref name="apiVersion"/>: 1 for flexible versions, else 0.
    /// ApiVersions responses always use v0 (KIP-511), so a client that sent a version the broker does
    /// not know can still read the answer.
    /// </summary>
    public short ResponseHeaderVersion(short apiVersion)
    {
        if (ApiKey == ApiKey.ApiVersions)
        {
            return 0;
        }

        return FirstFlexibleResponseVersion >= 0 && apiVersion >= FirstFlexibleResponseVersion ? (short)1 : (short)0;
    }

    public IApiRequest CreateRequest() => ApiMessageTypes.CreateRequest(ApiKey);

    public IApiResponse CreateResponse() => ApiMessageTypes.CreateResponse(ApiKey);

    public override string ToString() => $"{Name}({(short)ApiKey}) v{LowestSupportedVersion}-{HighestSupportedVersion}";
}

/// <summary>Lookup of <see cref="ApiMessageType"/> rows by key; the rows and factories are generated.</summary>
public static partial class ApiMessageTypes
{
    /// <summary>The row of a known key; throws for a key outside the specs.</summary>
    public static ApiMessageType Get(ApiKey apiKey) =>
        TryGet((short)apiKey, out ApiMessageType? type) ? type : throw new ArgumentOutOfRangeException(nameof(apiKey), apiKey, "unknown api key");

    /// <summary>The row of <paramref name="apiKey"/> as read off the wire, if the specs define it.</summary>
    public static bool TryGet(short apiKey, [NotNullWhen(true)] out ApiMessageType? type)
    {
        ApiMessageType?[] byKey = Index.ByKey;
        type = apiKey >= 0 && apiKey < byKey.Length ? byKey[apiKey] : null;
        return type is not null;
    }

    public static short RequestHeaderVersion(ApiKey apiKey, short apiVersion) => Get(apiKey).RequestHeaderVersion(apiVersion);

    public static short ResponseHeaderVersion(ApiKey apiKey, short apiVersion) => Get(apiKey).ResponseHeaderVersion(apiVersion);

    private static class Index
    {
        // A nested holder so the index is built after the generated part's All is initialized.
        internal static readonly ApiMessageType?[] ByKey = BuildIndex();
    }

    private static ApiMessageType?[] BuildIndex()
    {
        int size = 0;
        foreach (ApiMessageType type in All)
        {
            size = Math.Max(size, (short)type.ApiKey + 1);
        }

        var index = new ApiMessageType?[size];
        foreach (ApiMessageType type in All)
        {
            index[(short)type.ApiKey] = type;
        }

        return index;
    }
}
