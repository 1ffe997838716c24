using Chronik.Broker.Controller;

namespace Chronik.Broker.Tests.Controller;

public class RetryBackoffTests
{
    [Fact]
    public void Pauses_double_from_the_initial_value_up_to_the_cap_with_twenty_percent_jitter()
    {
        var backoff = new RetryBackoff(TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(1), new Random(7));
        double[] nominal = [50, 100, 200, 400, 800, 1000, 1000, 1000];
        foreach (double expected in nominal)
        {
            double pause = backoff.Next().TotalMilliseconds;
            Assert.InRange(pause, expected * 0.8, expected * 1.2);
        }
    }
}
