using System.Globalization;
using Chronik.Testing;

namespace Chronik.Bench.Targets;

/// <summary>
/// chronik-server as a child process (src/Chronik.Server's Release output, or $CHRONIK_SERVER_PATH):
/// standalone, on free loopback ports, with its data directory in the bench's work directory.
/// </summary>
public sealed class ChronikTarget : IBrokerTarget
{
    private readonly BrokerProcess _broker;
    private readonly Action<string> _note;

    private ChronikTarget(BrokerProcess broker, Action<string> note)
    {
        _broker = broker;
        _note = note;
    }

    public string Name => "chronik";

    public string BootstrapServers => _broker.BootstrapServers;

    public IReadOnlyList<int> ProcessIds => [_broker.ProcessId];

    /// <summary>
    /// Starts a fresh node. <paramref name="defaultPartitions"/> becomes num.partitions so that topics
    /// auto-created through Metadata (while CreateTopics is not served) get the scenario's shape.
    /// </summary>
    public static async Task<ChronikTarget> StartAsync(string dataDirectory, int defaultPartitions, Action<string> note, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(dataDirectory);
        var options = new BrokerProcessOptions { DataDirectory = dataDirectory, StartTimeout = TimeSpan.FromSeconds(60) };
        options.Arguments.Add("--log-level");
        options.Arguments.Add("warn");
        options.Arguments.Add("--override");
        options.Arguments.Add("num.partitions=" + defaultPartitions.ToString(CultureInfo.InvariantCulture));
        var broker = await BrokerProcess.StartAsync(options, cancellationToken);
        return new ChronikTarget(broker, note);
    }

    public Task CreateTopicsAsync(IReadOnlyList<string> topics, int partitions, int replicationFactor, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? configs = null) =>
        TopicAdmin.CreateAsync(BootstrapServers, topics, partitions, replicationFactor, _note, cancellationToken, configs);

    public string RecentOutput(int lines)
    {
        string[] all = _broker.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return string.Join('\n', all[Math.Max(0, all.Length - lines)..]);
    }

    public ValueTask DisposeAsync() => _broker.DisposeAsync();
}
