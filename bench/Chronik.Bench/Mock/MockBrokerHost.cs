using System.Globalization;
using Chronik.Bench.Native;

namespace Chronik.Bench.Mock;

/// <summary>
/// The child side of the reference broker: `chronik-bench mock-broker --brokers N` runs librdkafka's
/// mock cluster in its own process, so its CPU and memory are measured from /proc exactly like
/// chronik-server's and no client shares its process. Line protocol on stdin/stdout:
/// <code>
/// → ready &lt;librdkafka version&gt; &lt;bootstrap servers&gt;     (once, at start)
/// ← create &lt;partitions&gt; &lt;replication&gt; &lt;topic&gt;          → ok | error &lt;text&gt;
/// end of input or "quit": the mock is destroyed and the process exits.
/// </code>
/// </summary>
public static class MockBrokerHost
{
    public static int Run(int brokers)
    {
        using var mock = new MockClusterApi(brokers);
        Console.Out.WriteLine($"ready {mock.Version} {mock.BootstrapServers}");
        Console.Out.Flush();
        while (Console.In.ReadLine() is { } line)
        {
            string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0)
            {
                continue;
            }

            if (words[0] == "quit")
            {
                break;
            }

            Console.Out.WriteLine(Execute(mock, words));
            Console.Out.Flush();
        }

        return 0;
    }

    private static string Execute(MockClusterApi mock, string[] words)
    {
        if (words is ["create", var partitions, var replication, var topic]
            && int.TryParse(partitions, CultureInfo.InvariantCulture, out int p)
            && int.TryParse(replication, CultureInfo.InvariantCulture, out int r))
        {
            return mock.CreateTopic(topic, p, r) is { } error ? $"error {error}" : "ok";
        }

        return $"error unknown command: {string.Join(' ', words)}";
    }
}
