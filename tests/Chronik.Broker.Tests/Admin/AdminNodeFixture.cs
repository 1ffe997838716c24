namespace Chronik.Broker.Tests.Admin;

/// <summary>One running BrokerNode shared by the tests of a class (each test uses its own topic names).</summary>
public sealed class AdminNodeFixture : IAsyncLifetime
{
    public BrokerNodeHarness Harness { get; private set; } = null!;

    public async Task InitializeAsync() => Harness = await BrokerNodeHarness.StartAsync();

    public async Task DisposeAsync() => await Harness.DisposeAsync();
}
