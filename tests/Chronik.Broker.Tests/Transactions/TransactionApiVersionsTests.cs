using System.Net;
using Chronik.Broker.Handlers;
using Chronik.Broker.Network;
using Chronik.Broker.Requests;
using Chronik.Broker.Tests.Admin;
using Chronik.Protocol.Messages;
using Chronik.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Chronik.Broker.Tests.Transactions;

/// <summary>
/// What chronik-server's composition advertises for idempotent and transactional producers: every transaction API
/// with the whole version range of the message specs, and no finalized transaction.version feature (transaction
/// version 2 needs Produce v12's implicit partition adds, which these specs do not carry), so clients keep
/// AddPartitionsToTxn and EndTxn below v5.
/// </summary>
public class TransactionApiVersionsTests
{
    [Fact]
    public async Task Every_transaction_api_is_advertised_with_its_full_range_and_no_transaction_version_feature()
    {
        using var directory = new TempDirectory("txn-api-versions");
        await using ServiceProvider provider = Admin.TestBrokerServices.Build(directory.Path);
        IApiHandler apiVersions = provider.GetServices<IApiHandler>().OfType<ApiVersionsHandler>().Single();
        var header = new RequestHeader { RequestApiKey = (short)ApiKey.ApiVersions, RequestApiVersion = 3, CorrelationId = 1, ClientId = "librdkafka" };
        var connection = new KafkaConnectionContext(1, "PLAINTEXT", new IPEndPoint(IPAddress.Loopback, 9092), new IPEndPoint(IPAddress.Loopback, 50000));
        var response = (ApiVersionsResponse)(await apiVersions.HandleAsync(
            new RequestContext(header, connection, CancellationToken.None),
            new ApiVersionsRequest { ClientSoftwareName = "librdkafka", ClientSoftwareVersion = "2.16.0" }))!;

        var advertised = response.ApiKeys.ToDictionary(k => (ApiKey)k.ApiKey, k => (k.MinVersion, k.MaxVersion));
        ApiKey[] transactional =
        [
            ApiKey.Produce, ApiKey.InitProducerId, ApiKey.AddPartitionsToTxn, ApiKey.AddOffsetsToTxn, ApiKey.EndTxn, ApiKey.WriteTxnMarkers,
            ApiKey.TxnOffsetCommit, ApiKey.DescribeTransactions, ApiKey.ListTransactions, ApiKey.DescribeProducers,
        ];
        foreach (ApiKey key in transactional)
        {
            ApiMessageType spec = ApiMessageTypes.Get(key);
            Assert.True(advertised.TryGetValue(key, out var range), $"{key} is not advertised");
            Assert.Equal((spec.LowestSupportedVersion, spec.HighestSupportedVersion), range);
        }

        Assert.DoesNotContain(response.FinalizedFeatures, f => f.Name == "transaction.version");
        Assert.DoesNotContain(response.SupportedFeatures, f => f.Name == "transaction.version");
    }
}
