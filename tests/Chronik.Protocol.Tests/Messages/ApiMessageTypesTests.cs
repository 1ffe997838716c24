using Chronik.Protocol.Messages;

namespace Chronik.Protocol.Tests.Messages;

public class ApiMessageTypesTests
{
    [Fact]
    public void Every_api_key_has_request_and_response_types_with_its_versions()
    {
        Assert.Equal(Enum.GetValues<ApiKey>().Length, ApiMessageTypes.All.Count);
        foreach (ApiMessageType type in ApiMessageTypes.All)
        {
            IApiRequest request = type.CreateRequest();
            IApiResponse response = type.CreateResponse();
            Assert.Equal((short)type.ApiKey, request.ApiKey);
            Assert.Equal((short)type.ApiKey, response.ApiKey);
            Assert.Equal(type.Name + "Request", request.GetType().Name);
            Assert.Equal(type.Name + "Response", response.GetType().Name);
            Assert.Equal(type.LowestSupportedVersion, request.LowestSupportedVersion);
            Assert.Equal(type.HighestSupportedVersion, request.HighestSupportedVersion);
            Assert.Equal(type.LowestSupportedVersion, response.LowestSupportedVersion);
            Assert.Equal(type.HighestSupportedVersion, response.HighestSupportedVersion);
            Assert.Same(type, ApiMessageTypes.Get(type.ApiKey));
        }
    }

    [Fact]
    public void Well_known_keys_and_ranges()
    {
        Assert.Equal(0, (short)ApiKey.Produce);
        Assert.Equal(1, (short)ApiKey.Fetch);
        Assert.Equal(3, (short)ApiKey.Metadata);
        Assert.Equal(18, (short)ApiKey.ApiVersions);
        ApiMessageType apiVersions = ApiMessageTypes.Get(ApiKey.ApiVersions);
        Assert.Equal("ApiVersions", apiVersions.Name);
        Assert.Equal(3, apiVersions.FirstFlexibleVersion);
        Assert.True(apiVersions.Listeners.HasFlag(ApiListeners.Broker));
        Assert.True(apiVersions.Listeners.HasFlag(ApiListeners.Controller));
        Assert.Equal(9, ApiMessageTypes.Get(ApiKey.Produce).FirstFlexibleVersion);
        Assert.Contains(ApiMessageTypes.All, t => t.LatestVersionUnstable);
        Assert.False(ApiMessageTypes.TryGet(-1, out _));
        Assert.False(ApiMessageTypes.TryGet(short.MaxValue, out _));
    }

    [Theory]
    [InlineData(ApiKey.Produce, 8, 1, 0)]
    [InlineData(ApiKey.Produce, 9, 2, 1)]
    [InlineData(ApiKey.Metadata, 8, 1, 0)]
    [InlineData(ApiKey.Metadata, 9, 2, 1)]
    [InlineData(ApiKey.ApiVersions, 0, 1, 0)]
    [InlineData(ApiKey.ApiVersions, 3, 2, 0)]
    [InlineData(ApiKey.ApiVersions, 4, 2, 0)]
    [InlineData(ApiKey.ControlledShutdown, 0, 0, 0)]
    [InlineData(ApiKey.ControlledShutdown, 1, 1, 0)]
    [InlineData(ApiKey.ControlledShutdown, 3, 2, 1)]
    public void Header_versions_follow_flexibility_with_kafkas_two_exceptions(ApiKey key, short apiVersion, short requestHeader, short responseHeader)
    {
        Assert.Equal(requestHeader, ApiMessageTypes.RequestHeaderVersion(key, apiVersion));
        Assert.Equal(responseHeader, ApiMessageTypes.ResponseHeaderVersion(key, apiVersion));
    }

    [Fact]
    public void An_api_versions_request_newer_than_known_still_gets_a_header_version()
    {
        // KIP-511: clients may send a newer ApiVersions; its header is still v2 and is readable.
        Assert.Equal(2, ApiMessageTypes.RequestHeaderVersion(ApiKey.ApiVersions, 100));
        Assert.Equal(0, ApiMessageTypes.ResponseHeaderVersion(ApiKey.ApiVersions, 100));
    }

    [Fact]
    public void Deprecated_versions_come_from_the_specs()
    {
        Assert.Contains(ApiMessageTypes.All, t => t.LowestDeprecatedVersion >= 0);
        foreach (ApiMessageType type in ApiMessageTypes.All.Where(t => t.LowestDeprecatedVersion >= 0))
        {
            Assert.True(type.IsDeprecated(type.LowestDeprecatedVersion));
            Assert.True(type.HighestDeprecatedVersion <= type.HighestSupportedVersion);
        }
    }
}
