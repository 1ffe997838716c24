using System.Diagnostics;
using Chronik.Testing;
using Xunit.Abstractions;

namespace Chronik.Cluster.Integration;

/// <summary>
/// A cluster of one registers its new incarnation at once after a restart: after SIGTERM (its
/// want-shutdown heartbeat fenced the old one) and after kill -9 (the registering broker is the
/// controller's own, and an older incarnation of the node holding this Raft identity cannot be alive).
/// </summary>
public class SingleNodeRestartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_single_node_is_ready_again_at_once_after_sigterm_and_after_kill_9()
    {
        using var data = new TempDirectory("single-restart");
        int[] ports = FreePort.Next(3);
        BrokerProcessOptions Options() => new() { KafkaPort = ports[0], HttpPort = ports[1], RaftPort = ports[2], DataDirectory = data.Path };

        await using (BrokerProcess first = await BrokerProcess.StartAsync(Options()))
        {
            first.Send(Signal.Term);
            Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        }

        var clean = Stopwatch.StartNew();
        await using (BrokerProcess second = await BrokerProcess.StartAsync(Options()))
        {
            output.WriteLine($"ready {clean.Elapsed.TotalSeconds:F1} s after a clean restart");
            Assert.DoesNotContain("registration refused", second.Output);
            second.Send(Signal.Kill);
            await second.WaitForExitAsync(TimeSpan.FromSeconds(30));
        }

        var killed = Stopwatch.StartNew();
        await using BrokerProcess third = await BrokerProcess.StartAsync(Options());
        output.WriteLine($"ready {killed.Elapsed.TotalSeconds:F1} s after kill -9");

        // Before, the new incarnation was refused (DUPLICATE_BROKER_REGISTRATION) until the old session expired (~9 s).
        Assert.DoesNotContain("registration refused", third.Output);
    }
}
