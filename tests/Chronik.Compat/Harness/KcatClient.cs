using System.Globalization;
using System.Text;
using System.Text.Json;
using Chronik.Testing;

namespace Chronik.Compat.Harness;

/// <summary>
/// kcat 1.7.1 (Debian, librdkafka 2.0.2) as a child process. Produces text lines "key\tvalue" with
/// -K and one header set for all records (-H); consumes with the -J JSON envelope; lists offsets with
/// -Q. It has no topic or config admin (those operations throw <see cref="NotSupportedException"/>).
/// </summary>
public sealed class KcatClient : ICompatClient, IDisposable
{
    private const string Executable = "kcat";
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);

    private readonly string _bootstrap;
    private readonly TempDirectory _files = new("compat-kcat");

    public KcatClient(string bootstrap)
    {
        _bootstrap = Loopback.Bootstrap(bootstrap);
    }

    public string Name => "kcat";

    public RecordShape Shape => RecordShape.KcatLines;

    public bool ReportsLatestWhenNoRecordAtTimestamp => false;

    public Task CreateTopicAsync(string topic, int partitions) =>
        throw new NotSupportedException("kcat has no CreateTopics (it can only auto-create with the broker's num.partitions)");

    public async Task<ProduceOutcome> ProduceAsync(string topic, Codec codec, RecordSet records)
    {
        if (records.Shape.Binary || records.Shape.PerRecordHeaders || records.Shape.ExplicitTimestamps)
        {
            throw new ArgumentException("kcat produces text lines with one header set and its own timestamps (RecordShape.KcatLines)", nameof(records));
        }

        string file = Path.Combine(_files.Path, $"{topic}-produce.txt");
        await using (var stream = File.Create(file))
        {
            foreach (var record in records.Records)
            {
                stream.Write(record.Key);
                stream.WriteByte((byte)'\t');
                stream.Write(record.Value);
                stream.WriteByte((byte)'\n');
            }
        }

        var arguments = new List<string> { "-b", _bootstrap, "-P", "-t", topic, "-K", "\\t", "-X", "acks=all", "-X", "linger.ms=5" };
        foreach (var header in records.CommonHeaders)
        {
            arguments.Add("-H");
            arguments.Add($"{header.Name}={Encoding.ASCII.GetString(header.Value ?? [])}");
        }

        arguments.AddRange(CompressionArguments(codec));
        arguments.Add("-l");
        arguments.Add(file);
        long started = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        // Exit code 0 only when every message was delivered (acknowledged); a failed delivery exits 1.
        await RunAsync(arguments);
        long finished = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        File.Delete(file);
        return new ProduceOutcome(started, finished);
    }

    /// <summary>kcat's compression flags: -z for gzip/snappy/lz4, the librdkafka property for zstd.</summary>
    public static IEnumerable<string> CompressionArguments(Codec codec) => codec switch
    {
        Codec.None => [],
        Codec.Zstd => ["-X", "compression.codec=zstd"],
        _ => ["-z", codec.KafkaName()],
    };

    public async Task<IReadOnlyList<ConsumedRecord>> ConsumeAsync(string topic, int expectedCount)
    {
        // All partitions from the beginning; -e exits once every partition reached its end.
        var result = await RunAsync(["-b", _bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-J", "-q"]);
        var consumed = new List<ConsumedRecord>(expectedCount);
        foreach (string line in result.OutputLines)
        {
            consumed.Add(ParseJsonEnvelope(line));
        }

        return consumed;
    }

    public async Task<IReadOnlyList<PartitionOffsets>> ListOffsetsAsync(string topic, IReadOnlyList<long> timestamps)
    {
        int partitions = await PartitionCountAsync(topic);
        var result = new List<PartitionOffsets>();
        for (int p = 0; p < partitions; p++)
        {
            // -2 and -1 are Kafka's logical timestamps for earliest and latest.
            long earliest = await QueryAsync(topic, p, -2);
            long latest = await QueryAsync(topic, p, -1);
            var byTimestamp = new List<TimestampOffset>();
            foreach (long timestamp in timestamps)
            {
                byTimestamp.Add(new TimestampOffset(timestamp, await QueryAsync(topic, p, timestamp)));
            }

            result.Add(new PartitionOffsets(p, earliest, latest, byTimestamp));
        }

        return result;
    }

    public Task<IReadOnlyDictionary<string, string?>> DescribeTopicConfigsAsync(string topic) =>
        throw new NotSupportedException("kcat has no DescribeConfigs");

    public Task AlterTopicConfigAsync(string topic, string name, string value) =>
        throw new NotSupportedException("kcat has no AlterConfigs");

    public Task DeleteTopicAsync(string topic) => throw new NotSupportedException("kcat has no DeleteTopics");

    /// <summary>Partition count from kcat -L -J (Metadata for that topic).</summary>
    public async Task<int> PartitionCountAsync(string topic)
    {
        var result = await RunAsync(["-b", _bootstrap, "-L", "-t", topic, "-J", "-q"]);
        using var document = JsonDocument.Parse(result.StandardOutput);
        foreach (var t in document.RootElement.GetProperty("topics").EnumerateArray())
        {
            if (t.GetProperty("topic").GetString() == topic)
            {
                return t.GetProperty("partitions").GetArrayLength();
            }
        }

        throw new InvalidOperationException($"kcat -L does not list {topic}: {result.StandardOutput}");
    }

    public void Dispose() => _files.Dispose();

    public override string ToString() => Name;

    /// <summary>One line of kcat -J: {"topic","partition","offset","tstype","ts","broker","headers":[n,v,...],"key","payload"}.</summary>
    internal static ConsumedRecord ParseJsonEnvelope(string line)
    {
        using var document = JsonDocument.Parse(line);
        var root = document.RootElement;
        var headers = new List<TestHeader>();
        if (root.TryGetProperty("headers", out var headerArray) && headerArray.ValueKind == JsonValueKind.Array)
        {
            for (int i = 0; i + 1 < headerArray.GetArrayLength(); i += 2)
            {
                headers.Add(new TestHeader(headerArray[i].GetString()!, TextBytes(headerArray[i + 1])));
            }
        }

        return new ConsumedRecord(
            root.GetProperty("partition").GetInt32(),
            root.GetProperty("offset").GetInt64(),
            root.GetProperty("ts").GetInt64(),
            root.GetProperty("tstype").GetString() switch
            {
                "create" => TimestampKind.CreateTime,
                "logappend" => TimestampKind.LogAppendTime,
                _ => TimestampKind.NotAvailable,
            },
            TextBytes(root.GetProperty("key")),
            TextBytes(root.GetProperty("payload")),
            headers);
    }

    private static byte[]? TextBytes(JsonElement element) =>
        element.ValueKind == JsonValueKind.Null ? null : Encoding.UTF8.GetBytes(element.GetString()!);

    private async Task<long> QueryAsync(string topic, int partition, long timestamp)
    {
        string target = string.Create(CultureInfo.InvariantCulture, $"{topic}:{partition}:{timestamp}");
        var result = await RunAsync(["-b", _bootstrap, "-Q", "-t", target, "-J", "-q"]);
        // {"<topic>":{"topic":..,"<partition>":{"partition":p,"offset":o},...}}
        using var document = JsonDocument.Parse(result.StandardOutput);
        var partitionEntry = document.RootElement.GetProperty(topic).GetProperty(partition.ToString(CultureInfo.InvariantCulture));
        if (partitionEntry.TryGetProperty("error", out var error))
        {
            throw new InvalidOperationException($"kcat -Q {target}: {error}");
        }

        return partitionEntry.GetProperty("offset").GetInt64();
    }

    private static async Task<ClientProcessResult> RunAsync(IEnumerable<string> arguments) =>
        (await ClientProcess.RunAsync(Executable, arguments, new ClientProcessOptions { Timeout = Timeout })).EnsureSuccess();
}
