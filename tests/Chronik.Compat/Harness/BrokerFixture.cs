using Chronik.Testing;

namespace Chronik.Compat.Harness;

/// <summary>
/// One chronik-server child process per test class (an xunit class fixture): free loopback ports, its
/// own data directory, killed by PID on dispose. <see cref="Reference"/> is a Confluent.Kafka client
/// the tests use for setup and checks.
/// </summary>
public sealed class BrokerFixture : IAsyncLifetime
{
    private BrokerProcess? _broker;
    private ConfluentClient? _reference;

    public BrokerProcess Broker => _broker ?? throw new InvalidOperationException("the broker is not started");

    public ConfluentClient Reference => _reference ?? throw new InvalidOperationException("the broker is not started");

    public string BootstrapServers => Broker.BootstrapServers;

    public async Task InitializeAsync()
    {
        _broker = await BrokerProcess.StartAsync();
        _reference = new ConfluentClient(_broker.BootstrapServers);
    }

    public async Task DisposeAsync()
    {
        _reference?.Dispose();
        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }
    }

    /// <summary>The last lines the broker logged, for assertion messages.</summary>
    public string OutputTail(int characters = 4000)
    {
        string output = Broker.Output;
        return output.Length <= characters ? output : "…" + output[^characters..];
    }
}
