using System.Globalization;
using System.Text.Json;
using Chronik.Testing;

namespace Chronik.Compat.Harness;

/// <summary>
/// A client driven through a script with the shared command set of python/kafka_python_client.py and
/// js/kafkajs_client.js: the script prints one JSON result line; records travel through
/// <see cref="RecordFiles"/> files in a temp directory.
/// </summary>
public sealed class ScriptClient : ICompatClient, IDisposable
{
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(5);

    private readonly string _executable;
    private readonly string _script;
    private readonly string _bootstrap;
    private readonly TempDirectory _files = new("compat-files");

    private ScriptClient(string name, string executable, string script, string bootstrap, bool latestWhenNoRecord)
    {
        Name = name;
        _executable = executable;
        _script = script;
        _bootstrap = Loopback.Bootstrap(bootstrap);
        ReportsLatestWhenNoRecordAtTimestamp = latestWhenNoRecord;
    }

    public string Name { get; }

    public RecordShape Shape => RecordShape.Full;

    public bool ReportsLatestWhenNoRecordAtTimestamp { get; }

    /// <summary>kafka-python 2.0.2 from Debian, run by /usr/bin/python3 (the PATH python may not see Debian's packages).</summary>
    public static ScriptClient KafkaPython(string bootstrap) =>
        new("kafka-python", "/usr/bin/python3", RepositoryLayout.InRepository("tests", "Chronik.Compat", "python", "kafka_python_client.py"), bootstrap, latestWhenNoRecord: false);

    /// <summary>kafkajs from tests/Chronik.Compat/js/node_modules (npm ci there; scripts/test.sh does it).</summary>
    public static ScriptClient Kafkajs(string bootstrap) =>
        new("kafkajs", "node", RepositoryLayout.InRepository("tests", "Chronik.Compat", "js", "kafkajs_client.js"), bootstrap, latestWhenNoRecord: true);

    /// <summary>The script's "version" answer, e.g. {"client":"kafkajs","version":"2.2.4"}.</summary>
    public async Task<JsonElement> VersionAsync() => await RunAsync("version", includeBootstrap: false);

    public async Task CreateTopicAsync(string topic, int partitions) =>
        await RunAsync("create-topic", args: [topic, partitions.ToString(CultureInfo.InvariantCulture)]);

    public async Task<ProduceOutcome> ProduceAsync(string topic, Codec codec, RecordSet records)
    {
        string file = Path.Combine(_files.Path, $"{topic}-produce.jsonl");
        RecordFiles.WriteToProduce(file, records);
        long started = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var result = await RunAsync("produce", args: [topic, codec.KafkaName(), file]);
        long finished = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        File.Delete(file);
        int produced = result.GetProperty("produced").GetInt32();
        if (produced != records.Count)
        {
            throw new InvalidOperationException($"{Name} reports {produced} records produced of {records.Count}: {result}");
        }

        return new ProduceOutcome(started, finished);
    }

    public async Task<IReadOnlyList<ConsumedRecord>> ConsumeAsync(string topic, int expectedCount)
    {
        string file = Path.Combine(_files.Path, $"{topic}-consumed.jsonl");
        await RunAsync("consume", args: [topic, expectedCount.ToString(CultureInfo.InvariantCulture), file]);
        var consumed = RecordFiles.ReadConsumed(file);
        File.Delete(file);
        return consumed;
    }

    public async Task<IReadOnlyList<PartitionOffsets>> ListOffsetsAsync(string topic, IReadOnlyList<long> timestamps)
    {
        var result = await RunAsync("list-offsets", args: [topic, string.Join(',', timestamps.Select(t => t.ToString(CultureInfo.InvariantCulture)))]);
        var partitions = new List<PartitionOffsets>();
        foreach (var p in result.GetProperty("partitions").EnumerateArray())
        {
            var byTimestamp = p.GetProperty("byTimestamp").EnumerateArray()
                .Select(t => new TimestampOffset(t.GetProperty("timestamp").GetInt64(), t.GetProperty("offset").GetInt64()))
                .ToList();
            partitions.Add(new PartitionOffsets(p.GetProperty("partition").GetInt32(), p.GetProperty("earliest").GetInt64(), p.GetProperty("latest").GetInt64(), byTimestamp));
        }

        return partitions;
    }

    public async Task<IReadOnlyDictionary<string, string?>> DescribeTopicConfigsAsync(string topic)
    {
        var result = await RunAsync("describe-configs", args: [topic]);
        return result.GetProperty("configs").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ValueKind == JsonValueKind.Null ? null : p.Value.GetString());
    }

    public async Task AlterTopicConfigAsync(string topic, string name, string value) =>
        await RunAsync("alter-config", args: [topic, name, value]);

    public async Task DeleteTopicAsync(string topic) => await RunAsync("delete-topic", args: [topic]);

    public void Dispose() => _files.Dispose();

    public override string ToString() => Name;

    private async Task<JsonElement> RunAsync(string command, bool includeBootstrap = true, string[]? args = null)
    {
        var arguments = new List<string> { _script, command };
        if (includeBootstrap)
        {
            arguments.Add(_bootstrap);
        }

        arguments.AddRange(args ?? []);
        var result = (await ClientProcess.RunAsync(_executable, arguments, new ClientProcessOptions
        {
            WorkingDirectory = Path.GetDirectoryName(_script),
            Timeout = ScriptTimeout,
        })).EnsureSuccess();
        string? last = result.OutputLines.LastOrDefault();
        if (last is null || !last.StartsWith('{'))
        {
            throw new InvalidOperationException($"{Name} {command} printed no JSON result: {result}");
        }

        using var document = JsonDocument.Parse(last);
        return document.RootElement.Clone();
    }
}
