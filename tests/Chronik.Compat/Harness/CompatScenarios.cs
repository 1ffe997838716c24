using System.Diagnostics;
using System.Text;
using Chronik.Protocol.Records;
using Chronik.Testing;
using Xunit.Abstractions;

namespace Chronik.Compat.Harness;

/// <summary>
/// Issue 5 item 6 for one client: (a) create a topic with 3 partitions, (b)+(c) produce 100,000 records
/// per codec and consume them back byte for byte, (d) list offsets, (e) describe and alter configs,
/// (f) delete the topic. Every operation under test is done by <see cref="_client"/>; the broker's
/// Confluent.Kafka <see cref="BrokerFixture.Reference"/> only sets up and cross-checks.
/// </summary>
public sealed class CompatScenarios(ICompatClient client, BrokerFixture broker, ITestOutputHelper output)
{
    public const int Partitions = 3;
    public const int RoundTripRecords = 100_000;
    private const int OffsetRecords = 3_000;
    private const string RetentionMs = "retention.ms";
    private const string KafkaDefaultRetentionMs = "604800000";
    private const string AlteredRetentionMs = "3600000";

    private readonly ICompatClient _client = client;

    /// <summary>(a) The client creates a topic with 3 partitions; Metadata shows 3 partitions with leaders.</summary>
    public async Task CreateTopicAsync()
    {
        string topic = Topic("create");
        await _client.CreateTopicAsync(topic, Partitions);
        Confluent.Kafka.TopicMetadata? metadata = null;
        await Wait.UntilAsync(
            () => (metadata = broker.Reference.TopicMetadata(topic)) is { } m && m.Partitions.Count == Partitions && m.Partitions.All(p => p.Leader >= 0),
            $"{topic} has {Partitions} partitions with leaders in Metadata",
            TimeSpan.FromSeconds(30));
        Assert.Equal(Enumerable.Range(0, Partitions), metadata!.Partitions.Select(p => p.PartitionId).Order());
    }

    /// <summary>(b)+(c) 100,000 records with keys, headers and timestamps in one codec, consumed back byte for byte.</summary>
    public async Task RoundTripAsync(Codec codec)
    {
        string topic = Topic($"roundtrip-{codec.KafkaName()}");
        await broker.Reference.CreateTopicAsync(topic, Partitions);
        var records = RecordSet.Generate(RoundTripRecords, Seed(codec), _client.Shape, RecentBaseTimestamp());

        var stopwatch = Stopwatch.StartNew();
        var produced = await _client.ProduceAsync(topic, codec, records);
        var produceTime = stopwatch.Elapsed;
        stopwatch.Restart();
        var consumed = await _client.ConsumeAsync(topic, records.Count);
        var consumeTime = stopwatch.Elapsed;
        output.WriteLine($"{_client.Name} {codec.KafkaName()}: seed {records.Seed}, produced {records.Count} in {produceTime.TotalSeconds:F1} s, consumed {consumed.Count} in {consumeTime.TotalSeconds:F1} s");

        var problems = RoundTripVerifier.Verify(records, consumed, Partitions, (produced.StartedMs, produced.FinishedMs));
        Assert.True(problems.Count == 0, $"{_client.Name} {codec.KafkaName()} (seed {records.Seed}): {RoundTripVerifier.Describe(problems)}");

        var formats = SegmentScan.BatchFormats(broker.Broker.DataDirectory, topic);
        string formatList = string.Join(", ", formats.Select(f => $"magic {f.Key.Magic} {f.Key.Compression}: {f.Value.Batches} batches, {f.Value.Records} records"));
        output.WriteLine($"batches on disk: {formatList}");
        // Only v2 batches with this codec, except that librdkafka sends a (small) batch uncompressed when
        // compressing would grow it: those may be uncompressed, but must stay a small share of the records.
        var compression = (CompressionType)(int)codec;
        long withCodec = formats.GetValueOrDefault(((byte)2, compression)).Records;
        long uncompressed = codec == Codec.None ? 0 : formats.GetValueOrDefault(((byte)2, CompressionType.None)).Records;
        Assert.True(
            withCodec + uncompressed == records.Count && withCodec >= records.Count * 9 / 10,
            $"{_client.Name} {codec.KafkaName()}: expected magic-2 {compression} batches on disk (at most 10% of the records in uncompressed ones), found {formatList}");
    }

    /// <summary>(d) Earliest, latest and by-timestamp offsets per partition match what was produced.</summary>
    public async Task ListOffsetsAsync()
    {
        string topic = Topic("offsets");
        await broker.Reference.CreateTopicAsync(topic, Partitions);
        var records = RecordSet.Generate(OffsetRecords, Seed(Codec.None) + 1, _client.Shape, RecentBaseTimestamp());
        await _client.ProduceAsync(topic, Codec.None, records);

        // Offsets and timestamps as stored, read by the reference consumer.
        var stored = broker.Reference.ReadAll(topic, records.Count);
        Assert.Equal(records.Count, stored.Count);
        var byPartition = Enumerable.Range(0, Partitions)
            .Select(p => stored.Where(r => r.Partition == p).OrderBy(r => r.Offset).ToList())
            .ToList();
        var timestamps = stored.Select(r => r.Timestamp).Order().ToList();
        long[] targets =
        [
            timestamps[0] - 1000,
            timestamps[0],
            timestamps[timestamps.Count / 3],
            timestamps[2 * timestamps.Count / 3],
            timestamps[^1],
            timestamps[^1] + 1,
        ];

        var listed = await _client.ListOffsetsAsync(topic, targets);
        var mismatches = new StringBuilder();
        Assert.Equal(Enumerable.Range(0, Partitions), listed.Select(l => l.Partition).Order());
        foreach (var partition in listed)
        {
            var log = byPartition[partition.Partition];
            Check(partition.Partition, "earliest", 0, partition.Earliest);
            Check(partition.Partition, "latest", log.Count, partition.Latest);
            Assert.Equal(targets.Length, partition.ByTimestamp.Count);
            for (int i = 0; i < targets.Length; i++)
            {
                // Kafka: the first offset whose timestamp is at or after the target, -1 when none.
                var first = log.FirstOrDefault(r => r.Timestamp >= targets[i]);
                long expected = first?.Offset ?? (_client.ReportsLatestWhenNoRecordAtTimestamp ? log.Count : -1);
                Assert.Equal(targets[i], partition.ByTimestamp[i].Timestamp);
                Check(partition.Partition, $"timestamp {targets[i]}", expected, partition.ByTimestamp[i].Offset);
            }
        }

        Assert.True(mismatches.Length == 0, $"{_client.Name} ListOffsets on {topic}:\n{mismatches}");

        void Check(int partition, string what, long expected, long actual)
        {
            if (expected != actual)
            {
                mismatches.Append($"  partition {partition} {what}: expected {expected}, got {actual}\n");
            }
        }
    }

    /// <summary>(e) Describe the topic's configs, alter retention.ms, describe again (and cross-check with the reference).</summary>
    public async Task DescribeAndAlterConfigsAsync()
    {
        string topic = Topic("configs");
        await broker.Reference.CreateTopicAsync(topic, Partitions);

        var before = await _client.DescribeTopicConfigsAsync(topic);
        Assert.True(before.TryGetValue(RetentionMs, out string? initial), $"{_client.Name} DescribeConfigs has no {RetentionMs}: {string.Join(", ", before.Keys)}");
        Assert.Equal(KafkaDefaultRetentionMs, initial);
        Assert.Equal("delete", before.GetValueOrDefault("cleanup.policy"));

        await _client.AlterTopicConfigAsync(topic, RetentionMs, AlteredRetentionMs);

        var after = await _client.DescribeTopicConfigsAsync(topic);
        Assert.Equal(AlteredRetentionMs, after.GetValueOrDefault(RetentionMs));
        var seenByReference = await broker.Reference.DescribeTopicConfigsAsync(topic);
        Assert.Equal(AlteredRetentionMs, seenByReference.GetValueOrDefault(RetentionMs));
    }

    /// <summary>(f) The client deletes a topic; it disappears from Metadata.</summary>
    public async Task DeleteTopicAsync()
    {
        string topic = Topic("delete");
        await broker.Reference.CreateTopicAsync(topic, Partitions);
        await Wait.UntilAsync(() => broker.Reference.PartitionCount(topic) == Partitions, $"{topic} appears in Metadata", TimeSpan.FromSeconds(30));

        await _client.DeleteTopicAsync(topic);

        await Wait.UntilAsync(() => broker.Reference.PartitionCount(topic) is null, $"{topic} is gone from Metadata", TimeSpan.FromSeconds(30));
    }

    /// <summary>Timestamps an hour back: recent enough that retention (7 days by default) keeps them.</summary>
    private static long RecentBaseTimestamp() => DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeMilliseconds();

    private string Topic(string scenario) =>
        $"compat-{new string(_client.Name.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).ToArray())}-{scenario}";

    /// <summary>A fixed seed per client and codec: a failure reproduces with the same records.</summary>
    private int Seed(Codec codec) => ((StableHash(_client.Name) * 31) + (int)codec) & int.MaxValue;

    private static int StableHash(string text)
    {
        int hash = 17;
        foreach (char c in text)
        {
            hash = unchecked((hash * 31) + c);
        }

        return hash & 0x3FFFFFFF;
    }
}
