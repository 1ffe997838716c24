using Chronik.Testing;

namespace Chronik.Broker.Tests.Admin;

/// <summary>
/// One chronik-server child process (free loopback ports, own data directory) shared by the real-client
/// admin tests; killed at the end. Needs src/Chronik.Server built in the same configuration as the tests.
/// </summary>
public sealed class ChronikServerFixture : IAsyncLifetime
{
    public BrokerProcess Broker { get; private set; } = null!;

    public async Task InitializeAsync() => Broker = await BrokerProcess.StartAsync(new BrokerProcessOptions { NodeId = 1 });

    public async Task DisposeAsync() => await Broker.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class ChronikServerCollection : ICollectionFixture<ChronikServerFixture>
{
    public const string Name = "chronik-server for admin clients";
}
