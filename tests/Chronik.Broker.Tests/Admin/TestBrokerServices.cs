using Chronik.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Chronik.Broker.Tests.Admin;

/// <summary>The broker's service graph as chronik-server registers it, not started: for tests of what it advertises.</summary>
internal static class TestBrokerServices
{
    /// <summary>A provider for a single-node broker whose data lives in <paramref name="dataDirectory"/>.</summary>
    public static ServiceProvider Build(string dataDirectory)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddChronikBroker(_ => new BrokerOptions
        {
            NodeId = 1,
            DataDirectory = dataDirectory,
            AdvertisedHost = Loopback.Host,
            AdvertisedPort = 9092,
            Voters = [new Cluster.Quorum.QuorumPeer(1, Loopback.Host, FreePort.Next())],
            Configs = TestBrokerConfigs.Create(),
        });
        return services.BuildServiceProvider();
    }
}
